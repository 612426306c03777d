"""Clean extracts of every source, made once with the generator, as plain tables for the mutation layer.

The generator puts a few unreadable rows in every file on purpose; its truth
names them, and they are left out here, so that the tables are clean. The
extracts are made without the generator's arrival marks (titles, junk rows,
annotated headers, extra sheets): the mutation layer adds its own damage. The
tables are read with the ``csv`` module and openpyxl, not with the reader
under test.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from taizhang.generate import generate

from .mutations import Table

PERIOD = "2026H1"


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030, whichever most lines are; the generator's few broken rows
    are dropped afterwards anyway."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    lines = data.split(b"\n")
    utf8 = sum(1 for line in lines if _decodes(line, "utf-8"))
    return data.decode("utf-8" if utf8 * 2 >= len(lines) else "gb18030", errors="replace")


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(path: Path) -> list[list[str | None]]:
    rows = list(csv.reader(io.StringIO(_decode(path.read_bytes()), newline="")))
    return [[c or None for c in r] for r in rows]


def _xlsx_rows(path: Path) -> list[list[str | None]]:
    """Header of the first sheet, then the data rows of every sheet (the generator repeats the header)."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out: list[list[str | None]] = []
    for ws in wb.worksheets:
        rows = [[None if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        while rows and all(v is None for v in rows[0]):
            rows = rows[1:]
        out += rows if not out else rows[1:]
    return out


def _table(path: Path, unreadable: set[int]) -> Table:
    rows = _xlsx_rows(path) if path.suffix == ".xlsx" else _csv_rows(path)
    header = [h or "" for h in rows[0]]
    data = [
        (r + [None] * len(header))[: len(header)]
        for i, r in enumerate(rows[1:], start=1)
        if i not in unreadable and any(c is not None and c.strip() for c in r)
    ]
    return Table(header, data)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated half-year: ``<root>/2026H1`` and the generator's truth beside it."""
    root = tmp_path_factory.mktemp("damage_clean")
    generate(root, children=120, seed=7, periods=[PERIOD], marks=False)
    return root


@pytest.fixture(scope="session")
def clean_tables(generated: Path) -> dict[str, Table]:
    """source -> clean table (one file per source; for field_visits the largest)."""
    truth = pl.read_parquet(generated / "truth" / PERIOD / "records.parquet")
    tables: dict[str, Table] = {}
    for path in sorted((generated / PERIOD).iterdir(), key=lambda p: -p.stat().st_size):
        source = next(iter(truth.filter(pl.col("file") == path.name)["source"]), None)
        if source is None or source in tables:
            continue
        bad = set(truth.filter((pl.col("file") == path.name) & pl.col("unreadable"))["row_number"].to_list())
        tables[source] = _table(path, bad)
    return tables


def cell_values(table: Table) -> set[str]:
    """The values that must never be shown: every cell of two characters or more, but short numbers
    (a year, a count) and the header's own words, which a message may name."""
    headers = set(table.header)
    return {
        v
        for row in table.rows
        for v in row
        if v and len(v.strip()) >= 2 and v not in headers and not (v.isdigit() and len(v) < 6)
    }
