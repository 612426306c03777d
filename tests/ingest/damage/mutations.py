"""A mutation layer for extract files: each kind of damage docs/extracts.md says arrives.

It knows nothing of how the clean files were made. It takes a table (a header
and rows of text cells), renders it as a CSV in a given encoding or as an
XLSX workbook, and applies generic damage on the way: rows inserted (blank,
error values, totals, a lone number, mojibake), bytes of one row broken
(invalid bytes, NUL bytes, a stray quote, a field too many or too few, an
enormous cell), the file cut inside its last row, a title above the header,
annotations on the header, the rows spread over sheets.

Every rendered row carries its provenance: the index of the clean row it
shows, or None for a row the damage made, with the reason codes the reader
may give it. So a test can say, for every row a person counts in the damaged
file, which clean row must be there with its values, or why it must be
quarantined.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import xlsxwriter

ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
# "quoted": UTF-8 with every field quoted, as some systems export.
FORMATS = (*ENCODINGS, "quoted", "xlsx")


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str | None]]


@dataclass(frozen=True)
class Line:
    """One row of the damaged file, as a person counts it."""

    cells: list[str | None] | None  # None: the row is written by ``text``/``errors`` alone
    origin: int | None = None  # index of the clean row it shows
    codes: frozenset[str] = frozenset()  # reasons the reader may give a damaged row
    text: str | None = None  # CSV: the line as written, when not rendered from cells
    prefix: bytes = b""  # CSV: bytes put before the encoded line
    errors: bool = False  # XLSX: every cell an error value


@dataclass
class Doc:
    header: list[str]
    lines: list[Line]
    title: bool = False  # a title row (merged in a workbook) and a blank row above the header
    sheets: int = 1  # a workbook's rows spread over this many sheets (with a notes sheet between)
    decorated: bool = False  # header cells carry annotations, stars and spaces
    cut: bool = False  # CSV: the file ends inside its last row
    notes: list[str] = field(default_factory=list)  # which damage was applied, for failure messages


def clean(table: Table) -> Doc:
    return Doc(list(table.header), [Line(list(r), origin=i) for i, r in enumerate(table.rows)])


# --------------------------------------------------------------------------- damage


def _insert(doc: Doc, k: int, line: Line, note: str) -> Doc:
    k = min(k, len(doc.lines))
    return replace(doc, lines=[*doc.lines[:k], line, *doc.lines[k:]], notes=[*doc.notes, f"{note}@{k}"])


def _damage(doc: Doc, k: int, make: Callable[[Line], Line], note: str) -> Doc:
    k = min(k, len(doc.lines) - 1)
    lines = list(doc.lines)
    lines[k] = make(lines[k])
    return replace(doc, lines=lines, notes=[*doc.notes, f"{note}@{k}"])


def _width(doc: Doc) -> int:
    return len(doc.header)


def _row_text(cells: list[str | None], quote_all: bool = False) -> str:
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(out, lineterminator="", quoting=quoting).writerow(["" if c is None else c for c in cells])
    return out.getvalue()


def _text(line: Line, quote_all: bool = False) -> str:
    return line.text if line.text is not None else _row_text(line.cells or [], quote_all)


def blank_row(doc: Doc, k: int) -> Doc:
    return _insert(doc, k, Line([None] * _width(doc), codes=frozenset({"empty_row"}), text=""), "blank_row")


def delimiter_row(doc: Doc, k: int) -> Doc:
    line = Line([None] * _width(doc), codes=frozenset({"empty_row"}), text="," * (_width(doc) - 1))
    return _insert(doc, k, line, "delimiter_row")


def error_row(doc: Doc, k: int) -> Doc:
    cells = ["#N/A", "#REF!", "#VALUE!", "#DIV/0!"] * _width(doc)
    line = Line(cells[: _width(doc)], codes=frozenset({"error_values"}), errors=True)
    return _insert(doc, k, line, "error_row")


def total_row(doc: Doc, k: int) -> Doc:
    cells: list[str | None] = [None] * _width(doc)
    cells[0] = "合计"
    if len(cells) > 1:
        cells[1] = "共312人"
    return _insert(doc, k, Line(cells, codes=frozenset({"total_row"})), "total_row")


def serial_only(doc: Doc, k: int) -> Doc:
    cells: list[str | None] = [None] * _width(doc)
    cells[0] = str(k + 1)
    return _insert(doc, k, Line(cells, codes=frozenset({"serial_only"})), "serial_only")


def zero_row(doc: Doc, k: int) -> Doc:
    cells: list[str | None] = [None] * _width(doc)
    cells[-1] = "0"
    return _insert(doc, k, Line(cells, codes=frozenset({"serial_only"})), "zero_row")


def mojibake_row(doc: Doc, k: int) -> Doc:
    cells = (["锟斤拷锟斤拷", "????", None] * _width(doc))[: _width(doc)]
    return _insert(doc, k, Line(cells, codes=frozenset({"garbled_row"})), "mojibake_row")


def _bytes_before(prefix: bytes, code: str) -> Callable[[Line], Line]:
    return lambda ln: replace(ln, origin=None, codes=frozenset({code}), prefix=prefix)


def undecodable_bytes(doc: Doc, k: int) -> Doc:
    # 0xFF is valid in neither UTF-8 nor GB18030.
    return _damage(doc, k, _bytes_before(b"\xff\xfe\xff", "undecodable"), "undecodable")


def nul_bytes(doc: Doc, k: int) -> Doc:
    return _damage(doc, k, _bytes_before(b"\x00\x00", "control_characters"), "nul")


def stray_quote(doc: Doc, k: int) -> Doc:
    codes = frozenset({"bad_quote", "ragged_row"})
    return _damage(
        doc, k, lambda ln: replace(ln, origin=None, codes=codes, text='"' + _text(ln)), "stray_quote"
    )


def field_too_many(doc: Doc, k: int) -> Doc:
    def grow(ln: Line) -> Line:
        cells = [*(ln.cells or []), "多余的值"]
        return replace(ln, cells=cells, origin=None, codes=frozenset({"ragged_row"}), text=None)

    return _damage(doc, k, grow, "too_many")


def field_too_few(doc: Doc, k: int) -> Doc:
    def cut(ln: Line) -> Line:
        cells = (ln.cells or [])[:-1]
        return replace(ln, cells=cells, origin=None, codes=frozenset({"ragged_row"}), text=None)

    return _damage(doc, k, cut, "too_few")


def huge_cell(doc: Doc, k: int) -> Doc:
    def grow(ln: Line) -> Line:
        cells = list(ln.cells or [])
        cells[-1] = "张" * 100_000
        return replace(ln, cells=cells, origin=None, codes=frozenset({"oversized_cell"}), text=None)

    return _damage(doc, k, grow, "huge_cell")


def cut_last_row(doc: Doc, k: int) -> Doc:
    lines = list(doc.lines)
    lines[-1] = replace(lines[-1], origin=None, codes=frozenset({"truncated_row", "undecodable"}))
    return replace(doc, lines=lines, cut=True, notes=[*doc.notes, "cut"])


def title_above_header(doc: Doc, k: int) -> Doc:
    return replace(doc, title=True, notes=[*doc.notes, "title"])


def decorated_header(doc: Doc, k: int) -> Doc:
    return replace(doc, decorated=True, notes=[*doc.notes, "decorated"])


def spread_over_sheets(doc: Doc, k: int) -> Doc:
    return replace(doc, sheets=3, notes=[*doc.notes, "sheets"])


# Damage for both formats, and damage only a CSV can carry (bytes, quotes, fields).
ROW_KINDS: dict[str, Callable[[Doc, int], Doc]] = {
    "blank_row": blank_row,
    "error_row": error_row,
    "total_row": total_row,
    "serial_only": serial_only,
    "zero_row": zero_row,
    "mojibake_row": mojibake_row,
    "title_above_header": title_above_header,
    "decorated_header": decorated_header,
}
CSV_KINDS: dict[str, Callable[[Doc, int], Doc]] = {
    "delimiter_row": delimiter_row,
    "undecodable_bytes": undecodable_bytes,
    "nul_bytes": nul_bytes,
    "stray_quote": stray_quote,
    "field_too_many": field_too_many,
    "field_too_few": field_too_few,
    "huge_cell": huge_cell,
    "cut_last_row": cut_last_row,
}
XLSX_KINDS: dict[str, Callable[[Doc, int], Doc]] = {"spread_over_sheets": spread_over_sheets}


def kinds_for(fmt: str) -> dict[str, Callable[[Doc, int], Doc]]:
    return {**ROW_KINDS, **(XLSX_KINDS if fmt == "xlsx" else CSV_KINDS)}


# --------------------------------------------------------------------------- rendering


_DECORATIONS = ("{}（必填）", " {} ", "{}*", "{}(说明)", "{} ")


def _header(doc: Doc, sheet: int = 0) -> list[str]:
    if not doc.decorated and sheet == 0:
        return list(doc.header)
    return [_DECORATIONS[(i + sheet) % len(_DECORATIONS)].format(h) for i, h in enumerate(doc.header)]


def render_csv(doc: Doc, encoding: str, newline: str = "\r\n") -> bytes:
    prefix = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
    quote_all = encoding == "quoted"
    codec = "utf-8" if encoding in ("utf-8-sig", "quoted") else encoding
    lines: list[bytes] = []
    if doc.title:
        lines += [("2026年上半年数据报送名单" + "," * (len(doc.header) - 1)).encode(codec), b""]
    lines.append(_row_text(_header(doc), quote_all).encode(codec))
    for line in doc.lines:
        lines.append(line.prefix + _text(line, quote_all).encode(codec))
    body = newline.encode().join(lines) + newline.encode()
    if doc.cut:
        # The file ends inside its last row, right after that row's first delimiter.
        last = lines[-1]
        body = body[: len(body) - len(newline) - len(last) + last.find(b",") + 1]
    return prefix + body


def render_xlsx(doc: Doc) -> bytes:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    chunks = max(1, doc.sheets)
    size = -(-len(doc.lines) // chunks)
    for s in range(chunks):
        if s == 1:
            wb.add_worksheet("填表说明").write_string(0, 0, "本表各列请按要求填写。")
        ws = wb.add_worksheet(f"第{s + 1}部分")
        r = 0
        if doc.title:
            ws.merge_range(0, 0, 0, max(1, len(doc.header) - 1), "2026年上半年数据报送名单")
            r = 2
        ws.write_row(r, 0, _header(doc, s))
        for line in doc.lines[s * size : (s + 1) * size]:
            r += 1
            for c, value in enumerate(line.cells or []):
                if value is None:
                    continue
                if line.errors:
                    ws.write_formula(r, c, "=NA()" if value == "#N/A" else "=1/0", None, value)
                else:
                    ws.write_string(r, c, value)
    wb.close()
    return out.getvalue()


def render(doc: Doc, fmt: str) -> bytes:
    return render_xlsx(doc) if fmt == "xlsx" else render_csv(doc, fmt)


def _no_cell(line: Line) -> bool:
    return not line.errors and all(c is None for c in line.cells or []) and line.text in (None, "")


def expected_rows(doc: Doc, fmt: str) -> list[Line]:
    """The rows a person counts in the rendered file, in order (row_number = position + 1).

    Empty rows at the very end of a file (or of a sheet) are nothing to count:
    Excel shows no different sheet without them.
    """
    if fmt != "xlsx":
        lines = list(doc.lines)
        while lines and lines[-1].text == "" and not doc.cut:
            lines.pop()
        return lines
    size = -(-len(doc.lines) // max(1, doc.sheets))
    out: list[Line] = []
    for s in range(max(1, doc.sheets)):
        chunk = doc.lines[s * size : (s + 1) * size]
        while chunk and _no_cell(chunk[-1]):
            chunk = chunk[:-1]
        out += chunk
    return out
