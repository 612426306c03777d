"""Which identity numbers the rules match people on."""

from __future__ import annotations

import polars as pl


def usable_id() -> pl.Expr:
    """True where a row's ``id_number`` may identify a person: a valid number, or one that fails only
    its check digit (``bad_check``: a typo the rules resolve against valid numbers). An empty,
    malformed or Excel-damaged number identifies no one."""
    return pl.col("id_status").is_in(["valid", "bad_check"]) & pl.col("id_number").is_not_null()
