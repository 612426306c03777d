"""Read one extract file into rows of text cells, each row kept at its place. The only file I/O of ingest.

Every row below a header is a row, as a person counts rows: blank rows, rows
of error values, damaged rows are kept (and quarantined later), so that the
row after them keeps its number. A reader returns, per sheet (one for a CSV),
rows of text cells ``c0..cN`` with ``_pos``, the row number Excel shows in its
margin, and ``_damage``, the reason code of a row the reader could not split
into fields (null for a readable row).

CSV: decoded in Python (``taizhang.ingest.encoding``), split into lines once.
Lines without a ``"`` (nearly all) are split into fields by polars on the
whole column, lines whose quotes pair on the line by polars' CSV reader; only
lines whose quotes do not pair go through the ``csv`` module, one record at a
time, in strict mode, so that a stray quote costs its own row and not the
rest of the file: a field may run on over the next lines only when the record
that makes has the header's field count.

XLSX: read with fastexcel (calamine); all cells as text, the way Excel shows
them: dates as ISO dates, whole numbers without ``.0``, numbers too long for a
double (identity numbers typed as numbers) in exponent form, so that no digit
is invented, and error cells as the error value (``#N/A``), not as empty.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import polars as pl

from taizhang.ingest.encoding import decode_csv
from taizhang.ingest.model import FileProblem

EMPTY_FILE = FileProblem(
    "empty_file",
    "文件为空（无内容，或只有表头没有数据行）。",
    "the file is empty (no bytes, or a header and no data rows).",
)
# A quoted field may hold line breaks; a record spanning more lines than this is a stray quote.
_MAX_RECORD_LINES = 20
# A line of nothing but delimiters and spaces: an empty row, whatever its field count.
_DELIMITERS_ONLY = r"^[,\s\x{3000}]*$"
_BLANK_LINE = r"^[\s\x{3000}]*$"
# A record whose quotes pair on its line: fields either quoted ("" for a quote) or free of quotes.
_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_WELL_FORMED = rf'^(?:{_QUOTED_FIELD}|[^",]*)(?:,(?:{_QUOTED_FIELD}|[^",]*))*$'
_SPACE_CHARS = " \t\r\u3000"


def cell_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def _with_cells(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Pad ``frame`` with null cells up to ``c{width-1}``."""
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in cell_names(width) if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame


# --------------------------------------------------------------------------- CSV


@dataclass
class CsvText:
    """A decoded CSV file split into physical lines (a trailing ``\r`` stays on its line)."""

    lines: pl.Series
    encoding: str
    marker: str | None  # stands for undecodable bytes, if the file had any
    final_newline: bool


@dataclass(frozen=True)
class CsvRecord:
    pos: int  # 1-based record number: the row Excel shows
    next_line: int  # index of the line after the record
    cells: list[str | None] | None  # None: the record's quoting is broken


def read_csv_text(path: Path) -> CsvText:
    """Decode a CSV extract; raises :class:`FileProblem` for files that are no text at all."""
    data = path.read_bytes()
    if not data.strip():
        raise EMPTY_FILE
    decoded = decode_csv(data)
    del data
    final_newline = decoded.text.endswith("\n")
    lines = pl.Series("line", [decoded.text], dtype=pl.String).str.split("\n").explode()
    if final_newline:
        lines = lines.head(lines.len() - 1)
    return CsvText(lines, decoded.encoding, decoded.marker, final_newline)


