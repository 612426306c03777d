"""Clean extracts of every source, made once with the generator, as plain tables for the mutation layer.

The generator puts a few unreadable rows in every file on purpose; its truth
names them, and they are left out here, so that the tables are clean. The
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
def clean_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Table]:
    """source -> clean table (one file per source; for field_visits the largest)."""
    root = tmp_path_factory.mktemp("damage_clean")
    generate(root, children=120, seed=7, periods=[PERIOD])
    truth = pl.read_parquet(root / "truth" / PERIOD / "records.parquet")
    tables: dict[str, Table] = {}
    for path in sorted((root / PERIOD).iterdir(), key=lambda p: -p.stat().st_size):
        source = next(iter(truth.filter(pl.col("file") == path.name)["source"]), None)
        if source is None or source in tables:
            continue
        bad = set(truth.filter((pl.col("file") == path.name) & pl.col("unreadable"))["row_number"].to_list())
        tables[source] = _table(path, bad)
    return tables
