"""Province summary: counts per residence county, with no personal information.

For the provincial civil-affairs department and the 全国儿童福利信息系统
returns: how many migrant children each county has, how the ledger changed,
how many suspected orphans, unsupported children, key and urgent cases, and how
many children miss each service (one column per service gap). Every current
Jilin county is listed, with zeros where it has no children, plus any other
code found in the data; children without a residence county are counted on a
row with an empty code.
"""

from __future__ import annotations

import polars as pl

from taizhang.division_reference import jilin_divisions
from taizhang.emit.division_names import JILIN_PROVINCE

GAP_PREFIX = "service_gap:"

# English parquet column -> Chinese workbook header, in output order.
COUNT_COLUMNS: dict[str, str] = {
    "migrant_children": "流动儿童",
    "new": "新增",
    "continuing": "持续",
    "status_changed": "状态变化",
    "left": "离开",
    "turned_16": "满16周岁",
    "suspected_orphan": "疑似孤儿",
    "suspected_unsupported": "疑似事实无人抚养",
    "refer_orphan": "参照孤儿保障",
    "care_quarterly": "每三个月走访",
    "care_monthly": "每月走访",
    "key_cases": "重点关爱",
    "urgent": "紧急情况",
    "hukou_other_jilin_county": "户籍在省内其他县",
    "hukou_outside_jilin": "户籍在省外",
    "hukou_unknown": "户籍地不详",
    "review_items": "待核实事项",
}
LABEL_COLUMNS: dict[str, str] = {
    "county_code": "区划代码",
    "county_name": "县（市、区）",
    "prefecture_name": "所属市（州）",
}


def _county_frame() -> pl.DataFrame:
    jl = jilin_divisions().filter(~pl.col("level").is_in(["province", "prefecture"]))
    return jl.select(
        pl.col("code").alias("county_code"),
        pl.col("name").alias("county_name"),
        pl.col("parent_name").alias("prefecture_name"),
    )


def province_counts(
    ledger: pl.DataFrame, changes: pl.DataFrame, review_counties: pl.Series | None = None
) -> pl.DataFrame:
    """One row per county: the ``COUNT_COLUMNS`` counts and one ``service_gap:<gap>`` count per gap.

    ``ledger`` as from ``ledger_table``; ``changes`` from ``change_list``;
    ``review_counties`` the residence county of each review item (null where
    the child's residence is unknown). Left and turned-16 children count in
    the county they lived in.
    """
    county = pl.col("residence_county").fill_null("")
    hukou = pl.col("hukou_county")
    counts = ledger.group_by(county.alias("county_code")).agg(
        pl.len().alias("migrant_children"),
        *((pl.col("change") == kind).sum().alias(kind) for kind in ("new", "continuing", "status_changed")),
        pl.col("suspected_orphan").sum(),
        pl.col("suspected_unsupported").sum(),
        pl.col("refer_orphan").sum(),
        (pl.col("care_level") == "每三个月走访").sum().alias("care_quarterly"),
        (pl.col("care_level") == "每月走访").sum().alias("care_monthly"),
        (pl.col("care_level") == "重点关爱").sum().alias("key_cases"),
        pl.col("urgent").sum(),
        (hukou.str.starts_with(JILIN_PROVINCE) & (hukou != pl.col("residence_county")))
        .sum()
        .alias("hukou_other_jilin_county"),
        (~hukou.str.starts_with(JILIN_PROVINCE)).sum().alias("hukou_outside_jilin"),
        hukou.is_null().sum().alias("hukou_unknown"),
    )
    departed = (
        changes.filter(pl.col("change").is_in(["left", "turned_16"]))
        .group_by(county.alias("county_code"))
        .agg(
            (pl.col("change") == "left").sum().alias("left"),
            (pl.col("change") == "turned_16").sum().alias("turned_16"),
        )
    )
    reviews = (
        pl.DataFrame(
            {"county_code": review_counties if review_counties is not None else []},
            schema={"county_code": pl.Utf8},
        )
        .select(pl.col("county_code").fill_null(""))
        .group_by("county_code")
        .agg(pl.len().alias("review_items"))
    )
    gaps_long = (
        ledger.select(county.alias("county_code"), "child_id", pl.col("service_gaps").alias("gap"))
        .explode("gap")
        .drop_nulls("gap")
        .unique(["county_code", "child_id", "gap"])
        .group_by("county_code", "gap")
        .agg(pl.len().alias("n"))
        .with_columns((pl.lit(GAP_PREFIX) + pl.col("gap")).alias("gap"))
        .sort("gap")
    )
    gap_names = gaps_long["gap"].unique().sort().to_list()
    gaps = (
        gaps_long.pivot(on="gap", index="county_code", values="n", on_columns=gap_names)
        if gap_names
        else pl.DataFrame(schema={"county_code": pl.Utf8})
    )
    codes = pl.concat(
        [
            _county_frame().select("county_code"),
            counts.select("county_code"),
            departed.select("county_code"),
            reviews.select("county_code"),
        ]
    ).unique()
    out = (
        codes.join(_county_frame(), on="county_code", how="left")
        .join(counts, on="county_code", how="left")
        .join(departed, on="county_code", how="left")
        .join(reviews, on="county_code", how="left")
        .join(gaps, on="county_code", how="left")
    )
    numeric = [*COUNT_COLUMNS, *gap_names]
    return (
        out.with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in numeric)
        .with_columns(
            pl.col("county_code").replace("", None),
            pl.when(pl.col("county_code") == "")
            .then(pl.lit("居住地不详"))
            .otherwise(pl.coalesce("county_name", "county_code"))
            .alias("county_name"),
        )
        .select(*LABEL_COLUMNS, *numeric)
        .sort("county_code", nulls_last=True)
    )


PREFECTURE_UNKNOWN = "市（州）不详"


def by_prefecture(summary: pl.DataFrame) -> pl.DataFrame:
    """The county rows summed per prefecture (市州), in code order; unknown residence last."""
    numeric = [c for c in summary.columns if c not in LABEL_COLUMNS]
    return (
        summary.with_columns(
            pl.col("prefecture_name").fill_null(PREFECTURE_UNKNOWN),
            pl.col("county_code").str.slice(0, 4).fill_null("9999").alias("_order"),
        )
        .group_by("prefecture_name")
        .agg(pl.col("_order").min(), *(pl.col(c).sum() for c in numeric))
        .sort("_order")
        .drop("_order")
    )
