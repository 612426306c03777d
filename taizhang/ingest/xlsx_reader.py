"""Read an XLSX extract into rows of text cells per sheet (see ``taizhang.ingest.cells``).

Read with fastexcel (calamine); all cells as text, the way Excel shows them:
dates as ISO dates, whole numbers without ``.0``, numbers too long for a double
(identity numbers typed as numbers) in exponent form, so that no digit is
invented, and error cells as the error value (``#N/A``), not as empty.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import fastexcel
import polars as pl

from taizhang.ingest.cells import EMPTY_FILE, cell_names
from taizhang.ingest.results import FileProblem

_DATE_CELL = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$").pattern
_LONG_INTEGER = r"^-?\d{17,}$"
_NUMERIC_CELL = re.compile(
    rb"<c\b([^>]*)>\s*<v>(-?[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+|-?[0-9]{17,}(?:\.0*)?)</v>"
)
_LONG_NUMBER_VALUE = re.compile(rb"<v>(?:-?[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+|-?[0-9]{17,}(?:\.0*)?)</v>")
_STRING_TYPE = re.compile(rb'\bt="(?:s|str|inlineStr|e|b)"')
_CELL_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_FIRST_VALUE_CELL = re.compile(rb"<c\b([^>]*)>\s*(?:<f\b[^>]*(?:/>|>[^<]*</f>)\s*)?<(?:v|is)\b")


def _sheet_xml_paths(zf: zipfile.ZipFile) -> list[str]:
    """Worksheet XML paths in workbook (sheet) order, from workbook.xml and its relationships."""
    workbook = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'\bId="([^"]+)"', rel.group(0))
        target = re.search(r'\bTarget="([^"]+)"', rel.group(0))
        if rid and target:
            t = target.group(1).lstrip("/")
            targets[rid.group(1)] = t if t.startswith("xl/") else f"xl/{t}"
    paths = []
    for sheet in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        rid = re.search(r'\br:id="([^"]+)"|\b\w+:id="([^"]+)"', sheet.group(0))
        key = (rid.group(1) or rid.group(2)) if rid else None
        paths.append(targets.get(key or "", ""))
    return paths


def _column_index(letters: bytes) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ch - 64)
    return index - 1


def _numeric_long_cells(xml: bytes) -> tuple[int, dict[int, list[int]]]:
    """Positions of number-typed cells too long for 15 significant digits, read from the sheet XML.

    calamine renders such a number with invented digits (2.20102201503151e17
    as ``220102201503151008``), identical to a text cell holding those
    digits; only the cell type in the XML tells them apart. Returns the
    0-based sheet row of the first cell with a value (where calamine's range
    starts) and, per 0-based sheet column, the 0-based sheet rows of such
    numbers.
    """
    first = _FIRST_VALUE_CELL.search(xml)
    first_ref = _CELL_REF.search(first.group(1)) if first else None
    if first_ref is None:
        return 0, {}
    cells: dict[int, list[int]] = {}
    # Find the long numbers by their ``<v>`` first (nearly every cell fails there), then read
    # the tag of the cell each one is in.
    for value in _LONG_NUMBER_VALUE.finditer(xml):
        m = _NUMERIC_CELL.match(xml, xml.rfind(b"<c", 0, value.start()))
        if m is None or m.end() != value.end():
            continue
        ref = _CELL_REF.search(m.group(1))
        if ref is None or _STRING_TYPE.search(m.group(1)):
            continue
        cells.setdefault(_column_index(ref.group(1)), []).append(int(ref.group(2)) - 1)
    return int(first_ref.group(2)) - 1, cells


def _excel_text(
    reader: fastexcel.ExcelReader, sheet: fastexcel.ExcelSheet, xml: bytes, index: int, text: pl.DataFrame
) -> pl.DataFrame:
    """Fix the cells calamine renders differently from Excel: dates and over-long numbers."""
    names = text.columns
    text = text.with_columns(
        pl.when(pl.col(c).str.contains(_DATE_CELL))
        .then(pl.col(c).str.slice(0, 10))
        .otherwise(pl.col(c))
        .alias(c)
        for c in names
    )
    long_cols = [c for c in names if text[c].str.contains(_LONG_INTEGER).any()]
    if not long_cols:
        return text
    row_offset, cells = _numeric_long_cells(xml)
    absolute = {f"c{info.index}": info.absolute_index for info in sheet.available_columns()}
    targets = {c: cells[absolute[c]] for c in long_cols if absolute.get(c) in cells}
    if not targets:
        return text
    positions = [int(c[1:]) for c in targets]
    floats = reader.load_sheet(index, header_row=None, dtypes="float", use_columns=positions).to_polars()
    floats.columns = list(targets)
    sheet_row = pl.int_range(pl.len(), dtype=pl.Int64) + row_offset
    return text.with_columns(
        pl.when(sheet_row.is_in(pl.Series(rows, dtype=pl.Int64).implode()) & floats[c].is_not_null())
        .then(floats[c].cast(pl.String))
        .otherwise(pl.col(c))
        .alias(c)
        for c, rows in targets.items()
    )


_ERROR_TEXT = {
    "NA": "#N/A",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "Div0": "#DIV/0!",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "GettingData": "#GETTING_DATA",
}
_CELL_ERROR = re.compile(r"Error\((\w+)\)")
_ERROR_CELL = (b't="e"', b"t='e'")  # an error cell's type in the sheet XML


def _first_value_row(xml: bytes) -> int:
    """1-based Excel row of the sheet's first cell with a value: where calamine's rows start.

    A sheet whose cells carry no reference (``r="B3"``) is counted by its
    ``<row>`` elements.
    """
    first = _FIRST_VALUE_CELL.search(xml)
    if first is None:
        return 1
    ref = _CELL_REF.search(first.group(1))
    if ref is not None:
        return int(ref.group(2))
    return max(1, len(re.findall(rb"<(?:\w+:)?row\b", xml[: first.start()])))


def _with_error_values(frame: pl.DataFrame, errors: object) -> pl.DataFrame:
    """Put each error cell's value (``#N/A``) where calamine left a null."""
    by_column: dict[int, tuple[list[int], list[str]]] = {}
    for error in getattr(errors, "errors", ()):
        kind = _CELL_ERROR.search(str(error.detail))
        if kind is None:
            continue
        row, col = error.position
        rows, values = by_column.setdefault(col, ([], []))
        rows.append(row)
        values.append(_ERROR_TEXT.get(kind.group(1), f"#{kind.group(1).upper()}"))
    if not by_column:
        return frame
    columns = []
    for i, name in enumerate(frame.columns):
        series = frame[name]
        if i in by_column:
            rows, values = by_column[i]
            series = series.clone().scatter(rows, pl.Series(values, dtype=pl.String))
        columns.append(series)
    return pl.DataFrame(columns)


