"""Shared column sets, row references and date arithmetic for the policy rules.

The rules read the Stage 2 tables described in docs/ARCHITECTURE.md. They are
being built in parallel, so every rule first passes its input through
:func:`conform`, which adds any documented column the producer left out as
nulls of the documented type: a missing optional column then means "no
evidence", never a crash, and the rules can be tested on small hand-made
frames that only spell out the columns a test is about.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts.tables import RECORD_CHILD, STD_GUARDIANS, STD_RECORDS, STD_STATUS, columns
from data_contracts.tables import conform as conform  # the rules import it from here

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

# The columns each rule input reads, typed by the one declaration of the stage tables.
RECORD_COLUMNS = columns(
    STD_RECORDS,
    (
        "record_id",
        "source",
        "file",
        "row_number",
        "name",
        "name_placeholder",
        "id_number",
        "id_status",
        "id_birth_date",
        "id_sex",
        "id_county",
        "birth_date",
        "sex",
        "ethnicity",
        "hukou_county",
        "residence_county",
        "residence_start",
        "issue_date",
        "valid_until",
        "school_name",
        "enrol_month",
        "school_status",
        "clinic",
        "record_opened",
        "last_followup",
        "management_status",
        "card_opened",
        "last_dose",
        "missed_doses",
        "insurance_status",
        "insurance_year",
        "birth_place_county",
        "visit_date",
        "guardianship",
        "special",
        "self_apply",
        "urgent",
        "remarks",
    ),
)

GUARDIAN_COLUMNS = columns(
    STD_GUARDIANS,
    (
        "record_id",
        "source",
        "file",
        "row_number",
        "role",
        "relation",
        "parent_role",
        "name",
        "id_number",
        "id_status",
        "phone",
    ),
)

STATUS_COLUMNS = columns(
    STD_STATUS,
    (
        "source",
        "file",
        "row_number",
        "id_raw",
        "id_number",
        "id_status",
        "name",
        "status",
        "status_detail",
        "disability_kind",
        "disability_grade",
        "start_date",
        "end_date",
        "reporter",
        "status_sensitive",
    ),
)

RECORD_CHILD_COLUMNS = RECORD_CHILD

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
# Identity-number statuses that still carry 18 characters (docs/ARCHITECTURE.md).
ID_USABLE = ("valid", "bad_check")


def ref() -> pl.Expr:
    """The ``{source, file, row_number}`` struct of the current row."""
    return pl.struct(
        pl.col("source").cast(pl.Utf8), pl.col("file").cast(pl.Utf8), pl.col("row_number").cast(pl.Int64)
    )


def source_rank() -> pl.Expr:
    """Position of the row's source in :data:`SOURCE_PRIORITY` (unknown sources last)."""
    return pl.col("source").replace_strict(
        {s: i for i, s in enumerate(SOURCE_PRIORITY)}, default=len(SOURCE_PRIORITY), return_dtype=pl.Int32
    )


def age_at(birth: pl.Expr, as_of: date) -> pl.Expr:
    """Completed years at ``as_of`` (周岁): the birthday itself completes the year."""
    before_birthday = (birth.dt.month() > as_of.month) | (
        (birth.dt.month() == as_of.month) & (birth.dt.day() > as_of.day)
    )
    return (
        pl.lit(as_of.year, dtype=pl.Int32) - birth.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)
    ).cast(pl.Int32)


def months_before(as_of: date, months: int) -> pl.Expr:
    """``as_of`` minus whole calendar months, clamped to the month's end (06-30 − 6 months = 12-30)."""
    return pl.lit(as_of).dt.offset_by(f"-{months}mo")


def months_after(d: pl.Expr, months: int) -> pl.Expr:
    """``d`` plus whole calendar months, clamped to the month's end."""
    return d.dt.offset_by(f"{months}mo")


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
