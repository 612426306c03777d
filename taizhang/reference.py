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
