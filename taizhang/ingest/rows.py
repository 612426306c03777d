"""Turn a file's raw cells into contract columns and split its rows into staged and quarantined.

All checks are polars expressions over the whole file. A row gets at most one
reason, the first that applies in ``REASON_ORDER``; bad identity numbers, odd
dates and unknown codes are *not* reasons here (standardisation and
validation report them as warnings), because a record with a typo still
describes a child.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data_contracts import Contract
from taizhang.ingest.headers import HeaderMap
from taizhang.ingest.model import QUARANTINE_SCHEMA, REASONS

# Empty: null, or nothing but (also full-width) spaces.
_EMPTY = r"^[\s\x{3000}]*$"
# Garbage: nothing but control characters, U+FFFD, punctuation and spaces.
_GARBAGE = r"^[\p{C}\p{P}\p{Z}\s\x{FFFD}]*$"


def staged_schema(contract: Contract) -> dict[str, pl.DataType]:
    """Columns of ``stg_<source>``: row identity, one text column per contract column, ``extra``."""
    schema: dict[str, pl.DataType] = {"source": pl.String(), "file": pl.String(), "row_number": pl.Int64()}
    schema.update({name: pl.String() for name in contract.column_names})
    schema["extra"] = pl.String()
    return schema


def empty_staged(contract: Contract) -> pl.DataFrame:
    return pl.DataFrame(schema=staged_schema(contract))


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def map_cells(
    cells: pl.DataFrame, header_map: HeaderMap, contract: Contract, source: str, file: str
) -> pl.DataFrame:
    """Raw cells -> contract columns (missing ones null) and ``extra`` (JSON of unknown columns)."""
    by_name = {name: f"c{pos}" for pos, name in header_map.columns.items()}
    exprs = [
        pl.lit(source, dtype=pl.String).alias("source"),
        pl.lit(file, dtype=pl.String).alias("file"),
        pl.col("row_number"),
    ]
    for name in contract.column_names:
        cell = by_name.get(name)
        exprs.append((pl.col(cell) if cell else pl.lit(None, dtype=pl.String)).alias(name))
    if header_map.extra:
        # Keys in header order; a row whose unknown cells are all empty carries no extra.
        fields = [pl.col(f"c{pos}").alias(key) for pos, key in sorted(header_map.extra.items())]
        any_value = pl.any_horizontal(pl.col(f"c{pos}").is_not_null() for pos in header_map.extra)
        exprs.append(
            pl.when(any_value).then(pl.struct(fields).struct.json_encode()).otherwise(None).alias("extra")
        )
    else:
        exprs.append(pl.lit(None, dtype=pl.String).alias("extra"))
    return cells.select(exprs)


def _is_empty(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(_EMPTY)


def _is_garbage(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(_GARBAGE)


@dataclass(frozen=True)
class Split:
    staged: pl.DataFrame
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA


def split_rows(mapped: pl.DataFrame, raw_cells: pl.DataFrame, contract: Contract) -> Split:
    """Apply the row checks; ``raw_cells`` (same rows) decides ``empty_row`` over all cells, unknown too."""
    cell_cols = [c for c in raw_cells.columns if c != "row_number"]
    all_empty = pl.all_horizontal(_is_empty(c) for c in cell_cols) if cell_cols else pl.lit(True)
    empty_flag = raw_cells.select(all_empty.alias("_empty"))["_empty"]
    frame = mapped.with_columns(empty_flag)

    branches: list[tuple[pl.Expr, str, str | None]] = [(pl.col("_empty"), "empty_row", None)]
    if contract.identifying:
        no_id = pl.all_horizontal(_is_garbage(c) for c in contract.identifying)
        branches.append((no_id, "no_identifier", None))
    for col in contract.columns:
        if col.row_required:
            branches.append((_is_empty(col.name), "missing_required_value", col.name))
    for col in contract.columns:
        if col.row_required and col.allowed and col.type == "enum":
            trimmed = pl.col(col.name).str.strip_chars(" \t\r\n\u3000")
            branches.append((~trimmed.is_in(list(col.allowed)), "bad_status", col.name))

    code = pl.lit(None, dtype=pl.String)
    column = pl.lit(None, dtype=pl.String)
    for cond, reason_code, col_name in reversed(branches):
        code = pl.when(cond).then(pl.lit(reason_code)).otherwise(code)
        column = pl.when(cond).then(pl.lit(col_name, dtype=pl.String)).otherwise(column)
    frame = frame.with_columns(code.alias("reason_code"), column.alias("column"))
    staged = frame.filter(pl.col("reason_code").is_null()).drop("_empty", "reason_code", "column")
    quarantine = quarantine_frame(
        frame.filter(pl.col("reason_code").is_not_null()).select(
            "source", "file", "row_number", "reason_code", "column"
        )
    )
    return Split(staged=staged, quarantine=quarantine)


def quarantine_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Add the Chinese ``reason`` to rows holding source, file, row_number, reason_code, column."""
    return rows.with_columns(
        pl.col("reason_code").replace_strict(REASONS, return_dtype=pl.String).alias("reason")
    ).select(list(QUARANTINE_SCHEMA))
