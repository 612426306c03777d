"""Identity numbers for synthetic people (GB 11643-1999), built over whole columns.

An 18-character number is a 6-digit address code, the birth date (YYYYMMDD), a
3-digit sequence (odd = male) and an ISO 7064 MOD 11-2 check character. The
address code is the county of the person's hukou *when the number was issued*,
so people born before a county was recoded carry the old code (220381 for
公主岭 before 2020); ``issued_address_code`` reproduces that.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from taizhang.parsers.id_numbers import check_digit

# current county code -> (code used before, last year the old code was in force)
# from taizhang/reference_data/jilin_division_codes_history.csv
HISTORIC_CODES: dict[str, tuple[str, int]] = {
    "220184": ("220381", 2019),  # 公主岭市 moved from 四平 to 长春 in 2020
    "220113": ("220181", 2013),  # 九台市 became 九台区 in 2014
    "220781": ("220724", 2012),  # 扶余县 became 扶余市 in 2013
    "220605": ("220625", 2005),  # 江源县 became 江源区 in 2006
    "220112": ("220125", 1994),  # 双阳县 became 双阳区 in 1995
    "220382": ("220324", 1995),  # 双辽县
    "220284": ("220223", 1994),  # 磐石县
    "220283": ("220222", 1991),  # 舒兰县
}


def issued_address_code(county: pl.Expr, year: pl.Expr) -> pl.Expr:
    """The address code a person of this hukou county got when born in ``year``."""
    expr = county
    for current, (old, last_year) in HISTORIC_CODES.items():
        expr = pl.when((county == current) & (year <= last_year)).then(pl.lit(old)).otherwise(expr)
    return expr


def assign_sequences(
    df: pl.DataFrame, rng: np.random.Generator, addr: str, birth: str, male: str
) -> pl.Series:
    """Sequence numbers (0-999) unique within (address code, birth date, sex), odd for men.

    A random start per group plus the rank inside the group keeps numbers unique
    without a loop, the way a registry office numbers people born the same day.
    """
    group = [addr, birth, male]
    start = pl.Series("start", rng.integers(0, 300, df.height), dtype=pl.Int64)
    out = df.with_columns(start).select(
        seq=((pl.col("start").first().over(group) + pl.int_range(pl.len()).over(group)) % 500) * 2
        + pl.col(male).cast(pl.Int64)
    )
    return out["seq"]


def build_id(addr: pl.Expr, birth: pl.Expr, seq: pl.Expr) -> pl.Expr:
    """18-character number from address code, birth date and sequence (0-999)."""
    body = pl.concat_str([addr, birth.dt.strftime("%Y%m%d"), seq.cast(pl.Utf8).str.zfill(3)])
    return pl.concat_str([body, check_digit(body)])


def to_legacy_15(id18: pl.Expr) -> pl.Expr:
    """The 15-digit number issued before 1999 (no century, no check character)."""
    return pl.concat_str([id18.str.slice(0, 6), id18.str.slice(8, 9)])