def _load_sheet(reader: fastexcel.ExcelReader, xml: bytes, index: int) -> pl.DataFrame:
    """Every row of one sheet from its first cell with a value: ``_pos``, ``_damage`` (null), ``c0..cN``."""
    sheet = reader.load_sheet(index, header_row=None, dtypes="string")
    # calamine leaves error cells null and names them only beside an arrow batch.
    if any(mark in xml for mark in _ERROR_CELL):
        batch, errors = sheet.to_arrow_with_errors()
        text = pl.DataFrame(pl.from_arrow(batch))
    else:
        text, errors = sheet.to_polars(), None
    if text.width == 0 or text.height == 0:
        return pl.DataFrame(schema={"_pos": pl.Int64, "_damage": pl.String})
    text.columns = cell_names(text.width)
    text = _with_error_values(text, errors)
    text = _excel_text(reader, sheet, xml, index, text)
    first = _first_value_row(xml)
    return text.select(
        pl.int_range(first, first + pl.len(), dtype=pl.Int64).alias("_pos"),
        pl.lit(None, dtype=pl.String).alias("_damage"),
        pl.all(),
    )


def read_xlsx_sheets(path: Path) -> list[tuple[str, pl.DataFrame]]:
    """Every sheet of an XLSX extract, in sheet order, as (name, rows); raises :class:`FileProblem`."""
    data = path.read_bytes()
    if not data:
        raise EMPTY_FILE
    if not data.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "not_a_workbook",
            "文件扩展名为 xlsx，但内容不是 Excel 工作簿，无法读取。",
            "the file is named .xlsx but is not an Excel workbook.",
        )
    try:
        reader = fastexcel.read_excel(data)
        names = list(reader.sheet_names)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            paths = _sheet_xml_paths(zf)
            present = set(zf.namelist())
            xmls = [zf.read(p) if p in present else b"" for p in paths]
        xmls += [b""] * (len(names) - len(xmls))
        return [(name, _load_sheet(reader, xmls[i], i)) for i, name in enumerate(names)]
    except Exception as exc:  # calamine's errors may quote cell text: never pass them on
        raise FileProblem(
            "corrupt_xlsx",
            "Excel 工作簿已损坏或不完整（可能传输中断），无法读取。",
            "the Excel workbook is damaged or truncated and cannot be read.",
        ) from exc
