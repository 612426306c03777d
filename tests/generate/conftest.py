"""A small generated run (2 half-years, ~2,000 children) shared by the generator tests."""

from __future__ import annotations

import csv
import io
import unicodedata
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


def _decode_line(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def read_rows(path: Path) -> list[tuple[list[str], list[list[str]]]]:
    """(header, data rows) per table of a file, counted as docs/ARCHITECTURE.md says:
    CSV through the csv module after decoding (blank lines are not rows), XLSX per
    sheet with the header on the first non-empty row."""
    if path.suffix == ".csv":
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                text = "\n".join(_decode_line(x) for x in data.split(b"\n"))
        rows = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
        return [(rows[0], rows[1:])]
    wb = openpyxl.load_workbook(path, read_only=True)
    tables = []
    for ws in wb.worksheets:
        rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
        rows = [r for r in rows if any(v != "" for v in r)]
        if rows:
            tables.append((rows[0], rows[1:]))
    wb.close()
    return tables


def clean_header(h: str) -> str:
    h = unicodedata.normalize("NFKC", h).strip()
    h = h.removesuffix("(必填)").removesuffix("*").strip()
    return h


def source_of(name: str) -> str:
    stem = name.rsplit(".", 1)[0]
    for s in sorted(load_contracts(), key=len, reverse=True):
        if stem == s or stem.startswith(s + "_"):
            return s
    raise AssertionError(f"file {name} matches no source")
