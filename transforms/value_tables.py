"""The parsed-value tables stage 2 shares between ``std_records`` and ``std_guardians``.

A child's row names the same people in both tables (the mother's identity
number is ``mother_id`` in ``std_records`` and a ``mother`` row in
``std_guardians``), so names, identity numbers and phone numbers are parsed
once, over the distinct values of every stacked column holding them, into one
table each (one row per distinct raw value), and both tables look their values
up there. Each parser works value by value, so a table over more columns gives
the same parsed fields for every value it shares with a smaller one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from taizhang.parsers.phones import parse_phone
from transforms.staged_rows import distinct_values, ids_for, names_for

# Stacked raw columns holding each kind of value (a column no source has is skipped).
NAME_COLUMNS = ("name", "mother_name", "father_name", "guardian1_name", "guardian2_name")
ID_COLUMNS = ("id_number", "mother_id", "father_id", "guardian1_id", "guardian2_id")
PHONE_COLUMNS = ("father_phone", "mother_phone", "guardian1_phone", "guardian2_phone")


@dataclass(frozen=True)
class ValueTables:
    """One parsed table per kind of value: ``raw`` plus the parser's fields."""

    names: pl.DataFrame
    ids: pl.DataFrame
    phones: pl.DataFrame


def pupil_id(pupil_no: pl.Series) -> pl.Series:
    """The identity number inside a student number ``G<identity number>`` (null for other forms)."""
    no = pl.col("pupil_no")
    return (
        pupil_no.alias("pupil_no")
        .to_frame()
        .select(pl.when(no.str.contains(r"^\s*[Gg]")).then(no.str.strip_chars().str.slice(1)))
        .to_series()
    )


def phone_table(values: pl.Series) -> pl.DataFrame:
    """One row per distinct raw phone text: ``raw`` and ``phone`` (the mobile number, or null)."""
    raw = pl.DataFrame({"raw": values.unique()}, schema={"raw": pl.Utf8})
    return raw.with_columns(parse_phone(pl.col("raw")).alias("phone"))


def value_tables(rows: pl.DataFrame, today: date | None) -> ValueTables:
    """The shared tables over the stacked child rows (``today`` bounds identity-number birth dates)."""

    def present(names: tuple[str, ...]) -> list[pl.Series]:
        # Null is always a value of the table: a column no source has is looked up as all null.
        return [*(rows[c] for c in names if c in rows.columns), pl.Series([None], dtype=pl.Utf8)]

    id_columns = present(ID_COLUMNS)
    if "pupil_no" in rows.columns:
        id_columns.append(pupil_id(rows["pupil_no"]))
    return ValueTables(
        names=names_for(present(NAME_COLUMNS)),
        ids=ids_for(id_columns, today),
        phones=phone_table(distinct_values(present(PHONE_COLUMNS))),
    )
