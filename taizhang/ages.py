"""Ground floor: a child's age in completed years (周岁), as the decision and the change list count it."""

from __future__ import annotations

from datetime import date

import polars as pl


def age_at(birth: pl.Expr, as_of: date) -> pl.Expr:
    """Completed years at ``as_of`` (周岁): the birthday itself completes the year."""
    before_birthday = (birth.dt.month() > as_of.month) | (
        (birth.dt.month() == as_of.month) & (birth.dt.day() > as_of.day)
    )
    return (
        pl.lit(as_of.year, dtype=pl.Int32) - birth.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)
    ).cast(pl.Int32)
