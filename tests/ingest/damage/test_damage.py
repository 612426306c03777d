"""The damage bench: every kind of damage, in every CSV encoding and in XLSX, for every source.

For each damaged file: every row a person counts is there under its number;
every clean row keeps its values (the same as when the file is read
undamaged); each damaged or inserted row is quarantined with its reason; no
file is refused; and no cell value appears in any message, reason or log line.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts import load_contracts
from taizhang.ingest import read_extracts

from . import mutations as m
from .conftest import cell_values

SOURCES = sorted(load_contracts())
_CLEAN_FATES: dict[tuple[str, str], list[tuple]] = {}


def _read(folder: Path, source: str, fmt: str, data: bytes):
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    name = f"{source}.{'xlsx' if fmt == 'xlsx' else 'csv'}"
    (folder / name).write_bytes(data)
    return name, read_extracts(folder)


def _fates(result, source: str) -> dict[int, tuple]:
    """row_number -> ("staged", values...) or ("quarantined", reason_code)."""
    staged = result.staged[source]
    values = [c for c in staged.columns if c not in ("source", "file", "row_number")]
    fates = {row[0]: ("staged", *row[1:]) for row in staged.select("row_number", *values).iter_rows()}
    q = result.quarantine.filter(pl.col("source") == source)
    for number, code in q.select("row_number", "reason_code").iter_rows():
        assert number not in fates, f"row {number} both staged and quarantined"
        fates[number] = ("quarantined", code)
    return fates


def _clean_fates(tables: dict[str, m.Table], source: str, fmt: str, folder: Path) -> list[tuple]:
    key = (source, fmt)
    if key not in _CLEAN_FATES:
        doc = m.clean(tables[source])
        _, result = _read(folder, source, fmt, m.render(doc, fmt))
        fates = _fates(result, source)
        assert sorted(fates) == list(range(1, len(doc.lines) + 1))
        _CLEAN_FATES[key] = [fates[i + 1] for i in range(len(doc.lines))]
    return _CLEAN_FATES[key]


def check(doc: m.Doc, tables, source: str, fmt: str, folder: Path, caplog) -> dict[str, int]:
    """Read the damaged file and assert the bench's three promises; return rows read/quarantined/lost."""
    clean = _clean_fates(tables, source, fmt, folder / "clean")
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        name, result = _read(folder / "damaged", source, fmt, m.render(doc, fmt))
    where = f"{source} {fmt} {doc.notes}"
    report = next(r for r in result.file_reports if r.file == name)
    assert report.error is None, f"{where}: file refused ({report.error.code})"
    expected = m.expected_rows(doc, fmt)
    fates = _fates(result, source)
    assert sorted(fates) == list(range(1, len(expected) + 1)), f"{where}: rows lost or added"
    for i, line in enumerate(expected, start=1):
        if line.origin is not None:
            assert fates[i] == clean[line.origin], f"{where}: row {i} is not clean row {line.origin + 1}"
        else:
            assert fates[i][0] == "quarantined" and fates[i][1] in line.codes, f"{where}: row {i} {fates[i]}"
    # No cell value in any message, reason or log line.
    texts = [caplog.text, *result.quarantine["reason"].to_list()]
    texts += [t for e in result.errors for t in (e.message_zh, e.message_en)]
    texts += [str(r) for r in result.file_reports]
    for value in cell_values(tables[source]) | {"锟斤拷锟斤拷", "共312人", "多余的值"}:
        assert not any(value in t for t in texts if "header_mapping" not in t), f"{where}: a value leaked"
    quarantined = sum(1 for f in fates.values() if f[0] == "quarantined")
    return {"read": len(fates), "quarantined": quarantined, "lost": len(expected) - len(fates)}


@pytest.mark.parametrize("fmt", m.FORMATS)
@pytest.mark.parametrize("source", SOURCES)
def test_each_kind_of_damage_stays_in_its_row(clean_tables, source, fmt, tmp_path, caplog) -> None:
    doc = m.clean(clean_tables[source])
    middle = len(doc.lines) // 2
    for kind, damage in m.kinds_for(fmt).items():
        damaged = damage(doc, middle)
        check(damaged, clean_tables, source, fmt, tmp_path / kind, caplog)


_INSERTS = ("blank_row", "error_row", "total_row", "serial_only", "zero_row", "mojibake_row", "delimiter_row")


@st.composite
def damaged_docs(draw, tables: dict[str, m.Table]):
    source = draw(st.sampled_from(SOURCES))
    fmt = draw(st.sampled_from(m.FORMATS))
    kinds = m.kinds_for(fmt)
    doc = m.clean(tables[source])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(sorted(k for k in kinds if k != "cut_last_row")))
        if kind in _INSERTS:
            doc = kinds[kind](doc, draw(st.integers(0, len(doc.lines))))
        else:  # damage in place only ever hits a clean row
            clean_rows = [i for i, ln in enumerate(doc.lines) if ln.origin is not None]
            if clean_rows:
                doc = kinds[kind](doc, clean_rows[draw(st.integers(0, len(clean_rows) - 1))])
    if fmt != "xlsx" and doc.lines[-1].origin is not None and draw(st.booleans()):
        doc = m.cut_last_row(doc, 0)
    return source, fmt, doc


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench")


def test_several_kinds_of_damage_at_once(clean_tables, bench_dir, caplog) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(damaged_docs(clean_tables))
    def run(case) -> None:
        source, fmt, doc = case
        check(doc, clean_tables, source, fmt, bench_dir, caplog)

    run()
