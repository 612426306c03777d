"""Row references: the ``{source, file, row_number}`` struct kept beside every value a rule derives."""

from __future__ import annotations

import polars as pl

# The struct naming one input row, kept beside every value a rule derives.
REF_DTYPE = pl.Struct({"source": pl.Utf8(), "file": pl.Utf8(), "row_number": pl.Int64()})

# A status event as evidence shows it (status masked); ``match``: how the row was tied to the person
# (``exact`` or a slip, see ``sql/decide_status_matches.sql``).
EVENT_DTYPE = pl.Struct(
    {
        "file": pl.Utf8(),
        "row_number": pl.Int64(),
        "status": pl.Utf8(),
        "start": pl.Date(),
        "end": pl.Date(),
        "match": pl.Utf8(),
    }
)


def ref() -> pl.Expr:
    """The ``{source, file, row_number}`` struct of the current row."""
    return pl.struct(
        pl.col("source").cast(pl.Utf8), pl.col("file").cast(pl.Utf8), pl.col("row_number").cast(pl.Int64)
    )
