"""Calendar-month arithmetic of the rules' time windows."""

from __future__ import annotations

from datetime import date

import polars as pl


def months_before(as_of: date, months: int) -> pl.Expr:
    """``as_of`` minus whole calendar months, clamped to the month's end (06-30 − 6 months = 12-30)."""
    return pl.lit(as_of).dt.offset_by(f"-{months}mo")


def months_after(d: pl.Expr, months: int) -> pl.Expr:
    """``d`` plus whole calendar months, clamped to the month's end."""
    return d.dt.offset_by(f"{months}mo")
