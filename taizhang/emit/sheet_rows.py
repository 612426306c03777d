"""The data rows of a sheet as worksheet XML, built column-wise with polars.

xlsxwriter spends about 6 µs of Python per cell; a province's workbooks hold
about nine million cells, which is most of the emit stage. In
``constant_memory`` mode xlsxwriter writes each finished row as XML text to a
temporary file, so the same text can be made for all rows at once with
polars string expressions and handed to that file instead: the bytes are the
ones xlsxwriter would have written cell by cell (``tests/emit`` compares them),
but the work is done column-wise in Rust.

Only what the ledgers use is made this way: text, integers, dates and blanks
under one format per column. A sheet with anything else (floats, datetimes,
strings that need xlsxwriter's control-character escapes or truncation), or a
worksheet state this module does not reproduce (row heights on the data rows,
Excel 2010 extensions), returns None and is written cell by cell as before.
Heights of header rows above the data (the registration form's title and
field rows) are written by xlsxwriter itself and do not stand in the way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

import polars as pl
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from taizhang.emit.memory_workbook import TextParts

# Excel counts days from 1899-12-31 and wrongly has a 29 February 1900: from
# 1 March 1900 on, a date's serial number is its distance from 1899-12-30.
_EXCEL_EPOCH = date(1899, 12, 30)
_FIRST_PLAIN_DATE = date(1900, 3, 1)
_DAYS_1970 = (date(1970, 1, 1) - _EXCEL_EPOCH).days
# xlsxwriter escapes these itself (``_xHHHH_``) and cuts strings past 32,767 UTF-16 units.
_NEEDS_ESCAPE = r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_"
_MAX_PLAIN_LEN = 32767 // 2
_MAX_EXACT_INT = 10**15

# Rows whose XML is made in one polars query (about 10 MB of XML).
ROWS_PER_PIECE = 20_000

# (column index, values, cell format, kind): kind is "text", "number" or "date".
Column = tuple[int, pl.Series, Format, str]


def can_write_rows(ws: Worksheet, first_row: int = 1) -> bool:
    """Whether ``ws`` is in the state whose row XML this module reproduces for rows ``first_row`` on."""
    return (
        getattr(ws, "constant_memory", False)
        and getattr(ws, "excel_version", None) == 2007
        and all(row < first_row for row in ws.row_info)
        and ws.default_row_height == ws.original_row_height
        and getattr(ws, "fh", None) is not None
    )


_ROW = pl.col("_row")


@cache
def _cell(i: int, col: int, xf_index: int, kind: str) -> tuple[pl.Expr, ...]:
    """The parts of the ``<c>`` element of column ``c{i}`` at sheet column ``col`` with style
    ``xf_index``, to be joined with the rest of the row in one ``concat_str``.

    Built once per (column, style, kind) and reused: a province's workbooks have some
    six hundred sheets of the same few layouts, and building polars expressions costs Python time.
    """
    c = pl.col(f"c{i}")
    if kind == "text":
        # One pass escapes all three characters (each replaced once, as xlsxwriter's chain does).
        escaped = c.str.replace_many(["&", "<", ">"], ["&amp;", "&lt;", "&gt;"])
        open_t = (
            pl.when(c.str.contains(r"^\s|\s$"))
            .then(pl.lit(' t="inlineStr"><is><t xml:space="preserve">'))
            .otherwise(pl.lit(' t="inlineStr"><is><t>'))
        )
        filled = pl.concat_str(open_t, escaped, pl.lit("</t></is></c>"))
    else:
        text = c.cast(pl.Utf8) if kind == "number" else (c.cast(pl.Int64) + _DAYS_1970).cast(pl.Utf8)
        filled = pl.concat_str(pl.lit("><v>"), text, pl.lit("</v></c>"))
    # ``filled`` is null where the value is: such a cell is written empty, with its style.
    return pl.lit(f'<c r="{xl_col_to_name(col)}'), _ROW, pl.lit(f'" s="{xf_index}"'), filled.fill_null("/>")


@cache
def not_plain(name: str, kind: str) -> pl.Expr:
    """True when a value of column ``name`` (of ``kind``) needs what only xlsxwriter's own writer
    does; an aggregate, so a sheet's columns are checked in one ``select``."""
    c = pl.col(name)
    if kind == "text":
        return (c.str.contains(_NEEDS_ESCAPE) | (c.str.len_chars() > _MAX_PLAIN_LEN)).any().alias(name)
    if kind == "number":
        return (c.abs() >= _MAX_EXACT_INT).any().alias(name)
    return (c < _FIRST_PLAIN_DATE).any().alias(name)


