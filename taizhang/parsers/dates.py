"""Dates and months as the departments write them, parsed in polars.

Accepted day forms: ``2015-03-15``, ``2015/3/15``, ``2015.03.15``,
``20150315``, ``2015年3月15日``, an Excel serial day number (``42078``, days
since 1899-12-30, the epoch that absorbs Excel's 1900 leap-year bug), and the
same followed by a time of day (spreadsheet cells exported as datetimes).
Month forms (入学年月): ``2021-09``, ``2021/9``, ``2021.09``, ``202109``,
``2021年9月``; a full date is accepted there too and gives its month.

A value that cannot be read never raises: the date is null and the issue is
named (``unparseable``, ``impossible_date``, ``future``, ``before_1900``), so
the validation report can count them. Parsing runs on distinct values and
joins back. Day/month swaps are common when a
foreign-locale spreadsheet touched the file: when the day is at most 12 and
differs from the month, the swapped date is offered as ``alt``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

DATE_ISSUES = ("unparseable", "impossible_date", "future", "before_1900")
EXCEL_EPOCH = date(1899, 12, 30)

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_SEPARATED = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$"
_CHINESE = r"^(\d{4})年(\d{1,2})月(\d{1,2})日?" + _TIME + "$"
_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_SERIAL = r"^(\d{5})(?:\.0+)?$"
_MONTH_SEPARATED = r"^(\d{4})[-/.](\d{1,2})$"
_MONTH_CHINESE = r"^(\d{4})年(\d{1,2})月?$"
_MONTH_COMPACT = r"^(\d{4})(\d{2})$"


def _clean(raw: pl.Expr) -> pl.Expr:
    text = raw.str.normalize("NFKC").str.strip_chars()
    return pl.when(text.str.len_chars() > 0).then(text)


def _first_match(text: pl.Expr, patterns: tuple[str, ...], group: int) -> pl.Expr:
    return pl.coalesce(text.str.extract(p, group) for p in patterns).cast(pl.Int32, strict=False)


def _make_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """A Date from integer parts, null when the parts do not form a real calendar date."""
    text = y.cast(pl.Utf8).str.zfill(4) + m.cast(pl.Utf8).str.zfill(2) + d.cast(pl.Utf8).str.zfill(2)
    return pl.when(y.is_between(1, 9999) & m.is_between(1, 12) & d.is_between(1, 31)).then(
        text.str.to_date("%Y%m%d", strict=False)
    )


def _distinct(values: pl.Series) -> pl.LazyFrame:
    return (
        pl.DataFrame({"raw": values.unique()}, schema={"raw": pl.Utf8})
        .lazy()
        .with_columns(_clean(pl.col("raw")).alias("text"))
    )


def date_table(values: pl.Series, today: date | None = None) -> pl.DataFrame:
    """One row per distinct raw value: ``raw``, ``date``, ``alt``, ``issue``.

    ``date`` is null when empty or unreadable (``issue`` says why; null when
    empty or fine); ``alt`` is the day/month swap when plausible (day ≤ 12,
    day ≠ month, a real date, not in the future). ``today`` bounds dates
    (default: the current date). Steps materialise their columns one after
    the other, which keeps polars' plan small.
    """
    today = today or date.today()
    c = pl.col
    day_forms = (_SEPARATED, _CHINESE, _COMPACT)
    lf = (
        _distinct(values)
        .with_columns(
            _first_match(c("text"), day_forms, 1).alias("y"),
            _first_match(c("text"), day_forms, 2).alias("m"),
            _first_match(c("text"), day_forms, 3).alias("d"),
            c("text").str.extract(_SERIAL, 1).cast(pl.Int64, strict=False).alias("serial"),
        )
        .with_columns(
            pl.coalesce(
                _make_date(c("y"), c("m"), c("d")),
                (pl.lit(EXCEL_EPOCH) + pl.duration(days=c("serial"))).cast(pl.Date),
            ).alias("parsed"),
            (c("y").is_not_null() | c("serial").is_not_null()).alias("matched"),
        )
        .with_columns(
            pl.when(c("text").is_null())
            .then(None)
            .when(~c("matched"))
            .then(pl.lit("unparseable"))
            .when(c("parsed").is_null())
            .then(pl.lit("impossible_date"))
            .when(c("parsed") > pl.lit(today))
            .then(pl.lit("future"))
            .when(c("parsed") < pl.lit(date(1900, 1, 1)))
            .then(pl.lit("before_1900"))
            .cast(pl.Utf8)
            .alias("issue")
        )
        .with_columns(pl.when(c("issue").is_null()).then(c("parsed")).alias("date"))
        .with_columns(
            c("date").dt.month().cast(pl.Int32).alias("gm"),
            c("date").dt.day().cast(pl.Int32).alias("gd"),
        )
        .with_columns(_make_date(c("date").dt.year().cast(pl.Int32), c("gd"), c("gm")).alias("swapped"))
        .with_columns(
            pl.when((c("gd") <= 12) & (c("gd") != c("gm")) & (c("swapped") <= pl.lit(today)))
            .then(c("swapped"))
            .alias("alt")
        )
    )
    return lf.select("raw", "date", "alt", "issue").collect().sort("raw", nulls_last=True)


def month_table(values: pl.Series) -> pl.DataFrame:
    """One row per distinct raw value: ``raw`` and ``month`` (first day of the month named, or null)."""
    c = pl.col
    month_forms = (_MONTH_SEPARATED, _MONTH_CHINESE, _MONTH_COMPACT)
    months = (
        _distinct(values)
        .with_columns(
            _first_match(c("text"), month_forms, 1).alias("y"),
            _first_match(c("text"), month_forms, 2).alias("m"),
        )
        .with_columns(_make_date(c("y"), c("m"), pl.lit(1, pl.Int32)).alias("month"))
        .select("raw", "month")
        .collect()
    )
    full = date_table(values, date(9999, 12, 31)).select("raw", c("date").dt.month_start().alias("full"))
    return (
        months.join(full, on="raw", how="left", nulls_equal=True)
        .select("raw", pl.coalesce("month", "full").alias("month"))
        .sort("raw", nulls_last=True)
    )


def with_date_columns(
    df: pl.DataFrame,
    raw_column: str,
    prefix: str,
    today: date | None = None,
    fields: tuple[str, ...] = ("date", "alt", "issue"),
) -> pl.DataFrame:
    """Add ``{prefix}`` (the date) and ``{prefix}_alt`` / ``{prefix}_issue`` parsed from ``raw_column``."""
    names = {"date": prefix, "alt": f"{prefix}_alt", "issue": f"{prefix}_issue"}
    table = date_table(df[raw_column].cast(pl.Utf8), today).select(
        pl.col("raw").alias(raw_column), *[pl.col(f).alias(names[f]) for f in fields]
    )
    return df.join(table, on=raw_column, how="left", nulls_equal=True, maintain_order="left")


def with_month_column(df: pl.DataFrame, raw_column: str, name: str) -> pl.DataFrame:
    """Add ``name``: the first day of the month in ``raw_column`` (入学年月)."""
    table = month_table(df[raw_column].cast(pl.Utf8)).select(
        pl.col("raw").alias(raw_column), pl.col("month").alias(name)
    )
    return df.join(table, on=raw_column, how="left", nulls_equal=True, maintain_order="left")
