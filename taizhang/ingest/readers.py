"""Read one extract file into raw text cells, keeping row identity. The only file I/O of ingest.

A reader returns a :class:`RawTable`: the header cells as written, every data
row that has the header's field count as text cells ``c0..cN`` with its
1-based ``row_number``, and the rows that cannot be split into fields
(``ragged_row``, ``undecodable``). Mapping to a contract and the other row
checks happen afterwards, on whole frames (``taizhang.ingest.rows``).

CSV: decoded in Python (``taizhang.ingest.encoding``), split by polars on the
UTF-8 text; the csv module only counts each record's fields, which polars
cannot report and which ragged-row detection needs. Both parsers see the
same records (blank lines included), which is checked; if they ever
disagree the csv module's records are used instead.

XLSX: read with fastexcel (calamine); all cells as text, the way Excel shows
them: dates as ISO dates, whole numbers without ``.0``, and numbers too long
for a double (identity numbers typed as numbers) in exponent form, so that no
digit is invented.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from taizhang.ingest.encoding import decode_csv
from taizhang.ingest.headers import normalize_header
from taizhang.ingest.model import FileProblem

_EMPTY_FILE = FileProblem(
    "empty_file",
    "文件为空（无内容，或只有表头没有数据行）。",
    "the file is empty (no bytes, or a header and no data rows).",
)
_BLANK = r"^[\s\x{3000}]*$"


@dataclass
class RawTable:
    """Text cells of one file before contract mapping."""

    headers: list[str | None]
    cells: pl.DataFrame  # row_number (Int64) + c0..c{n-1} (String), rows of the right width
    rejected: pl.DataFrame  # row_number (Int64), reason_code (String): ragged_row / undecodable
    rows_read: int
    encoding: str | None = None
    sheets: list[str] = field(default_factory=list)
    sheets_ignored: list[str] = field(default_factory=list)


def _cell_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


# --------------------------------------------------------------------------- CSV


def _field_counts(body: bytes) -> list[int]:
    """Number of fields of every CSV record (0 for a blank line), quote-aware."""
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        stream = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
        return list(map(len, csv.reader(stream)))
    finally:
        csv.field_size_limit(limit)


def _csv_records_fallback(body: bytes, width: int) -> pl.DataFrame:
    """All records via the csv module, padded to ``width`` (used only if polars splits differently)."""
    stream = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
    rows = list(csv.reader(stream))
    columns = list(itertools.zip_longest(*rows, fillvalue=None)) if rows else [() for _ in range(width)]
    frame = pl.DataFrame(
        {
            name: pl.Series(name, col, dtype=pl.String)
            for name, col in zip(_cell_names(width), columns, strict=False)
        }
    )
    # the csv module yields "" for empty fields; polars yields null. Keep one convention: null.
    return frame.with_columns(pl.all().replace("", None))


def read_csv_raw(path: Path) -> RawTable:
    """Read a CSV extract; raises :class:`FileProblem` for files that cannot be read at all."""
    data = path.read_bytes()
    if not data.strip():
        raise _EMPTY_FILE
    decoded = decode_csv(data)
    del data
    counts = _field_counts(decoded.body)
    width = max(counts) if counts else 0
    if width == 0:
        raise _EMPTY_FILE
    names = _cell_names(width)
    # A synthetic header of the widest record's width makes polars keep every field.
    frame = pl.read_csv(
        (",".join(names) + "\n").encode() + decoded.body,
        has_header=True,
        infer_schema=False,
        truncate_ragged_lines=True,
        quote_char='"',
    )
    if frame.height != len(counts):
        frame = _csv_records_fallback(decoded.body, width)
    if frame.height != len(counts):  # pragma: no cover - both parsers are the csv module then
        raise AssertionError("record count mismatch between CSV parsers")
    frame = frame.with_columns(pl.Series("_count", counts, dtype=pl.Int32))
    # Blank lines (nothing, or only spaces, and no delimiter) are not data rows.
    blank = (pl.col("_count") == 0) | (
        (pl.col("_count") == 1) & pl.col("c0").fill_null("").str.contains(_BLANK)
    )
    frame = frame.filter(~blank)
    if frame.height == 0:
        raise _EMPTY_FILE
    header_width = int(frame["_count"][0])
    headers = [frame[name][0] for name in names[:header_width]]
    rows = (
        frame.slice(1)
        .with_row_index("row_number", offset=1)
        .with_columns(pl.col("row_number").cast(pl.Int64))
    )
    if rows.height == 0:
        raise _EMPTY_FILE
    if decoded.marker is not None:
        undecodable = pl.any_horizontal(
            pl.col(names).str.contains(decoded.marker, literal=True).fill_null(False)
        )
    else:
        undecodable = pl.lit(False)
    reason = (
        pl.when(undecodable)
        .then(pl.lit("undecodable"))
        .when(pl.col("_count") != header_width)
        .then(pl.lit("ragged_row"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    rows = rows.with_columns(reason.alias("reason_code"))
    rejected = rows.filter(pl.col("reason_code").is_not_null()).select("row_number", "reason_code")
    cells = rows.filter(pl.col("reason_code").is_null()).select("row_number", *names[:header_width])
    return RawTable(
        headers=headers,
        cells=cells,
        rejected=rejected,
        rows_read=rows.height,
        encoding=decoded.encoding,
    )


# --------------------------------------------------------------------------- XLSX

_DATE_CELL = re.compile(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$").pattern
_LONG_INTEGER = r"^-?\d{17,}$"
_NUMERIC_CELL = re.compile(
    rb"<c\b([^>]*)>\s*<v>(-?[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+|-?[0-9]{17,}(?:\.0*)?)</v>"
)
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


def _numeric_long_cells(data: bytes, sheet_index: int) -> tuple[int, dict[int, list[int]]]:
    """Positions of number-typed cells too long for 15 significant digits, read from the sheet XML.

    calamine renders such a number with invented digits (2.20102201503151e17
    as ``220102201503151008``), identical to a text cell holding those
    digits; only the cell type in the XML tells them apart. Returns the
    0-based sheet row of the first cell with a value (where calamine's range
    starts) and, per 0-based sheet column, the 0-based sheet rows of such
    numbers.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        paths = _sheet_xml_paths(zf)
        if sheet_index >= len(paths) or paths[sheet_index] not in zf.namelist():
            return 0, {}
        xml = zf.read(paths[sheet_index])
    first = _FIRST_VALUE_CELL.search(xml)
    first_ref = _CELL_REF.search(first.group(1)) if first else None
    if first_ref is None:
        return 0, {}
    cells: dict[int, list[int]] = {}
    for m in _NUMERIC_CELL.finditer(xml):
        ref = _CELL_REF.search(m.group(1))
        if ref is None or _STRING_TYPE.search(m.group(1)):
            continue
        cells.setdefault(_column_index(ref.group(1)), []).append(int(ref.group(2)) - 1)
    return int(first_ref.group(2)) - 1, cells


