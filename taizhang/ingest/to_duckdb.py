"""Write an :class:`IngestResult` into DuckDB: ``stg_<source>``, ``quarantine``, ``ingest_files``."""

from __future__ import annotations

import json

import duckdb
import polars as pl

from sql import render_sql
from taizhang.ingest.results import IngestResult

_FILES_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "file": pl.String(),
    "format": pl.String(),
    "encoding": pl.String(),
    "sheets": pl.List(pl.String()),
    "sheets_ignored": pl.List(pl.String()),
    "header_mapping": pl.String(),  # JSON object: header as written -> contract column
    "unknown_headers": pl.List(pl.String()),
    "missing_columns": pl.List(pl.String()),
    "rows_read": pl.Int64(),
    "staged": pl.Int64(),
    "quarantined": pl.Int64(),
    "error_code": pl.String(),
    "message_zh": pl.String(),
    "message_en": pl.String(),
}


def files_frame(result: IngestResult) -> pl.DataFrame:
    """One row per file report, plus one per error that names no file (missing sources)."""
    rows = []
    for r in result.file_reports:
        rows.append(
            {
                "source": r.source,
                "file": r.file,
                "format": r.format,
                "encoding": r.encoding,
                "sheets": r.sheets,
                "sheets_ignored": r.sheets_ignored,
                "header_mapping": json.dumps(r.header_mapping, ensure_ascii=False, sort_keys=True),
                "unknown_headers": r.unknown_headers,
                "missing_columns": r.missing_columns,
                "rows_read": r.rows_read,
                "staged": r.staged,
                "quarantined": r.quarantined,
                "error_code": r.error.code if r.error else None,
                "message_zh": r.error.message_zh if r.error else None,
                "message_en": r.error.message_en if r.error else None,
            }
        )
    reported = {(r.file, r.error.code) for r in result.file_reports if r.error}
    for e in result.errors:
        if (e.file, e.code) in reported:
            continue
        rows.append(
            {
                "source": e.source,
                "file": e.file,
                "error_code": e.code,
                "message_zh": e.message_zh,
                "message_en": e.message_en,
            }
        )
    return pl.DataFrame(rows, schema=_FILES_SCHEMA)


def _materialise(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, order_by: str) -> None:
    view = f"_ingest_{table}"
    con.register(view, frame)
    try:
        con.sql(render_sql("ingest_stage_table", table=table, frame=view, order_by=order_by))
    finally:
        con.unregister(view)


def stage_to_duckdb(con: duckdb.DuckDBPyConnection, result: IngestResult) -> None:
    """Create (or replace) ``stg_<source>`` for every source, ``quarantine`` and ``ingest_files``.

    Every contract source gets its table, empty when it had no readable file,
    so later SQL never has to ask whether a table exists.
    """
    for source, frame in sorted(result.staged.items()):
        _materialise(con, f"stg_{source}", frame, "file, row_number")
    _materialise(con, "quarantine", result.quarantine, "source, file, row_number, reason_code")
    view = "_ingest_files_frame"
    con.register(view, files_frame(result))
    try:
        con.sql(render_sql("ingest_files", frame=view))
    finally:
        con.unregister(view)
