"""A small generated run (2 half-years, ~2,000 children) shared by the generator tests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from data_contracts import load_contracts
from taizhang.generate import generate

PERIODS = ["2026H1", "2026H2"]


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("gen")
    counts = generate(out, children=2000, seed=11, periods=PERIODS)
    return out, counts


@dataclass
class Table:
    """One table of a file as a person reads it: the header row and every row below it.

    ``header_row`` is the row number a spreadsheet shows for the header (for CSV, its
    line number); ``types`` holds each cell's kind as the file stores it (``s`` text,
    ``n`` number, ``d`` date, ``e`` Excel error value; CSV cells are all ``s``).
    """

    sheet: str | None
    header_row: int
    header: list[str]
    rows: list[list[str]]
    types: list[list[str]] = field(default_factory=list)


def clean_header(h: str) -> str:
    """A header cell's name: NFKC, no whitespace, no trailing ``*`` or annotation in parentheses."""
    h = re.sub(r"\s", "", unicodedata.normalize("NFKC", h))
    return re.sub(r"(\*|\([^()]*\))+$", "", h)


def _reads_as_header(cells: list[str], source: str) -> bool:
    cleaned = {clean_header(c) for c in cells}
    required = [c for c in load_contracts()[source].columns if c.required]
    return all(any(h in cleaned for h in c.headers) for c in required)


def _csv_lines(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    # the file's encoding is the one that leaves fewest bytes undecoded (a few damaged rows aside)
    text = min(
        (data.decode(enc, errors="replace") for enc in ("utf-8", "gb18030")), key=lambda t: t.count("\ufffd")
    )
    # a blank line is a row like any other: csv gives it as []
    return list(csv.reader(io.StringIO(text, newline="")))


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d")
    return str(v)


def read_tables(path: Path) -> list[Table]:
    """The tables of a file as docs/extracts.md counts rows, read without taizhang's reader.

    The header is the first row that reads as the source's header (names after
    clean-up, every required column present); rows above it are not data. Every row
    below it, blank or not, is a row. A sheet with no such header holds no data.
    """
    source = source_of(path.name)
    if path.suffix == ".csv":
        lines = _csv_lines(path)
        at = next(i for i, r in enumerate(lines) if _reads_as_header(r, source))
        rows = lines[at + 1 :]
        return [Table(None, at + 1, lines[at], rows, [["s"] * len(r) for r in rows])]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    tables = []
    for ws in wb.worksheets:
        cells = list(ws.iter_rows())
        values = [[_cell_text(c.value) for c in r] for r in cells]
        at = next((i for i, r in enumerate(values) if _reads_as_header(r, source)), None)
        if at is None:
            continue
        types = [["d" if c.is_date else c.data_type for c in r] for r in cells[at + 1 :]]
        tables.append(Table(ws.title, at + 1, values[at], values[at + 1 :], types))
    wb.close()
    return tables


def read_rows(path: Path) -> list[tuple[list[str], list[list[str]]]]:
    """(header, data rows) per table of a file (``read_tables``)."""
    return [(t.header, t.rows) for t in read_tables(path)]


def source_of(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    for s in sorted(load_contracts(), key=len, reverse=True):
        if stem == s or stem.startswith(s + "_"):
            return s
    raise AssertionError(f"file {name} matches no source")


def source_columns(folder: Path, source: str, columns: dict[str, tuple[str, ...]]) -> list[dict[str, object]]:
    """``file``, ``row_number`` and each wanted column (the first of its headers a table has) of every
    data row of ``source`` in ``folder``, row numbers counted per file across its tables."""
    out: list[dict[str, object]] = []
    for path in sorted(folder.iterdir()):
        if source_of(path.name) != source:
            continue
        n = 0
        for header, data in read_rows(path):
            cleaned = [clean_header(h) for h in header]
            idx = {
                k: next((cleaned.index(h) for h in heads if h in cleaned), None)
                for k, heads in columns.items()
            }
            for r in data:
                n += 1
                out.append(
                    {
                        "file": path.name,
                        "row_number": n,
                        **{k: (r[i] if i is not None and i < len(r) else "") for k, i in idx.items()},
                    }
                )
    return out
