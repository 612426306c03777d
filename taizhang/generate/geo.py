"""Counties, their weights and free-text addresses for synthetic residents.

Residence is weighted to the central districts of 长春 and 吉林, where most
migrant children live. Hukou outside Jilin uses a few real county codes of
neighbouring and sending provinces.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from taizhang.division_reference import jilin_divisions

OTHER_PROVINCE_COUNTIES = {
    "230102": ("黑龙江省", "哈尔滨市", "道里区"),
    "230103": ("黑龙江省", "哈尔滨市", "南岗区"),
    "210102": ("辽宁省", "沈阳市", "和平区"),
    "210202": ("辽宁省", "大连市", "中山区"),
    "370102": ("山东省", "济南市", "历下区"),
    "410105": ("河南省", "郑州市", "金水区"),
    "130102": ("河北省", "石家庄市", "长安区"),
    "150102": ("内蒙古自治区", "呼和浩特市", "新城区"),
}
STREETS = [
    "人民",
    "解放",
    "自由",
    "建设",
    "新民",
    "红旗",
    "胜利",
    "光明",
    "和平",
    "东风",
    "前进",
    "繁荣",
    "长青",
    "富民",
]
COMPOUNDS = ["阳光", "幸福", "锦绣", "紫荆", "金色", "翠湖", "春城", "万科", "和园", "丽景", "华府", "绿地"]


@dataclass(frozen=True)
class Geo:
    """County table: code, name, prefecture code/name, province name, urban flag, weight."""

    table: pl.DataFrame

    @property
    def jilin(self) -> pl.DataFrame:
        return self.table.filter(pl.col("province") == "吉林省")


@cache
def geo() -> Geo:
    div = jilin_divisions()
    counties = div.filter(~pl.col("level").is_in(["province", "prefecture"]))
    big = {"220102", "220103", "220104", "220105", "220106"}
    mid = {"220202", "220203", "220204", "220211"}
    weight = (
        pl.when(pl.col("code").is_in(sorted(big)))
        .then(8.0)
        .when(pl.col("code").is_in(sorted(mid)))
        .then(4.0)
        .when(pl.col("level") == "dev_zone_stat")
        .then(0.4)
        .when(pl.col("level") == "district")
        .then(2.0)
        .otherwise(1.0)
    )
    jl = counties.select(
        "code",
        "name",
        prefecture=pl.col("parent_code"),
        prefecture_name=pl.col("parent_name"),
        province=pl.lit("吉林省"),
        urban=pl.col("is_urban_district").fill_null(0).cast(pl.Int8),
        urban_known=pl.col("is_urban_district").is_not_null(),
        weight=weight,
    )
    other = pl.DataFrame(
        {
            "code": list(OTHER_PROVINCE_COUNTIES),
            "name": [v[2] for v in OTHER_PROVINCE_COUNTIES.values()],
            "prefecture": [c[:4] + "00" for c in OTHER_PROVINCE_COUNTIES],
            "prefecture_name": [v[1] for v in OTHER_PROVINCE_COUNTIES.values()],
            "province": [v[0] for v in OTHER_PROVINCE_COUNTIES.values()],
            "urban": [0] * len(OTHER_PROVINCE_COUNTIES),
            "urban_known": [True] * len(OTHER_PROVINCE_COUNTIES),
            "weight": [1.0] * len(OTHER_PROVINCE_COUNTIES),
        },
        schema_overrides={"urban": pl.Int8},
    )
    return Geo(pl.concat([jl, other]).sort("code"))


def draw_counties(rng: np.random.Generator, n: int, table: pl.DataFrame) -> np.ndarray:
    """County codes drawn by the table's weights."""
    w = table["weight"].to_numpy()
    return table["code"].to_numpy()[rng.choice(table.height, n, p=w / w.sum())]


def address_expr(code: pl.Expr, form: pl.Expr, h: pl.Expr) -> pl.Expr:
    """Free-text address ``吉林省长春市南关区人民街道阳光小区3栋`` from a county code.

    ``form`` (0..2) drops the province (1) or province and city (2), as clerks do;
    ``h`` is a stable per-household number that picks street, compound and block.
    """
    t = geo().table
    prov = code.replace_strict(t["code"], t["province"], default=None)
    city = code.replace_strict(t["code"], t["prefecture_name"], default=None)
    county = code.replace_strict(t["code"], t["name"], default=None)
    street = (h % len(STREETS)).replace_strict(dict(enumerate(STREETS)), return_dtype=pl.Utf8)
    comp = ((h // 16) % len(COMPOUNDS)).replace_strict(dict(enumerate(COMPOUNDS)), return_dtype=pl.Utf8)
    head = (
        pl.when(form == 0)
        .then(pl.concat_str([prov, city, county]))
        .when(form == 1)
        .then(pl.concat_str([city, county]))
        .otherwise(county)
    )
    return pl.concat_str(
        [
            head,
            street,
            pl.lit("街道"),
            comp,
            pl.lit("小区"),
            ((h // 256) % 30 + 1).cast(pl.Utf8),
            pl.lit("栋"),
        ]
    )
