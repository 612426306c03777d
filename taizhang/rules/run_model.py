"""Running a ``sql/decide_*.sql`` model over polars frames in a private in-memory DuckDB."""

from __future__ import annotations

import duckdb
import polars as pl

from sql import render_sql


def run_sql(name: str, **tables: pl.DataFrame) -> pl.DataFrame:
    """Render ``sql/<name>.sql`` with the given frames as its ``{placeholders}`` and return the result.

    Each frame is registered under its placeholder name; one short-lived
    connection per call keeps the rules pure and free of shared state.
    """
    con = duckdb.connect()
    try:
        for table_name, frame in tables.items():
            con.register(table_name, frame)
        return con.sql(render_sql(name, **{k: k for k in tables})).pl()
    finally:
        con.close()
