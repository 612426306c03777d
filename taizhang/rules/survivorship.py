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


def choose(
    df: pl.DataFrame,
    value: str,
    *,
    by_frequency: bool,
    tier: str | None = None,
    date_col: str = "evidence_date",
) -> pl.DataFrame:
    """One value per child by an explicit survivorship order, with the row that supplied it.

    Candidate rows are those where ``value`` is not null. They are ordered by
    ``tier`` (lower first, when given), then, with ``by_frequency``, by how
    many rows of the child carry the same value, then by the most recent
    ``date_col``, the source priority, and finally file, row number and the
    value itself so that the choice never depends on input order. Returns
    ``child_id``, ``<value>`` and ``<value>_source`` (the chosen row's ref).
    """
    # Only the columns the choice reads: sorting the whole record frame would move every column.
    needed = dict.fromkeys(
        ["child_id", value, *([tier] if tier else []), date_col, "_rank", "file", "row_number", "_ref"]
    )
    cand = df.select(list(needed)).filter(pl.col(value).is_not_null())
    keys: list[pl.Expr] = []
    desc: list[bool] = []
    if tier is not None:
        keys.append(pl.col(tier))
        desc.append(False)
    if by_frequency:
        keys.append(pl.len().over("child_id", value))
        desc.append(True)
    keys += [pl.col(date_col), pl.col("_rank"), pl.col("file"), pl.col("row_number"), pl.col(value)]
    desc += [True, False, False, False, False]
    return (
        cand.sort([pl.col("child_id"), *keys], descending=[False, *desc], nulls_last=True)
        .group_by("child_id", maintain_order=True)
        .first()
        .select("child_id", value, pl.col("_ref").alias(f"{value}_source"))
    )
