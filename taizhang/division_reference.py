"""Jilin's administrative divisions, shipped with the package.

``jilin_divisions.csv`` lists the current province, prefecture and county-level
units plus the statistical codes of development zones, with
``is_urban_district`` (1 central urban district, 0 not, empty undetermined).
``jilin_division_codes_history.csv`` lists every 22xxxx code ever issued, since
identity numbers keep the address code they were issued under.

The central-urban-district flags are policy configuration the province may
edit: point ``TAIZHANG_DIVISIONS`` at an edited copy of the CSV.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import polars as pl

REFERENCE_DIR = Path(__file__).parent / "reference_data"


def divisions_path() -> Path:
    override = os.environ.get("TAIZHANG_DIVISIONS")
    return Path(override) if override else REFERENCE_DIR / "jilin_divisions.csv"


@cache
def jilin_divisions() -> pl.DataFrame:
    """code, name, level, parent_code, parent_name, is_urban_district (Int8 or null)."""
    return pl.read_csv(
        divisions_path(),
        schema_overrides={"code": pl.Utf8, "parent_code": pl.Utf8, "is_urban_district": pl.Int8},
    )


@cache
def jilin_code_history() -> pl.DataFrame:
    """code, name, first_year_listed, last_year_listed, in_current_list."""
    return pl.read_csv(REFERENCE_DIR / "jilin_division_codes_history.csv", schema_overrides={"code": pl.Utf8})


def county_names() -> dict[str, str]:
    """6-digit code -> name, for every current county-level unit of Jilin."""
    df = jilin_divisions().filter(~pl.col("level").is_in(["province", "prefecture"]))
    return dict(zip(df["code"], df["name"], strict=True))


_COUNTY_SUFFIX = r"(朝鲜族自治县|蒙古族自治县|满族自治县|自治县|市|县|区)$"


@cache
def county_successors() -> pl.DataFrame:
    """``code, current_code``: each retired Jilin county code and the current code of the same place.

    A retired code stays in use wherever it was written once (identity numbers
    never change; old hukou records keep it), so 220381 公主岭市 (四平, to
    2019) is the same county as 220184 公主岭市 (长春, from 2020), 220724 扶余县
    the same as 220781 扶余市, 220181 九台市 the same as 220113 九台区. The
    successor is the current county-level unit whose name has the same stem
    (the name without 市/县/区 or an autonomous-county suffix), taken only when
    exactly one current unit has that stem. Current codes map to themselves.
    """
    current = jilin_divisions().filter(~pl.col("level").is_in(["province", "prefecture"]))
    stems = current.select(
        pl.col("code").alias("current_code"),
        pl.col("name").str.replace(_COUNTY_SUFFIX, "").alias("stem"),
    )
    unique_stems = (
        stems.group_by("stem").agg(pl.col("current_code").first(), pl.len()).filter(pl.col("len") == 1)
    )
    retired = (
        jilin_code_history()
        .filter(~pl.col("code").is_in(current["code"].implode()) & ~pl.col("code").str.ends_with("00"))
        .select("code", pl.col("name").str.replace(_COUNTY_SUFFIX, "").alias("stem"))
        .join(unique_stems.select("stem", "current_code"), on="stem", how="inner")
        .select("code", "current_code")
        .unique("code", keep="first")
    )
    itself = current.select("code", pl.col("code").alias("current_code"))
    return pl.concat([itself, retired]).unique("code", keep="first").sort("code")


def current_county_expr(column: str) -> pl.Expr:
    """``column`` with retired Jilin county codes replaced by their current code."""
    table = county_successors()
    return pl.col(column).replace(table["code"], table["current_code"])
