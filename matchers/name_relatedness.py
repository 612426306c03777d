"""The name-relatedness rule: when two given names are one typo apart.

The rule is written once, as a DuckDB macro (``sql/link_name_macros.sql``): the child
configuration's vetoes call it in SQL over record pairs, and clustering asks DuckDB through
:func:`typo_pairs` which of the given names it must weigh are related, so the two can never drift
apart.
"""

from __future__ import annotations

import duckdb
import polars as pl

from sql import load_sql, render_sql


def define_name_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Make the name-relatedness macro (``lk_typo_apart``) available on ``con``."""
    con.execute(load_sql("link_name_macros"))


def typo_pairs(pairs: pl.DataFrame) -> set[tuple[str, str]]:
    """The pairs ``(a, b)`` of given names (columns ``a``, ``b``) that are one typo apart."""
    if pairs.height == 0:
        return set()
    con = duckdb.connect()
    try:
        define_name_macros(con)
        con.register("lk_name_pairs", pairs.select(pl.col("a").cast(pl.Utf8), pl.col("b").cast(pl.Utf8)))
        found = con.sql(render_sql("link_typo_pairs", pairs="lk_name_pairs")).fetchall()
    finally:
        con.close()
    return {(str(a), str(b)) for a, b in found}
