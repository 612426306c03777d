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
:func:`add_table_sheet` does. The workbook is a
:class:`~taizhang.emit.memory_workbook.MemoryWorkbook`: the same bytes, without
xlsxwriter's temporary files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from taizhang.emit.memory_workbook import MemoryWorkbook
from taizhang.emit.sheet_rows import Column, write_rows
from taizhang.masking import mask_sensitive
from taizhang.period import Period

SERIAL_COLUMN = "序号"
MAX_WIDTH = 48
DATE_FORMAT = "yyyy-mm-dd"
# The registration form's title, group and field rows above its data rows.
FORM_HEADER_ROWS = 3


def fixed_timestamp(period: Period) -> datetime:
    """The created/modified date written into every workbook of ``period``: its as-of date."""
    return datetime(period.as_of.year, period.as_of.month, period.as_of.day)


def new_workbook(path: Path, period: Period, title: str) -> Workbook:
    """A workbook whose bytes depend only on what is written into it and on ``period``."""
    wb = MemoryWorkbook(
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


def _columns(frame: pl.DataFrame, fmt_of: Callable[[str, pl.DataType], Format]) -> list[Column]:
    """Each column of ``frame`` with its cell format and kind; booleans become 是/否."""
    columns: list[Column] = []
    for col, (column, dtype) in enumerate(frame.schema.items()):
        values = frame[column]
        if dtype == pl.Date or dtype == pl.Datetime:
            kind = "date"
        elif dtype == pl.Boolean:
            values = values.replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
            kind = "text"
        elif dtype.is_numeric():
            kind = "number"
        else:
            kind = "text"
        columns.append((col, values, fmt_of(column, dtype), kind))
    return columns


def _write_cells(ws: Worksheet, columns: list[Column], height: int, row0: int = 1) -> None:
    """Rows ``row0`` … cell by cell, top to bottom (constant_memory flushes a row as the next starts)."""
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
                blank(row + row0, col, None, fmt)
            else:
                write(row + row0, col, value, fmt)


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
    for col, column in enumerate(frame.columns):
        ws.set_column(col, col, widths[col], text_fmt if column in text_columns else None)
        ws.write_string(0, col, column, header_fmt)

    def fmt_of(column: str, dtype: pl.DataType) -> Format:
        if dtype in (pl.Date, pl.Datetime):
            return date_fmt
        textual = not dtype.is_numeric() and dtype != pl.Boolean
        return text_fmt if column in text_columns and textual else plain_fmt

    columns = _columns(frame, fmt_of)
    if not write_rows(ws, columns, frame.height):
        _write_cells(ws, columns, frame.height)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, frame.height, frame.width - 1)
    a4_print_setup(ws, name, header_rows=1)
    return ws


A4 = 9  # xlsxwriter's paper code for A4


def a4_print_setup(ws: Worksheet, title: str, header_rows: int) -> None:
    """Landscape A4, one page wide, the header rows on every printed page, title and page numbers."""
    ws.set_paper(A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, header_rows - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header(f'&C&"宋体,Bold"{title.replace("&", "&&")}')
    ws.set_footer("&C第 &P 页，共 &N 页")


def add_form_sheet(
    wb: Workbook,
    name: str,
    title: str,
    groups: Sequence[tuple[str, Sequence[str]]],
    frame: pl.DataFrame,
    text_columns: Sequence[str] = (),
) -> Worksheet:
    """A sheet laid out like a paper registration form: a title, group headers over field headers.

    ``groups`` are (group title, field headers) in order; ``frame`` holds the
    fields in that order (blank columns for what a visit fills in). The three
    header rows repeat on every printed page.
    """
    frame = mask_sensitive(frame)
    frame = frame.select(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(SERIAL_COLUMN), pl.all())
    ws = wb.add_worksheet(name)
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    group_fmt = wb.add_format(
        {"bold": True, "bg_color": "#BDD7EE", "border": 1, "align": "center", "valign": "vcenter"}
    )
    header_fmt = wb.add_format(
        {
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
        }
    )
    cell_fmt = wb.add_format({"border": 1, "valign": "top", "text_wrap": True})
    text_fmt = wb.add_format({"border": 1, "valign": "top", "num_format": "@"})
    date_fmt = wb.add_format({"border": 1, "valign": "top", "num_format": DATE_FORMAT})
    # Top to bottom, as constant_memory needs: title, group row, field row, then the children.
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, frame.width - 1, title, title_fmt)
    ws.write_string(1, 0, SERIAL_COLUMN, group_fmt)
    col = 1
    for group, fields in groups:
        if len(fields) > 1:
            ws.merge_range(1, col, 1, col + len(fields) - 1, group, group_fmt)
        else:
            ws.write_string(1, col, group, group_fmt)
        col += len(fields)
    ws.set_row(2, 32)
    ws.write_blank(2, 0, None, group_fmt)
    col = 1
    for _, fields in groups:
        for k, field in enumerate(fields):
            ws.write_string(2, col + k, field, header_fmt)
        col += len(fields)
    widths = _display_widths(frame)
    for c, column in enumerate(frame.columns):
        ws.set_column(c, c, min(max(widths[c], 6), 24), text_fmt if column in text_columns else None)

    def fmt_of(column: str, dtype: pl.DataType) -> Format:
        if dtype in (pl.Date, pl.Datetime):
            return date_fmt
        return text_fmt if column in text_columns else cell_fmt

    # The row heights set above are on header rows only, so the data rows go the whole-rows way.
    columns = _columns(frame, fmt_of)
    if not write_rows(ws, columns, frame.height, FORM_HEADER_ROWS):
        _write_cells(ws, columns, frame.height, row0=FORM_HEADER_ROWS)
    ws.freeze_panes(FORM_HEADER_ROWS, 2)
    ws.autofilter(FORM_HEADER_ROWS - 1, 0, frame.height + FORM_HEADER_ROWS - 1, frame.width - 1)
    a4_print_setup(ws, title, header_rows=FORM_HEADER_ROWS)
    return ws
