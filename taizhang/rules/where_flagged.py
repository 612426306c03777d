"""Values computed on the flagged rows only: the evidence of a flag costs only for the few flagged."""

from __future__ import annotations

import polars as pl


def where_flagged(
    df: pl.DataFrame, flagged: pl.Expr, key: str = "child_id", **values: pl.Expr
) -> pl.DataFrame:
    """``df`` with ``values`` computed on the rows where ``flagged`` holds and null elsewhere.

    The same columns as ``df.with_columns(**{c: pl.when(flagged).then(e)})``: polars evaluates
    every branch of a ``when`` on every row, and the evidence of a flag (lists of row refs
    sorted, JSON encoded) is the costly part of a rule while few children are flagged.
    ``key`` is unique in ``df``; the row order of ``df`` is kept.
    """
    computed = df.filter(flagged.fill_null(False)).select(key, **values)
    return df.join(computed, on=key, how="left", maintain_order="left")
