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
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from taizhang.emit.memory_workbook import MemoryWorkbook
from taizhang.emit.sheet_rows import Column, not_plain, plain_dtype, write_rows
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


@cache
def _width(name: str) -> pl.Expr:
    """The display width of column ``name``'s widest value: CJK characters count double."""
    text = pl.col(name).cast(pl.Utf8).fill_null("")
    return (text.str.len_chars() + (text.str.len_bytes() - text.str.len_chars()) // 2).max().fill_null(0)


def _kind(dtype: pl.DataType) -> str:
    """How a column's values are written: ``date``, ``number`` or ``text`` (booleans as 是/否)."""
    if dtype == pl.Date or dtype == pl.Datetime:
        return "date"
    if dtype != pl.Boolean and dtype.is_numeric():
        return "number"
    return "text"


def _cell_values(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return pl.col(name).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
    return pl.col(name)


@dataclass(frozen=True)
class SheetValues:
    """A sheet's rows as they are written, and what the sheet's layout needs to know of them."""

    values: pl.DataFrame  # masked, ``序号`` first, booleans as 是/否
    schema: dict[str, pl.DataType]  # the columns' types before booleans became 是/否
    widths: list[int]  # display width of each column, header included
    plain: bool  # every value can go the column-wise way (sheet_rows.write_rows)

    @property
    def height(self) -> int:
        return self.values.height


def sheet_values_by(frame: pl.DataFrame, key: str | None) -> tuple[dict[Any, SheetValues], SheetValues]:
    """The sheets of ``frame`` (rows in their final order, those of one ``key`` together), one
    per value of column ``key`` (a county), made for the whole frame at once; and the sheet of
    a county without rows.

    Masking, the serial numbers, 是/否, the widths and the check for values that need
    xlsxwriter's own writer are each one pass over the province, not one per county: a
    county's sheet is a slice of the result (no copy). ``key=None`` makes one sheet (key ``None``).
    """
    frame = mask_sensitive(frame)
    names = [name for name in frame.columns if name != key]
    schema = {SERIAL_COLUMN: pl.Int64(), **{name: frame.schema[name] for name in names}}
    serial = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    keys = [pl.col(key)] if key else []
    lazy = frame.lazy().select(*keys, (serial.over(key) if key else serial).alias(SERIAL_COLUMN), *names)
    values = lazy.select(*keys, *(_cell_values(name, dtype) for name, dtype in schema.items()))
    shown = {name: pl.Utf8() if dtype == pl.Boolean else dtype for name, dtype in schema.items()}
    plain_types = all(plain_dtype(dtype, _kind(schema[name])) for name, dtype in shown.items())
    checks = [
        not_plain(name, _kind(dtype)).alias(f"p{i}")
        for i, (name, dtype) in enumerate(schema.items())
        if plain_types and dtype != pl.Boolean
    ]
    aggregates = [*(_width(name).alias(f"w{i}") for i, name in enumerate(schema)), *checks]
    facts = lazy.group_by(key).agg(aggregates) if key else lazy.select(aggregates)
    values_df, facts_df = pl.collect_all([values, facts])
    parts = _runs(values_df, key) if key else {None: values_df}
    headers = [len(c) * 2 for c in schema]

    def sheet(part: pl.DataFrame, found: tuple[Any, ...]) -> SheetValues:
        widths = [min(MAX_WIDTH, max(w or 0, h) + 2) for w, h in zip(found, headers, strict=False)]
        return SheetValues(part, schema, widths, plain_types and not any(found[len(schema) :]))

    width = len(aggregates)
    rows = facts_df.rows() if key else [(None, *facts_df.row(0))]
    sheets = {row[0]: sheet(parts[row[0]], row[1 : width + 1]) for row in rows if row[0] in parts}
    empty = sheet(values_df.clear().drop(key) if key else values_df.clear(), (0,) * len(schema))
    return sheets, empty


def _runs(frame: pl.DataFrame, key: str) -> dict[Any, pl.DataFrame]:
    """``frame`` (rows of one ``key`` together) cut into its keys' rows, as slices."""
    runs = frame.get_column(key).rle().struct.unnest().rows()
    if len({value for _, value in runs}) != len(runs):
        raise ValueError(f"rows of one {key} are not together")
    values = frame.drop(key)
    parts, offset = {}, 0
    for length, value in runs:
        parts[value] = values.slice(offset, length)
        offset += length
    return parts


def sheet_values(frame: pl.DataFrame) -> SheetValues:
    """The one sheet of ``frame`` (see :func:`sheet_values_by`)."""
    sheets, _ = sheet_values_by(frame, None)
    return sheets[None]


def _columns(sheet: SheetValues, fmt_of: Callable[[str, pl.DataType], Format]) -> list[Column]:
    """Each column of ``sheet`` with its cell format and kind, by the column's type before
    booleans became 是/否."""
    return [
        (col, sheet.values[column], fmt_of(column, dtype), _kind(dtype))
        for col, (column, dtype) in enumerate(sheet.schema.items())
    ]


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
    wb: Workbook, name: str, frame: pl.DataFrame | SheetValues, text_columns: Sequence[str] = ()
) -> Worksheet:
    """Write ``frame`` (Chinese headers, rows in final order) as a sheet with a ``序号`` column.

    Utf8 columns are written with ``write_string``; columns named in
    ``text_columns`` (identity numbers, phones, codes) are also formatted as
    text (``@``) so a user typing into them keeps the digits. Dates become
    Excel dates, integers numbers. The header row is frozen and filtered.
    """
    sheet = frame if isinstance(frame, SheetValues) else sheet_values(frame)
    frame, widths = sheet.values, sheet.widths
    ws = wb.add_worksheet(name)
    header_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    text_fmt = wb.add_format({"num_format": "@"})
    date_fmt = wb.add_format({"num_format": DATE_FORMAT})
    plain_fmt = wb.add_format({})
    for col, column in enumerate(frame.columns):
        ws.set_column(col, col, widths[col], text_fmt if column in text_columns else None)
        ws.write_string(0, col, column, header_fmt)

    def fmt_of(column: str, dtype: pl.DataType) -> Format:
        if dtype in (pl.Date, pl.Datetime):
            return date_fmt
        textual = not dtype.is_numeric() and dtype != pl.Boolean
        return text_fmt if column in text_columns and textual else plain_fmt

    columns = _columns(sheet, fmt_of)
    if not write_rows(ws, columns, frame.height, plain=sheet.plain):
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
    frame: pl.DataFrame | SheetValues,
    text_columns: Sequence[str] = (),
) -> Worksheet:
    """A sheet laid out like a paper registration form: a title, group headers over field headers.

    ``groups`` are (group title, field headers) in order; ``frame`` holds the
    fields in that order (blank columns for what a visit fills in). The three
    header rows repeat on every printed page.
    """
    sheet = frame if isinstance(frame, SheetValues) else sheet_values(frame)
    frame, widths = sheet.values, sheet.widths
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
    for c, column in enumerate(frame.columns):
        ws.set_column(c, c, min(max(widths[c], 6), 24), text_fmt if column in text_columns else None)

    def fmt_of(column: str, dtype: pl.DataType) -> Format:
        if dtype in (pl.Date, pl.Datetime):
            return date_fmt
        return text_fmt if column in text_columns else cell_fmt

    # The row heights set above are on header rows only, so the data rows go the whole-rows way.
    columns = _columns(sheet, fmt_of)
    if not write_rows(ws, columns, frame.height, FORM_HEADER_ROWS, plain=sheet.plain):
        _write_cells(ws, columns, frame.height, row0=FORM_HEADER_ROWS)
    ws.freeze_panes(FORM_HEADER_ROWS, 2)
    ws.autofilter(FORM_HEADER_ROWS - 1, 0, frame.height + FORM_HEADER_ROWS - 1, frame.width - 1)
    a4_print_setup(ws, title, header_rows=FORM_HEADER_ROWS)
    return ws
