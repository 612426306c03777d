"""Where a file's data lies: the header row of each sheet (or of the CSV) and the rows below it.

A CSV has one block of rows under its header; a workbook one block per sheet
that carries the source's header, in sheet order (other sheets are listed as
ignored). A file where no row reads as the source's header raises
:class:`Unmatched`, naming the closest row, never a cell value below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data_contracts import Contract
from taizhang.ingest.cells import EMPTY_FILE, cell_names
from taizhang.ingest.csv_reader import csv_head, csv_rows, read_csv_text
from taizhang.ingest.headers import HEADER_SCAN_ROWS, HeaderMap, HeaderSearch, find_header, map_headers
from taizhang.ingest.results import FileError
from taizhang.ingest.xlsx_reader import read_xlsx_sheets


@dataclass
class Block:
    """The data rows under one header: a CSV file, or one sheet of a workbook."""

    sheet: str | None
    header_map: HeaderMap
    rows: pl.DataFrame  # _pos, _damage, c0..cN


@dataclass
class Layout:
    blocks: list[Block]
    encoding: str | None = None
    sheets_ignored: list[str] | None = None


def unmatched_error(file: str, source: str, search: HeaderSearch, contract: Contract) -> FileError:
    """No row reads as the source's header: name the missing required headers and the headers found."""
    missing = search.header_map.missing_required or [c.header for c in contract.columns if c.required]
    found = [str(h).strip() for h in search.cells if h is not None and str(h).strip()]
    shown, shown_en = "、".join(found) or "（无）", ", ".join(found) or "(none)"
    return FileError(
        code="unmatched_headers",
        file=file,
        source=source,
        message_zh=f"文件 {file}：没有一行表头与「{source}」的数据规范相符，缺少必需列 {'、'.join(missing)}；"
        f"最接近表头的一行为：{shown}。",
        message_en=f"file {file}: no row reads as the {source} header; missing required "
        f"{', '.join(missing)}; the closest row holds: {shown_en}.",
    )


def _widths(cells: list[str | None]) -> tuple[int, int]:
    named = [i for i, c in enumerate(cells) if c is not None and str(c).strip()]
    return (named[-1] + 1 if named else 0), len(cells)


def csv_layout(path: Path, source: str, contract: Contract) -> Layout:
    text = read_csv_text(path)
    head = csv_head(text, HEADER_SCAN_ROWS)
    search = find_header([r.cells or [] for r in head], contract)
    if search is None:
        raise EMPTY_FILE
    if search.index is None:
        raise Unmatched(search)
    record = head[search.index]
    cells = record.cells or []
    rows = csv_rows(text, record.next_line, record.pos + 1, _widths(cells))
    return Layout([Block(None, search.header_map, rows)], encoding=text.encoding)


def _trim_sheet(headers: list[str | None], rows: pl.DataFrame) -> tuple[list[str | None], pl.DataFrame]:
    """Drop trailing columns with neither a header nor a value, and trailing rows with no cell."""
    keep = len(headers)
    while keep > 0 and not (headers[keep - 1] is not None and str(headers[keep - 1]).strip()):
        if rows[f"c{keep - 1}"].is_not_null().any():
            break
        keep -= 1
    names = cell_names(keep)
    rows = rows.select("_pos", "_damage", *names)
    if names and rows.height:
        filled = rows.select(pl.any_horizontal(pl.col(c).is_not_null() for c in names).arg_true()).to_series()
        rows = rows.head(int(filled[-1]) + 1 if filled.len() else 0)
    return headers[:keep], rows


def xlsx_layout(path: Path, source: str, contract: Contract) -> Layout:
    blocks: list[Block] = []
    ignored: list[str] = []
    best: HeaderSearch | None = None
    for name, frame in read_xlsx_sheets(path):
        cells = [c for c in frame.columns if not c.startswith("_")]
        head = [list(r) for r in frame.head(HEADER_SCAN_ROWS).select(cells).iter_rows()]
        search = find_header(head, contract)
        if search is None or search.index is None:
            ignored.append(name)
            if search is not None and (
                best is None or len(search.header_map.columns) > len(best.header_map.columns)
            ):
                best = search
            continue
        headers, rows = _trim_sheet(search.cells, frame.slice(search.index + 1))
        blocks.append(Block(name, map_headers(headers, contract), rows))
    if not blocks:
        if best is None:
            raise EMPTY_FILE
        raise Unmatched(best)
    return Layout(blocks, sheets_ignored=ignored)


class Unmatched(Exception):
    def __init__(self, search: HeaderSearch) -> None:
        super().__init__("no header")
        self.search = search
