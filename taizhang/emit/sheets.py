"""Deterministic xlsx workbooks for people (county ledgers, push lists, summary).

xlsxwriter is used because it writes exactly what it is told: identity numbers
and phones as text cells (never numbers that Excel rounds to 2.2e17), dates as
real dates. Reruns give byte-identical files: the zip members carry a fixed
1980 timestamp (xlsxwriter sets it on the parts it zips) and the document's
created date is fixed from the period. Strings are never turned into formulas
or links, so a name that starts with ``=`` stays a name.

Workbooks are written in xlsxwriter's ``constant_memory`` mode: each row goes
to disk as soon as the next one starts, with its strings inline, so a county
of 20,000 children costs one row of memory, not a table of cell objects and a
shared-string index. Rows must then be written top to bottom, which
:func:`add_table_sheet` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from taizhang.emit.mask import mask_sensitive
from taizhang.emit.sheet_rows import Column, write_rows
from taizhang.period import Period

SERIAL_COLUMN = "序号"
MAX_WIDTH = 48
DATE_FORMAT = "yyyy-mm-dd"


def fixed_timestamp(period: Period) -> datetime:
    """The created/modified date written into every workbook of ``period``: its as-of date."""
    return datetime(period.as_of.year, period.as_of.month, period.as_of.day)


def new_workbook(path: Path, period: Period, title: str) -> Workbook:
    """A workbook whose bytes depend only on what is written into it and on ``period``."""
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_date_format": DATE_FORMAT,
        },
    )
    wb.set_properties(
        {
            "title": mask_sensitive(title),
            "author": "taizhang",
            "company": "吉林省民政厅",
            "created": fixed_timestamp(period),
        }
    )
    return wb


def _display_widths(frame: pl.DataFrame) -> list[int]:
    """Column widths from the widest value: CJK characters count double."""
    if frame.width == 0:
        return []
    text = frame.select(pl.all().cast(pl.Utf8).fill_null(""))
    widths = text.select(
        (pl.col(c).str.len_chars() + (pl.col(c).str.len_bytes() - pl.col(c).str.len_chars()) // 2)
        .max()
        .fill_null(0)
        .alias(c)
        for c in text.columns
    ).row(0)
    headers = [len(c) * 2 for c in frame.columns]
    return [min(MAX_WIDTH, max(w, h) + 2) for w, h in zip(widths, headers, strict=True)]


def _write_cells(ws: Worksheet, columns: list[Column], height: int) -> None:
    """Rows 1 … ``height`` cell by cell, top to bottom (constant_memory flushes a row as the next starts)."""
    writers = {"date": ws.write_datetime, "number": ws.write_number, "text": ws.write_string}
    prepared = []
    for col, series, fmt, kind in columns:
        values = series.to_list()
        if kind == "text" and series.dtype != pl.Utf8:
            values = [None if v is None else str(v) for v in values]
        prepared.append((col, values, fmt, writers[kind]))
    blank = ws.write_blank
    for row in range(height):
        for col, values, fmt, write in prepared:
            value = values[row]
            if value is None:
                blank(row + 1, col, None, fmt)
            else:
                write(row + 1, col, value, fmt)


def add_table_sheet(
    wb: Workbook, name: str, frame: pl.DataFrame, text_columns: Sequence[str] = ()
) -> Worksheet:
    """Write ``frame`` (Chinese headers, rows in final order) as a sheet with a ``序号`` column.

    Utf8 columns are written with ``write_string``; columns named in
    ``text_columns`` (identity numbers, phones, codes) are also formatted as
    text (``@``) so a user typing into them keeps the digits. Dates become
    Excel dates, integers numbers. The header row is frozen and filtered.
    """
    frame = mask_sensitive(frame)
    frame = frame.select(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(SERIAL_COLUMN), pl.all())
    ws = wb.add_worksheet(name)
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    text_fmt = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    plain_fmt = wb.add_format({})
    widths = _display_widths(frame)
    columns: list[Column] = []
    for col, (column, dtype) in enumerate(frame.schema.items()):
        ws.set_column(col, col, widths[col], text_fmt if column in text_columns else None)
        ws.write_string(0, col, column, header_fmt)
        values = frame[column]
        if dtype == pl.Date or dtype == pl.Datetime:
            fmt, kind = date_fmt, "date"
        elif dtype == pl.Boolean:
            values = values.replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
            fmt, kind = plain_fmt, "text"
        elif dtype.is_numeric():
            fmt, kind = plain_fmt, "number"
        else:
            fmt, kind = (text_fmt if column in text_columns else plain_fmt), "text"
        columns.append((col, values, fmt, kind))
    if not write_rows(ws, columns, frame.height):
        _write_cells(ws, columns, frame.height)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, frame.height, frame.width - 1)
    return ws
