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


def refs_by(df: pl.DataFrame, by: list[str], refs: str = "_ref", *, unique: bool = False) -> pl.DataFrame:
    """``by`` and the list of each group's ``refs`` structs, sorted (and with ``unique`` deduplicated).

    The same lists as ``group_by(by).agg(pl.col(refs).sort())`` (``.unique().sort()``): a struct
    sorts field by field with nulls first, so the rows are sorted by the fields before they are
    gathered. Polars sorts a struct column by encoding every row, several times slower than
    sorting its fields as plain columns. One row per group, in the order of ``by``.
    """
    names = [f"_ref_{i}" for i in range(len(REF_DTYPE.fields))]
    rows = df.select(
        *by,
        refs,
        *(pl.col(refs).struct.field(f.name).alias(n) for f, n in zip(REF_DTYPE.fields, names, strict=True)),
    )
    if unique:
        rows = rows.unique(subset=[*by, *names])
    # rechunked: the lists are joined onto other tables, which gathers them (slow from many chunks)
    grouped = rows.sort([*by, *names]).group_by(by, maintain_order=True).agg(pl.col(refs))
    return grouped.select(*by, refs).rechunk()
