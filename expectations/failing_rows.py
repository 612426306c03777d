"""Which rows fail each check, from the helper frame, in polars: one pass for all checks of a source.

GX reports how many rows fail a check; the liaison also needs which rows (file
and row number). GX would build that list in Python, row by row. Here each
check's test is restated as a polars expression with GX's meaning: a column
map expectation looks only at non-empty values (``not_null`` looks at all
rows), a regex check fails a value the pattern is not found in, an in-set
check fails a value outside the set. ``expectations.validate`` compares the
counts with GX's and lets GX list the rows itself if they ever differ.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from expectations.checks import Check

ROW_ID = ["file", "row_number"]
ROWS_SCHEMA: dict[str, pl.DataType] = {"file": pl.String(), "row_number": pl.Int64()}


def fails(check: Check) -> pl.Expr:
    """True where ``check`` fails a row of the helper frame."""
    value = pl.col(check.helper)
    if check.kind == "not_null":
        return value.is_null()
    if check.kind == "regex":
        passes = value.cast(pl.String).str.contains(check.regex or "")
    else:
        passes = value.is_in(pl.Series(list(check.value_set or ()), dtype=value_dtype(check)).implode())
    return value.is_not_null() & ~passes


def value_dtype(check: Check) -> pl.DataType:
    """The dtype of an in-set check's values: booleans for the helper flags, else text."""
    values = check.value_set or ()
    return pl.Boolean() if values and all(isinstance(v, bool) for v in values) else pl.String()


def failing_rows(helpers: pl.DataFrame, checks: Iterable[Check]) -> dict[str, tuple[int, pl.DataFrame]]:
    """Per check key: how many rows fail it, and their ``file``, ``row_number``, distinct, sorted."""
    checks = list(checks)
    if not checks:
        return {}
    flags = helpers.select(*ROW_ID, *(fails(c).fill_null(False).alias(c.key) for c in checks))
    counts = flags.select(pl.col(c.key).sum() for c in checks).row(0, named=True)
    return {
        c.key: (
            int(counts[c.key]),
            flags.filter(pl.col(c.key)).select(ROW_ID).cast(ROWS_SCHEMA).unique().sort(ROW_ID),
        )
        for c in checks
    }
