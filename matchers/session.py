"""The linkage session: the DuckDB connection of one ``link`` call and the temporary tables it makes.

Every step of the engine asks the session for SQL (``sql/link_*.sql``, rendered with table and
column names, values bound as parameters) and leaves its tables in it; the session drops what it
made when the run ends, whether it ends well or not, and closes the connection if it opened it.
A caller that passes its own connection has sized it (memory limit, spill folder) itself.

The session also keeps the run's clock: wall and processor seconds of each step, so a slow step
shows whether it waited or worked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl

from matchers.name_relatedness import define_name_macros
from matchers.settings import LinkageConfig
from sql import render_sql

RECORDS = "lk_records"
# A derived column computed over a window of records (``... OVER (PARTITION BY ...)``).
_WINDOW = re.compile(r"\bOVER\s*\(", re.IGNORECASE)


def prepare_records(con: duckdb.DuckDBPyConnection, records: pl.DataFrame, config: LinkageConfig) -> None:
    """Table ``lk_records``: the configuration's columns of ``records`` (absent ones as nulls) and the
    derived columns, keyed by a BIGINT ``record_id``; the name macros are defined beside it."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in config.columns.items() if c not in records.columns]
    keep = [c for c in config.columns if c in records.columns and c != config.unique_id]
    frame = records.select(pl.col(config.unique_id).cast(pl.Int64).alias("record_id"), *keep).with_columns(
        missing
    )
    define_name_macros(con)
    con.register("lk_input", frame)
    try:
        windowed = [(name, expr) for name, expr in config.derived if _WINDOW.search(expr)]
        derived = "".join(
            f", w.{name}" if (name, expr) in windowed else f", {expr} AS {name}"
            for name, expr in config.derived
        )
        con.execute(
            render_sql(
                "link_records",
                out=RECORDS,
                source="lk_input",
                windowed="".join(f", {expr} AS {name}" for name, expr in windowed),
                derived=derived,
            )
        )
    finally:
        con.unregister("lk_input")


class LinkSession:
    """One linkage run's DuckDB connection, its temporary tables and its timings."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection | None = None, threads: int = 2, memory_limit: str = "2GB"
    ) -> None:
        self.owns_connection = con is None
        self.con = con or duckdb.connect()
        if self.owns_connection:
            self.con.execute(f"SET threads={int(threads)}")
            self.con.execute("SET memory_limit=$m", {"m": memory_limit})
        self.con.execute("SET preserve_insertion_order=false")
        self.tables: list[str] = []
        self.timings: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._clock = (time.perf_counter(), time.process_time())

    # ------------------------------------------------------------------ statements

    def load_records(self, records: pl.DataFrame, config: LinkageConfig) -> str:
        """Table ``lk_records`` (see :func:`prepare_records`), dropped at the end."""
        prepare_records(self.con, records, config)
        self.tables.append(RECORDS)
        return RECORDS

    def execute(self, name: str, params: dict[str, Any] | None = None, **identifiers: str) -> None:
        """Run ``sql/<name>.sql``; a table it creates is the caller's to name with ``table``."""
        self.con.execute(render_sql(name, **identifiers), params or {})

    def create(self, table: str, name: str, params: dict[str, Any] | None = None, **identifiers: str) -> str:
        """Run ``sql/<name>.sql`` that creates temporary table ``out``; the session drops it at the end."""
        self.execute(name, params, out=table, **identifiers)
        if table not in self.tables:
            self.tables.append(table)
        return table

    def frame(self, name: str, params: dict[str, Any] | None = None, **identifiers: str) -> pl.DataFrame:
        """The result of the query ``sql/<name>.sql`` as a polars frame."""
        return self.con.sql(render_sql(name, **identifiers), params=params or {}).pl()

    def scalar(self, name: str, params: dict[str, Any] | None = None, **identifiers: str) -> Any:
        """The single value the query ``sql/<name>.sql`` returns."""
        return self.con.sql(render_sql(name, **identifiers), params=params or {}).fetchall()[0][0]

    @contextmanager
    def registered(self, name: str, frame: pl.DataFrame) -> Iterator[str]:
        """``frame`` visible to SQL as ``name`` for the duration of the block."""
        self.con.register(name, frame)
        try:
            yield name
        finally:
            self.con.unregister(name)

    def table_from(self, table: str, frame: pl.DataFrame) -> str:
        """A temporary table holding a copy of ``frame`` (dropped at the end)."""
        with self.registered(f"{table}_in", frame) as view:
            self.create(table, "link_copy_table", source=view)
        return table

    def drop(self, *tables: str) -> None:
        """Drop tables as soon as no step needs them: their memory goes to the next step."""
        for table in tables:
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
            if table in self.tables:
                self.tables.remove(table)

    def close(self) -> None:
        """Drop every table the session made; close the connection if the session opened it."""
        try:
            self.drop(*list(self.tables))
        finally:
            if self.owns_connection:
                self.con.close()

    # ------------------------------------------------------------------ clock

    def lap(self, step: str) -> None:
        """Record the wall and processor seconds since the previous lap under ``step``."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.timings[step] = round(wall - self._clock[0], 3)
        self.cpu_seconds[step] = round(cpu - self._clock[1], 3)
        self._clock = (wall, cpu)
