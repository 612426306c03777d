"""The per-cell columns the GX checks read, computed once per source in polars over whole frames.

GX on pandas is slow at anything but simple column tests, so every value is
read here and GX sees either a normalised string (checked with a regex or a
value set) or a boolean (checked to be ``True``).

Identity numbers, dates, months, divisions and phones are read by the
pipeline's own parsers (``taizhang.parsers``), so a liaison's report and the
pipeline never disagree about a cell: a value the report accepts is a value
standardization keeps, and a value it flags is one the pipeline cannot use.
What the report adds are its own rules on top of the parse: a 15-digit
number has no check digit to test, "not in the future" is a finding of its
own, and "in Jilin" is a membership test on the county the value names.

A check column is null wherever the raw value is empty, because GX column
checks skip nulls: an empty cell is only ever counted by the
``required_present`` check, never as a format error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

import polars as pl

from data_contracts import Column, Contract
from expectations.checks import Check, helper_name
from taizhang.parsers.dates import date_table, month_table
from taizhang.parsers.divisions import county_table, resolve_divisions
from taizhang.parsers.id_numbers import id_table
from taizhang.parsers.phones import parse_phone

# Column types read through a parser table of distinct values, joined back to the rows.
_PARSED_TYPES = ("id_number", "date", "month", "division")


def clean(expr: pl.Expr) -> pl.Expr:
    """NFKC (full-width digits and letters to ASCII), trimmed, empty to null.

    Text that is all ASCII is its own NFKC form, so only the other values are
    normalised (most cells of most columns are ASCII); the expression names
    the normalised text once, so it is computed once.
    """
    v = expr.cast(pl.Utf8)
    normal = pl.when(v.str.contains(r"^[\x00-\x7F]*$")).then(v).otherwise(v.str.normalize("NFKC"))
    return normal.str.strip_chars().replace("", None)


def _strip_excel_decimal(v: pl.Expr) -> pl.Expr:
    """``12.0`` (a number that passed through Excel) back to ``12``."""
    return pl.when(v.str.contains(r"^\d+\.0+$")).then(v.str.replace(r"\.0+$", "")).otherwise(v)


@cache
def jilin_county_codes() -> tuple[str, ...]:
    """Current county-level codes of Jilin, sorted (the "in Jilin" value set)."""
    current = county_table().filter(pl.col("is_jilin") & pl.col("is_current"))
    return tuple(sorted(current["code"].unique().to_list()))


def id_columns(values: pl.Series, today: date) -> pl.DataFrame:
    """One row per distinct value: ``raw``, ``id`` and ``id_check_ok``, from the pipeline's reading.

    ``id`` is the 18-character number standardization keeps (a 15-digit number
    upgraded), ``""`` where it keeps none (wrong length or characters, a birth
    date that is no real day or lies after ``today``, an Excel form whose
    digits are gone), null where nothing is written. ``id_check_ok`` is
    True/False for a written 18-character number whose check digit holds or
    not, null for anything else (a 15-digit number has no check digit; an
    unusable one is reported once, by its shape).
    """
    c = pl.col
    return id_table(values, today).select(
        "raw",
        pl.when(c("status") != "empty").then(c("number").fill_null("")).alias("id"),
        pl.when((c("status") == "valid") & c("repair").ne_missing("upgraded_15"))
        .then(True)
        .when(c("status") == "bad_check")
        .then(False)
        .alias("id_check_ok"),
    )


def date_columns(values: pl.Series, today: date) -> pl.DataFrame:
    """One row per distinct value: ``raw``, ``date_ok`` and ``date_not_future``, from the pipeline's reading.

    ``date_ok`` is whether standardization reads a date (a date in the future is
    read: it is the finding of ``date_not_future``, which is null where no date
    is read); both are null where nothing is written.
    """
    c = pl.col
    read = c("issue").is_null() | (c("issue") == "future")
    return date_table(values, today).select(
        "raw",
        pl.when(c("raw").is_not_null()).then(read).alias("date_ok"),
        pl.when(c("raw").is_not_null() & read).then(c("issue").is_null()).alias("date_not_future"),
    )


def month_columns(values: pl.Series) -> pl.DataFrame:
    """Per distinct value: ``raw`` and ``month_ok`` (standardization reads a month); null where empty."""
    return month_table(values).select(
        "raw", pl.when(pl.col("raw").is_not_null()).then(pl.col("month").is_not_null()).alias("month_ok")
    )


def division_columns(values: pl.Series) -> pl.DataFrame:
    """One row per distinct value: ``raw``, ``county`` and ``county_code``, from the pipeline's reading.

    ``county`` is the 6-digit county code standardization reads from a code, a
    name or an address, in any province, ``""`` where it reads none (fails the
    6-digit regex), null where nothing is written. ``county_code`` is the same
    code where there is one, for the "in Jilin" membership test: an unreadable
    value is reported once (by ``division_resolves``), not twice.
    """
    c = pl.col
    return resolve_divisions(values).select(
        "raw",
        pl.when(c("raw").is_not_null()).then(c("county").fill_null("")).alias("county"),
        c("county").alias("county_code"),
    )


def phone_helper(value: pl.Expr) -> pl.Expr:
    """The mobile number standardization reads from a cleaned cell, ``""`` where it reads none.

    The same parser as the pipeline's (:func:`taizhang.parsers.phones.parse_phone`); ``""``
    fails the mobile regex, and an empty cell stays null (not checked).
    """
    return pl.when(value.is_not_null()).then(pl.coalesce(parse_phone(value), pl.lit("")))


def _parsed_tables(frame: pl.DataFrame, columns: list[Column], today: date) -> dict[str, pl.DataFrame]:
    """Per parsed column: the check columns of its distinct values (the parsers deduplicate).

    Identity numbers are read column by column: the child's and each guardian's
    numbers barely overlap, and a small table per column keeps each join back
    small. Dates, months and divisions repeat across columns and are read once
    for all the columns of their type.
    """
    readers = {
        "date": lambda v: date_columns(v, today),
        "month": month_columns,
        "division": division_columns,
    }
    tables: dict[str, pl.DataFrame] = {}
    for column in columns:
        if column.type == "id_number":
            tables[column.name] = id_columns(frame[helper_name(column.name, "value")], today)
    for kind, read in readers.items():
        of_kind = [c for c in columns if c.type == kind]
        if of_kind:
            table = read(pl.concat([frame[helper_name(c.name, "value")] for c in of_kind]))
            tables |= {c.name: table for c in of_kind}
    return tables


def _simple_columns(column: Column) -> dict[str, pl.Expr]:
    """The check columns of a type that needs no parser table, from ``<col>__value``."""
    name = column.name
    value = pl.col(helper_name(name, "value"))
    t = column.type
    if t == "sex":
        return {helper_name(name, "sex"): value.str.to_uppercase()}
    if t == "phone":
        return {helper_name(name, "phone"): phone_helper(value)}
    if t == "integer":
        return {helper_name(name, "value"): _strip_excel_decimal(value)}
    if t == "birth_cert":
        return {helper_name(name, "value"): value.str.to_uppercase()}
    if t == "multi_enum":
        sep = column.separator or "、"
        items = value.str.split(sep).list.eval(pl.element().str.strip_chars())
        allowed = list(column.allowed)
        return {
            helper_name(name, "items_ok"): pl.when(value.is_not_null()).then(
                items.list.eval(
                    pl.element().filter(pl.element().str.len_chars() > 0).is_in(allowed)
                ).list.all()
            )
        }
    return {}


def helper_frame(
    contract: Contract, staged: pl.DataFrame, checks: Iterable[Check], today: date
) -> pl.DataFrame:
    """``file``, ``row_number`` and the check columns ``checks`` read, one row per staged row.

    The raw contract columns are not carried over: GX never sees more than it checks.
    ``today`` bounds dates and identity numbers' birth dates.
    """
    needed = sorted({c.helper for c in checks})
    wanted = [c for c in contract.columns if any(n.startswith(c.name + "__") for n in needed)]
    raw = {
        c.name: pl.col(c.name) if c.name in staged.columns else pl.lit(None, dtype=pl.Utf8) for c in wanted
    }
    frame = staged.select(
        pl.col("file").cast(pl.Utf8),
        pl.col("row_number").cast(pl.Int64),
        *(clean(raw[c.name]).alias(helper_name(c.name, "value")) for c in wanted),
    )
    tables = _parsed_tables(frame, [c for c in wanted if c.type in _PARSED_TYPES], today)
    for column in wanted:
        table = tables.get(column.name)
        if table is None:
            continue
        value = helper_name(column.name, "value")
        kinds = table.columns[1:]
        renamed = table.select(
            pl.col("raw").alias(value), *(pl.col(k).alias(helper_name(column.name, k)) for k in kinds)
        )
        frame = frame.join(renamed, on=value, how="left", nulls_equal=True, maintain_order="left")
    simple = [e.alias(n) for c in wanted for n, e in _simple_columns(c).items()]
    if simple:
        frame = frame.with_columns(simple)
    return frame.select("file", "row_number", *needed)
