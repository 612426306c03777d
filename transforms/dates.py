"""Dates and months as the departments write them, parsed in polars.

Accepted day forms: ``2015-03-15``, ``2015/3/15``, ``2015.03.15``,
``20150315``, ``2015年3月15日``, an Excel serial day number (``42078``, days
since 1899-12-30, the epoch that absorbs Excel's 1900 leap-year bug), and the
same followed by a time of day (spreadsheet cells exported as datetimes).
Month forms (入学年月): ``2021-09``, ``2021/9``, ``2021.09``, ``202109``,
``2021年9月``; a full date is accepted there too and gives its month.

A value that cannot be read never raises: the date is null and the issue is
named (``unparseable``, ``impossible_date``, ``future``, ``before_1900``), so
the validation report can count them. Day/month swaps are common when a
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


def _parts(text: pl.Expr, patterns: tuple[str, ...], n: int) -> list[pl.Expr]:
    """Year, month[, day] as Int32 from the first pattern that matches."""
    out = []
    for g in range(1, n + 1):
        out.append(pl.coalesce(text.str.extract(p, g) for p in patterns).cast(pl.Int32, strict=False))
    return out


def _make_date(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """A Date from integer parts, null when the parts do not form a real calendar date."""
    text = y.cast(pl.Utf8).str.zfill(4) + m.cast(pl.Utf8).str.zfill(2) + d.cast(pl.Utf8).str.zfill(2)
    return pl.when(y.is_between(1, 9999) & m.is_between(1, 12) & d.is_between(1, 31)).then(
        text.str.to_date("%Y%m%d", strict=False)
    )


def parse_date(raw: pl.Expr, today: date | None = None) -> pl.Expr:
    """Struct ``{date, alt, issue}`` from raw date text.

    ``date`` is null when empty or unreadable (``issue`` says why, null when
    empty or fine); ``alt`` is the day/month swap when plausible (day ≤ 12,
    day ≠ month, a real date, not in the future). ``today`` bounds dates
    (default: the current date).
    """
    today = today or date.today()
    text = _clean(raw)
    y, m, d = _parts(text, (_SEPARATED, _CHINESE, _COMPACT), 3)
    serial = text.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    from_serial = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    from_parts = _make_date(y, m, d)
    parsed = pl.coalesce(from_parts, from_serial.cast(pl.Date))
    matched = y.is_not_null() | serial.is_not_null()
    too_old = parsed < pl.lit(date(1900, 1, 1))
    future = parsed > pl.lit(today)
    issue = (
        pl.when(text.is_null())
        .then(None)
        .when(~matched)
        .then(pl.lit("unparseable"))
        .when(parsed.is_null())
        .then(pl.lit("impossible_date"))
        .when(future)
        .then(pl.lit("future"))
        .when(too_old)
        .then(pl.lit("before_1900"))
    )
    good = pl.when(issue.is_null()).then(parsed)
    sy, sm, sd = good.dt.year(), good.dt.month(), good.dt.day()
    swapped = _make_date(sy.cast(pl.Int32), sd.cast(pl.Int32), sm.cast(pl.Int32))
    alt = pl.when((sd <= 12) & (sd != sm) & (swapped <= pl.lit(today))).then(swapped)
    return pl.struct(good.alias("date"), alt.alias("alt"), issue.cast(pl.Utf8).alias("issue"))


def to_date(raw: pl.Expr, today: date | None = None) -> pl.Expr:
    """Just the parsed Date (for columns that need no issue or alternative)."""
    return parse_date(raw, today).struct.field("date")


def parse_month(raw: pl.Expr) -> pl.Expr:
    """First day of the month named by raw text (入学年月), or null."""
    text = _clean(raw)
    y, m = _parts(text, (_MONTH_SEPARATED, _MONTH_CHINESE, _MONTH_COMPACT), 2)
    month = _make_date(y, m, pl.lit(1, pl.Int32))
    full = to_date(raw, date(9999, 12, 31))
    return pl.coalesce(month, full.dt.month_start())
