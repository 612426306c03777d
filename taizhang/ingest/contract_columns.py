"""A file's raw cells as the contract's columns: the staged frame's schema and the cell mapping."""

from __future__ import annotations

import polars as pl

from data_contracts import Contract
from taizhang.ingest.headers import HeaderMap
from taizhang.ingest.results import QUARANTINE_SCHEMA


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
    # The row's place and its reader/row-check reason travel along when present.
    exprs.extend(pl.col(c) for c in ("sheet", "excel_row", "_pre") if c in cells.columns)
    return cells.select(exprs)
