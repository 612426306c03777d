"""The staged rows as the three stage-2 tables read them, and the lookups they share.

The staged frames (docs/ARCHITECTURE.md, stage 1) hold raw text under the
contract's column names. The contracts use the same name for the same kind of
field in every source (``name``, ``id_number``, ``birth_date``, …), so the
child-level sources are stacked into one frame first (:func:`stacked_child_rows`)
and every column is standardized once over the whole stack; names, identity
numbers and dates go through their parsers on distinct values only
(:func:`names_for`, :func:`ids_for`, :func:`dates_for`, joined back by
:func:`looked_up`).

``record_id`` is dense (1, 2, …) over the child-level rows ordered by
``(SOURCE_ORDER, file, row_number)``; it is only valid inside one run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from data_contracts import SOURCE_ORDER, load_contracts
from taizhang.parsers.dates import date_table
from taizhang.parsers.id_numbers import id_table
from taizhang.parsers.names import standardize_names

ROW_KEY = ("source", "file", "row_number")


def child_sources(staged: dict[str, pl.DataFrame]) -> list[str]:
    contracts = load_contracts()
    return [s for s in SOURCE_ORDER if s in staged and s in contracts and contracts[s].child_level]


def with_contract_columns(
    source: str, df: pl.DataFrame, wanted: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """Every contract column present (null when the file lacked it), all as Utf8 text.

    ``wanted`` keeps only those of the contract's columns (and ``extra``), so a
    caller that reads a few columns never copies the others.
    """
    names = [c for c in [*load_contracts()[source].column_names, "extra"] if wanted is None or c in wanted]
    if "extra" not in df.columns:
        names.remove("extra")
    keep = [c for c in ("source", "file", "row_number") if c in df.columns]
    return df.select(
        *(pl.col(c).cast(pl.Utf8) if c != "row_number" else pl.col(c).cast(pl.Int64) for c in keep),
        *(pl.col(c).cast(pl.Utf8) if c in df.columns else pl.lit(None, pl.Utf8).alias(c) for c in names),
    )


def in_row_order(df: pl.DataFrame) -> bool:
    """True when ``df`` is already ordered by ``(file, row_number)`` with no nulls in either.

    Stage 1 writes its staged files in that order, so stacking can usually skip
    the sort (a sort gathers every column into a new copy).
    """
    if df.height < 2:
        return True
    if df["file"].null_count() or df["row_number"].null_count():
        return False
    f, n = pl.col("file"), pl.col("row_number")
    out_of_order = (f.shift(-1) < f) | ((f.shift(-1) == f) & (n.shift(-1) < n))
    return not df.select(out_of_order.any()).item()


def stacked_child_rows(
    staged: dict[str, pl.DataFrame], wanted: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """All child-level staged rows in record order, with ``record_id`` (Int64, from 1).

    ``wanted`` names the raw columns to carry (default: all of them). Columns
    already in order are not copied: the stack shares the staged frames' buffers.
    """
    frames = []
    for s in child_sources(staged):
        frame = with_contract_columns(s, staged[s], wanted).with_columns(pl.lit(s).alias("source"))
        frames.append(frame if in_row_order(frame) else frame.sort("file", "row_number"))
    frames = [f for f in frames if f.height > 0]
    if not frames:
        empty = {"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64}
        return pl.DataFrame(schema={"record_id": pl.Int64, **empty})
    stacked = pl.concat(frames, how="diagonal_relaxed")
    return stacked.with_row_index("record_id", offset=1).with_columns(pl.col("record_id").cast(pl.Int64))


def raw_col(df: pl.DataFrame, name: str) -> pl.Expr:
    """A raw column, or a null Utf8 literal when no source has it."""
    return pl.col(name) if name in df.columns else pl.lit(None, pl.Utf8)


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trimmed NFKC text, empty as null (for codes and categories)."""
    t = expr.str.normalize("NFKC").str.strip_chars()
    return pl.when(t.str.len_chars() > 0).then(t)


def looked_up(values: pl.Series, table: pl.DataFrame, renames: dict[str, str]) -> list[pl.Series]:
    """The ``renames`` columns of ``table`` (one row per distinct ``raw``) for each of ``values``, in order.

    Only the key column is joined, so a lookup never copies the wide frame it is added to.
    """
    keys = values.cast(pl.Utf8).alias("raw").to_frame()
    found = keys.join(
        table.select("raw", *renames), on="raw", how="left", nulls_equal=True, maintain_order="left"
    )
    return [found[k].alias(v) for k, v in renames.items()]


def per_distinct(values: pl.Series, parse: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """``parse`` applied to each distinct value of ``values`` once, and looked up for every row.

    For a column of few distinct values (a sex, a grade, a clinic), where
    cleaning every row's text would repeat the same work hundreds of thousands of times.
    """
    table = pl.DataFrame({"raw": values.unique()}, schema={"raw": pl.Utf8}).with_columns(
        parse(pl.col("raw")).alias("parsed")
    )
    return looked_up(values, table, {"parsed": values.name})[0]


def distinct_values(columns: list[pl.Series]) -> pl.Series:
    """The distinct values of several raw columns as one text series (deduplicated column by column
    first, so the columns are never copied end to end)."""
    if not columns:
        return pl.Series([], dtype=pl.Utf8)
    return pl.concat([c.cast(pl.Utf8).unique() for c in columns]).unique()


def names_for(columns: list[pl.Series]) -> pl.DataFrame:
    """One standardized-name table for several raw name columns."""
    return standardize_names(distinct_values(columns))


def ids_for(columns: list[pl.Series], today: date | None) -> pl.DataFrame:
    """One identity-number table for several raw columns (each distinct value parsed once)."""
    return id_table(distinct_values(columns), today)


def dates_for(columns: list[pl.Series], today: date | None) -> pl.DataFrame:
    """One date table for several raw columns bounded by the same ``today``."""
    return date_table(distinct_values(columns), today)


def sorted_distinct_lists(columns: list[pl.Series]) -> pl.Series:
    """Row by row, the distinct non-null values of several equally long text columns as a sorted list
    (an empty list when there are none).

    Equal to ``concat_list(...).list.drop_nulls().list.unique().list.sort()``, built from the
    long form (row, value) instead: polars builds a list column from a few text columns slowly, and
    most rows hold one or two values.
    """
    height = len(columns[0])
    index = pl.int_range(0, height, dtype=pl.UInt32, eager=True).alias("i")
    long = (
        pl.concat([pl.DataFrame([index, c.cast(pl.Utf8).alias("v")]).lazy() for c in columns])
        .filter(pl.col("v").is_not_null())
        .unique()
        .sort("i", "v")
        .group_by("i", maintain_order=True)
        .agg("v")
    )
    return (
        index.to_frame()
        .lazy()
        .join(long, on="i", how="left", maintain_order="left")
        .select(pl.col("v").fill_null(pl.lit([], pl.List(pl.Utf8))))
        .collect()
        .to_series()
    )