@contextmanager
def _no_field_limit() -> Iterator[None]:
    """Let the csv module read fields of any length (an enormous cell is judged later, as a row)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _strict_fields(text: str) -> list[str] | None:
    """The fields of one record in strict CSV, or None when its quoting is broken."""
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error:
        return None


def _parse_at(lines: pl.Series, i: int, widths: tuple[int, int] | None) -> tuple[list[str] | None, int]:
    """Fields of the record starting at line ``i`` and how many lines it spans.

    A line with an odd number of quotes may open a field that runs on over
    the next lines; the record is taken only if it closes within
    ``_MAX_RECORD_LINES`` lines and (when ``widths`` is given) its field count
    fits the header. Otherwise line ``i`` alone is a broken record, and the
    next line is read as a record of its own.
    """
    line = lines[i]
    if '"' not in line:
        return line.removesuffix("\r").split(","), 1
    quotes = 0
    for span in range(1, _MAX_RECORD_LINES + 1):
        if i + span > len(lines):
            break
        quotes += lines[i + span - 1].count('"')
        if quotes % 2:
            continue
        fields = _strict_fields("\n".join(lines.slice(i, span).to_list()).removesuffix("\r"))
        if fields is None:
            break
        if span == 1 or widths is None or _fits(fields, widths):
            return fields, span
        break
    return None, 1


def _fits(fields: list[str], widths: tuple[int, int]) -> bool:
    """A record fits a header of ``widths`` (named cells, all cells) fields; extra fields must be empty."""
    low, high = widths
    return len(fields) >= low and not any(f.strip(_SPACE_CHARS) for f in fields[high:])


def csv_head(text: CsvText, n_records: int) -> list[CsvRecord]:
    """The first records of the file (blank lines too), for finding the header."""
    records: list[CsvRecord] = []
    i = 0
    with _no_field_limit():
        while i < len(text.lines) and len(records) < n_records:
            fields, span = _parse_at(text.lines, i, None)
            cells = None if fields is None else [f if f.strip(_SPACE_CHARS) else None for f in fields]
            records.append(CsvRecord(len(records) + 1, i + span, cells))
            i += span
    return records


def _scatter(n: int, at: list[int]) -> pl.Series:
    """A Boolean series of length ``n``, true at ``at``."""
    out = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    return out.scatter(at, True) if at else out


def csv_rows(text: CsvText, start: int, first_pos: int, widths: tuple[int, int]) -> pl.DataFrame:
    """The data records from line ``start``: ``_pos``, ``_damage``, cells ``c0..c{widths[1]-1}``.

    ``widths`` is (cells up to the header's last named cell, all header
    cells). Trailing blank lines are no rows; every other line is. Each step
    is one polars pass over all lines; Python looks only at the few lines
    whose quotes do not pair, or whose field count is off.
    """
    low, high = widths
    line = text.lines.slice(start)
    n = line.len()
    if n == 0:
        return _with_cells(pl.DataFrame(schema={"_pos": pl.Int64, "_damage": pl.String}), high)
    quote_at = line.str.contains('"', literal=True).arg_true()
    pairs = line.gather(quote_at).str.strip_suffix("\r").str.contains(_WELL_FORMED)
    well_formed = _scatter(n, quote_at.filter(pairs).to_list())
    odd_at = quote_at.filter(~pairs).to_list()

    # Records whose quotes do not pair on their line: parsed one by one; a field
    # running over lines consumes them.
    parsed: dict[int, list[str] | None] = {}
    consumed: set[int] = set()
    joined: dict[int, str] = {}
    with _no_field_limit():
        for i in odd_at:
            if i in consumed:
                continue
            fields, span = _parse_at(line, i, widths)
            parsed[i] = fields
            consumed.update(range(i + 1, i + span))
            if span > 1:
                # The record's text (its line breaks kept) stands in the first line's place.
                joined[i] = "\n".join(line.slice(i, span).to_list())
    if joined:
        line = line.scatter(list(joined), pl.Series(list(joined.values()), dtype=pl.String))

    frame = pl.DataFrame(
        {
            "_line": pl.int_range(0, n, dtype=pl.Int64, eager=True),
            "_text": line.str.strip_suffix("\r"),
            "_wf": well_formed,
            "_py": _scatter(n, list(parsed)),
        }
    )
    if consumed:
        frame = frame.filter(~pl.col("_line").is_in(pl.Series(sorted(consumed), dtype=pl.Int64).implode()))
    # Trailing empty lines are no rows (a line of delimiters is: someone wrote it).
    content = frame.select(pl.col("_text").str.contains(_BLANK_LINE).not_().arg_true()).to_series()
    if content.len() == 0:
        return _with_cells(pl.DataFrame(schema={"_pos": pl.Int64, "_damage": pl.String}), high)
    frame = frame.head(int(content[-1]) + 1).with_columns(
        pl.int_range(first_pos, first_pos + pl.len(), dtype=pl.Int64).alias("_pos"),
        pl.col("_text").str.contains(_DELIMITERS_ONLY).alias("_blank"),
        # Field count; quoted fields (which may hold commas) taken out first.
        (
            pl.when(pl.col("_wf"))
            .then(pl.col("_text").str.replace_all(_QUOTED_FIELD, ""))
            .otherwise(pl.col("_text"))
            .str.count_matches(",", literal=True)
            + 1
        ).alias("_count"),
    )

    # Whether each record fits the header: decided in Python for the few whose count is off.
    odd_count = frame.filter(
        ~pl.col("_py") & ~pl.col("_blank") & ((pl.col("_count") < low) | (pl.col("_count") > high))
    )
    misfit = [i for i, f in parsed.items() if f is not None and not _fits(f, widths)]
    with _no_field_limit():
        for i, t, wf in odd_count.select("_line", "_text", "_wf").iter_rows():
            fields = (_strict_fields(t) or []) if wf else t.split(",")
            if not _fits(fields, widths):
                misfit.append(i)
    broken = pl.Series([i for i, f in parsed.items() if f is None], dtype=pl.Int64).implode()
    misfit_s = pl.Series(misfit, dtype=pl.Int64).implode()
    cut = (pl.int_range(pl.len()) == pl.len() - 1) & pl.lit(not text.final_newline)
    damage = pl.when(pl.col("_blank")).then(pl.lit(None, dtype=pl.String))
    if text.marker is not None:
        damage = damage.when(pl.col("_text").str.contains(text.marker, literal=True)).then(
            pl.lit("undecodable")
        )
    is_broken = pl.col("_line").is_in(broken)
    is_misfit = pl.col("_line").is_in(misfit_s)
    damage = (
        damage.when(cut & (is_broken | is_misfit))
        .then(pl.lit("truncated_row"))
        .when(is_broken)
        .then(pl.lit("bad_quote"))
        .when(is_misfit)
        .then(pl.lit("ragged_row"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = frame.with_columns(damage.alias("_damage"))

    # Cells: records without quotes split by polars, records quoted well on their
    # line parsed by polars' CSV reader, the others from the csv module.
    names = cell_names(high)
    plain = frame.filter(~pl.col("_py") & ~pl.col("_wf"))
    parts = [
        plain.select(
            "_line",
            pl.col("_text").str.split_exact(",", max(high - 1, 0)).struct.rename_fields(names).alias("_f"),
        ).unnest("_f")
    ]
    rows = {i: (f or []) for i, f in parsed.items()}
    quoted_lines = frame.filter(pl.col("_wf"))
    if quoted_lines.height:
        body = quoted_lines.select(pl.col("_text").str.join("\n")).item()
        cells = pl.read_csv(
            (",".join(names) + "\n" + body + "\n").encode(),
            has_header=True,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
        if cells.height == quoted_lines.height:
            parts.append(cells.select(pl.Series("_line", quoted_lines["_line"]), *names))
        else:  # the two parsers disagree: trust the csv module, line by line
            with _no_field_limit():
                rows |= {
                    i: _strict_fields(t) or [] for i, t in quoted_lines.select("_line", "_text").iter_rows()
                }
    if rows:
        padded = [f[:high] + [""] * (high - len(f[:high])) for f in rows.values()]
        columns = list(zip(*padded, strict=True)) if padded else [() for _ in names]
        parts.append(
            pl.DataFrame(
                {"_line": pl.Series(list(rows), dtype=pl.Int64)}
                | {c: pl.Series(c, col, dtype=pl.String) for c, col in zip(names, columns, strict=True)}
            )
        )
    # An empty field is null, as an empty Excel cell is; every line has its cells now, in order.
    cells = pl.concat(parts, how="vertical").sort("_line").drop("_line")
    # A damaged row's cells are not trusted: they stay null, only the reason tells about the row.
    ok = frame["_damage"].is_null()
    return frame.select("_pos", "_damage").hstack(
        cells.select(pl.when(ok).then(pl.col(c).replace("", None)).alias(c) for c in names)
    )


# --------------------------------------------------------------------------- XLSX

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
