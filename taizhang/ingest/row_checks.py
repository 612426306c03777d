"""The contract's row checks: split mapped rows into staged and quarantined, one reason per row.

A row gets at most one reason, the first that applies in ``REASON_ORDER``:
the reason :func:`taizhang.ingest.junk_rows.row_reasons` found (damage, a row
that holds no child), then the contract's checks (no identifier, a required
value missing, a status outside the list). Bad identity numbers, odd dates
and unknown codes are *not* reasons here (standardisation and validation
report them as warnings), because a record with a typo still describes a child.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data_contracts import Contract
from taizhang.ingest.junk_rows import GARBAGE
from taizhang.ingest.results import QUARANTINE_SCHEMA, REASONS

# Empty: null, or nothing but (also full-width) spaces.
_EMPTY = r"^[\s\x{3000}]*$"


def _is_empty(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(_EMPTY)


def _is_garbage(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(GARBAGE)


@dataclass(frozen=True)
class Split:
    staged: pl.DataFrame
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA


def split_rows(mapped: pl.DataFrame, contract: Contract) -> Split:
    """Apply the row checks to ``mapped`` rows, whose ``_pre`` holds :func:`row_reasons`' code.

    ``mapped`` also carries ``sheet`` and ``excel_row``, which go to the
    quarantine only.
    """
    branches: list[tuple[pl.Expr, pl.Expr, str | None]] = [
        (pl.col("_pre").is_not_null(), pl.col("_pre"), None)
    ]
    if contract.identifying:
        no_id = pl.all_horizontal(_is_garbage(c) for c in contract.identifying)
        branches.append((no_id, pl.lit("no_identifier"), None))
    for col in contract.columns:
        if col.row_required:
            branches.append((_is_empty(col.name), pl.lit("missing_required_value"), col.name))
    for col in contract.columns:
        if col.row_required and col.allowed and col.type == "enum":
            trimmed = pl.col(col.name).str.strip_chars(" \t\r\n\u3000")
            branches.append((~trimmed.is_in(list(col.allowed)), pl.lit("bad_status"), col.name))

    code = pl.lit(None, dtype=pl.String)
    column = pl.lit(None, dtype=pl.String)
    for cond, reason_code, col_name in reversed(branches):
        code = pl.when(cond).then(reason_code).otherwise(code)
        column = pl.when(cond).then(pl.lit(col_name, dtype=pl.String)).otherwise(column)
    frame = mapped.with_columns(code.alias("reason_code"), column.alias("column"))
    staged = frame.filter(pl.col("reason_code").is_null()).drop(
        "_pre", "reason_code", "column", "sheet", "excel_row"
    )
    quarantine = quarantine_frame(frame.filter(pl.col("reason_code").is_not_null()))
    return Split(staged=staged, quarantine=quarantine)


def quarantine_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows (QUARANTINE_SCHEMA) with the Chinese ``reason`` of their ``reason_code``."""
    return rows.with_columns(
        pl.col("reason_code").replace_strict(REASONS, return_dtype=pl.String).alias("reason")
    ).select(list(QUARANTINE_SCHEMA))