def plain_dtype(dtype: pl.DataType, kind: str) -> bool:
    """Whether values of ``dtype`` written as ``kind`` are ones this module writes."""
    if kind == "text":
        return dtype == pl.Utf8
    if kind == "number":
        return dtype.is_integer()
    return kind == "date" and dtype == pl.Date


def plain_columns(columns: Sequence[Column]) -> bool:
    """Whether every value can be written as this module writes it (no xlsxwriter escapes needed)."""
    if not all(plain_dtype(values.dtype, kind) for _, values, _, kind in columns):
        return False
    frame = pl.DataFrame([values.alias(f"c{i}") for i, (_, values, _, _) in enumerate(columns)])
    return not any(frame.select(not_plain(f"c{i}", kind) for i, (_, _, _, kind) in enumerate(columns)).row(0))


def rows_xml(columns: Sequence[Column], height: int, first_row: int = 1) -> bytes:
    """The ``<row>`` elements of sheet rows ``first_row`` … (0-based) for :func:`plain_columns`,
    encoded in UTF-8 as the xlsx file holds them (polars' own bytes, never decoded to a Python str).

    Each format's style index is taken here, in column order, as xlsxwriter takes it when it
    writes the first row of cells.
    """
    cells = [
        part
        for i, (col, _, fmt, kind) in enumerate(columns)
        for part in _cell(i, col, fmt._get_xf_index(), kind)
    ]
    frame = pl.DataFrame([values.alias(f"c{i}") for i, (_, values, _, _) in enumerate(columns)])
    xml = (
        frame.lazy()
        .with_columns((pl.int_range(0, height, dtype=pl.Int64) + first_row + 1).cast(pl.Utf8).alias("_row"))
        .select(
            pl.concat_str(pl.lit('<row r="'), _ROW, pl.lit('">'), *cells, pl.lit("</row>"))
            .str.join("")
            .cast(pl.Binary)
        )
        .collect()
    )
    return xml.item()


def write_rows(
    ws: Worksheet, columns: Sequence[Column], height: int, first_row: int = 1, plain: bool | None = None
) -> bool:
    """Write rows ``first_row`` … ``first_row + height - 1`` of ``ws`` (the header rows above
    them already written) at once.

    ``plain`` is :func:`plain_columns` of ``columns`` when the caller has checked it already.
    Returns False, having written nothing, when the cell-by-cell path must do it (or when there
    is no row: a style index taken for no cell would change the workbook's styles).
    """
    if height == 0 or not columns or not can_write_rows(ws, first_row):
        return False
    if not (plain_columns(columns) if plain is None else plain):
        return False
    last_row = first_row + height - 1
    ws._check_dimensions(last_row, max(col for col, _, _, _ in columns))
    # Flush the last header row as xlsxwriter does when a later row starts (its style index
    # first), then append the data rows.
    ws._write_single_row(last_row + 1)
    # Made a piece of rows at a time, so a big county's sheet never holds its rows' XML several
    # times over while polars builds it. A MemoryWorkbook's sink takes the encoded rows as they
    # are; a file takes text.
    for start in range(0, height, ROWS_PER_PIECE):
        n = min(ROWS_PER_PIECE, height - start)
        piece = [(col, values.slice(start, n), fmt, kind) for col, values, fmt, kind in columns]
        xml = rows_xml(piece, n, first_row + start)
        ws.fh.write(xml if isinstance(ws.fh, TextParts) else xml.decode("utf-8"))
    return True
