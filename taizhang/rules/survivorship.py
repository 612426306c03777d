"""One value per child from several rows: the source priority and the explicit survivorship order."""

from __future__ import annotations

import polars as pl

# Source order of docs/ARCHITECTURE.md, also the priority used to break ties
# between equally recent evidence: the county's own home visit first, then the
# police permit, school, health, vaccination, insurance and birth certificate.
SOURCE_PRIORITY: tuple[str, ...] = (
    "field_visits",
    "residence_permits",
    "school_enrollment",
    "child_health",
    "vaccination",
    "insurance",
    "birth_certificates",
)


def source_rank() -> pl.Expr:
    """Position of the row's source in :data:`SOURCE_PRIORITY` (unknown sources last)."""
    return pl.col("source").replace_strict(
        {s: i for i, s in enumerate(SOURCE_PRIORITY)}, default=len(SOURCE_PRIORITY), return_dtype=pl.Int32
    )


def survivorship_order(df: pl.DataFrame, date_col: str = "evidence_date") -> pl.DataFrame:
    """``df`` in the order :func:`choose` breaks ties in: by child, the most recent ``date_col``
    first, then source priority, file and row number (nulls last).

    Sort the rows once and pass ``ordered=True`` to every :func:`choose` over them."""
    return df.sort(
        ["child_id", date_col, "_rank", "file", "row_number"],
        descending=[False, True, False, False, False],
        nulls_last=True,
        maintain_order=True,
    )


def choose(
    df: pl.DataFrame,
    value: str,
    *,
    by_frequency: bool,
    tier: str | None = None,
    date_col: str = "evidence_date",
    ordered: bool = False,
) -> pl.DataFrame:
    """One value per child by an explicit survivorship order, with the row that supplied it.

    Candidate rows are those where ``value`` is not null. They are ordered by
    ``tier`` (lower first, when given), then, with ``by_frequency``, by how
    many rows of the child carry the same value, then by the most recent
    ``date_col``, the source priority, and finally file, row number and the
    value itself so that the choice never depends on input order. Returns
    ``child_id``, ``<value>`` and ``<value>_source`` (the chosen row's ref).

    ``ordered``: ``df`` is already in :func:`survivorship_order`. The rows of a child's best
    tier and then of its most frequent value are kept, and the first of them in that order is
    the choice: the same row a sort by all the keys puts first (file and row number name one
    row, so the value never decides), without sorting the province's rows once per field.
    """
    # Only the columns the choice reads: moving every column of the record frame would cost. The
    # row's ref (a struct, slow to move) is fetched for the chosen rows only, by their position.
    needed = dict.fromkeys(
        ["child_id", value, *([tier] if tier else []), date_col, "_rank", "file", "row_number"]
    )
    cand = df.select(list(needed)).with_row_index("_at").filter(pl.col(value).is_not_null())
    if by_frequency:
        # how many of the child's candidate rows (of every tier) carry the value
        cand = cand.with_columns(_freq=pl.len().over("child_id", value))
    if not ordered:
        cand = survivorship_order(cand, date_col)
    if tier is not None:
        best = pl.col(tier).min().over("child_id")
        # a null tier sorts last: it is kept only when the child has no other
        cand = cand.filter((pl.col(tier) == best) | best.is_null())
    if by_frequency:
        cand = cand.filter(pl.col("_freq") == pl.col("_freq").max().over("child_id"))
    chosen = cand.group_by("child_id", maintain_order=True).first()
    return chosen.select(
        "child_id", value, df.get_column("_ref").gather(chosen.get_column("_at")).alias(f"{value}_source")
    )