def _excel_text(
    reader: fastexcel.ExcelReader, sheet: fastexcel.ExcelSheet, data: bytes, index: int, text: pl.DataFrame
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
    row_offset, cells = _numeric_long_cells(data, index)
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


def _load_sheet(
    reader: fastexcel.ExcelReader, data: bytes, index: int
) -> tuple[list[str | None], pl.DataFrame]:
    """Header cells and data rows (c0..cN) of one sheet; header on the first non-empty row."""
    sheet = reader.load_sheet(index, header_row=None, dtypes="string")
    text = sheet.to_polars()
    if text.width == 0 or text.height == 0:
        return [], pl.DataFrame()
    text.columns = _cell_names(text.width)
    text = _excel_text(reader, sheet, data, index, text)
    non_blank = pl.any_horizontal(pl.all().fill_null("").str.contains(_BLANK).not_())
    marks = text.select(non_blank.alias("x"))["x"]
    if not marks.any():
        return [], pl.DataFrame()
    first = int(marks.arg_true()[0])
    headers = list(text.row(first))
    body = text.slice(first + 1)
    # Rows with no cell at all are not data rows (like blank CSV lines);
    # rows of spaces are, and are quarantined as empty_row later.
    body = body.filter(pl.any_horizontal(pl.all().is_not_null()))
    # Drop trailing columns with neither a header nor a value.
    keep = len(headers)
    while keep > 0 and (headers[keep - 1] is None or not str(headers[keep - 1]).strip()):
        if body[f"c{keep - 1}"].is_not_null().any():
            break
        keep -= 1
    return headers[:keep], body.select(_cell_names(keep))


def read_xlsx_raw(path: Path) -> RawTable:
    """Read an XLSX extract: the first sheet, plus every later sheet with the same header."""
    data = path.read_bytes()
    if not data:
        raise _EMPTY_FILE
    if not data.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "binary_garbage",
            "文件扩展名为 xlsx，但内容不是 Excel 工作簿，无法读取。",
            "the file is named .xlsx but is not an Excel workbook.",
        )
    corrupt = FileProblem(
        "corrupt_xlsx",
        "Excel 工作簿已损坏或不完整（可能传输中断），无法读取。",
        "the Excel workbook is damaged or truncated and cannot be read.",
    )
    try:
        reader = fastexcel.read_excel(data)
        sheet_names = list(reader.sheet_names)
        loaded = [_load_sheet(reader, data, i) for i in range(len(sheet_names))]
    except (fastexcel.FastExcelError, zipfile.BadZipFile, KeyError) as exc:
        raise corrupt from exc
    first = next((i for i, (h, _) in enumerate(loaded) if h), None)
    if first is None:
        raise _EMPTY_FILE
    key = [normalize_header(h) for h in loaded[first][0]]
    headers = loaded[first][0]
    used, ignored, parts = [], [], []
    for i, name in enumerate(sheet_names):
        sheet_headers, body = loaded[i]
        if not sheet_headers:
            continue
        if [normalize_header(h) for h in sheet_headers] != key:
            ignored.append(name)
            continue
        used.append(name)
        parts.append(body)
    rows = pl.concat(parts, how="vertical") if parts else pl.DataFrame()
    if rows.height == 0:
        raise _EMPTY_FILE
    rows = rows.with_row_index("row_number", offset=1).with_columns(pl.col("row_number").cast(pl.Int64))
    return RawTable(
        headers=headers,
        cells=rows,
        rejected=pl.DataFrame(schema={"row_number": pl.Int64, "reason_code": pl.String}),
        rows_read=rows.height,
        sheets=used,
        sheets_ignored=ignored,
    )
