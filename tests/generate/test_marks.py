"""The marks of extracts as they arrive (docs/generator.md, "Marks"): every one is written, the
truth counts rows as a person does, and the marks leave the records themselves unchanged.

The written files are read here with openpyxl and csv (``conftest.read_tables``),
never with taizhang's reader, so a fault of the reader cannot hide one of the generator.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from data_contracts import load_contracts
from taizhang.generate import generate
from taizhang.generate.marks import ERROR_VALUES, JUNK_KINDS, TOTAL_WORDS

from .conftest import PERIODS, Table, clean_header, read_tables, source_of

HEAVY_SEED = 5


@pytest.fixture(scope="module")
def heavy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One half-year at heavy noise, with and without the marks (same seed)."""
    marked, plain = tmp_path_factory.mktemp("heavy_marks"), tmp_path_factory.mktemp("heavy_plain")
    generate(marked, children=1500, seed=HEAVY_SEED, periods=["2026H1"], noise="heavy")
    generate(plain, children=1500, seed=HEAVY_SEED, periods=["2026H1"], noise="heavy", marks=False)
    return marked, plain


def junk_kind(cells: list[str]) -> str | None:
    """What a row holding no child looks like to a person, or None for a row that may hold one."""
    filled = [c.strip() for c in cells if c.strip()]
    if not filled:
        return "empty_row"
    if all(c in ERROR_VALUES for c in filled):
        return "error_values"
    if cells[0].strip() in TOTAL_WORDS and len(filled) >= 2 and re.fullmatch(r"共\d+人", filled[1]):
        return "total_row"
    if len(filled) == 1 and re.fullmatch(r"[0-9]+", filled[0]):
        return "serial_only"
    if all(re.fullmatch(r"(锟斤拷)+|\?+", c) for c in filled):
        return "garbled_row"
    return None


def _folders(root: Path, periods: list[str]) -> list[Path]:
    return [root / p for p in periods]


def _evidence(folders: list[Path]) -> Counter:
    """Counts of every mark found in the written files of ``folders``."""
    seen: Counter = Counter()
    for folder in folders:
        for path in sorted(folder.iterdir()):
            source = source_of(path.name)
            contract = load_contracts()[source]
            header_of = {h: c.name for c in contract.columns for h in c.headers}
            tables = read_tables(path)
            xlsx = path.suffix == ".xlsx"
            for t in tables:
                fmt = "xlsx" if xlsx else "csv"
                _header_marks(t, header_of, seen)
                for k, (row, types) in enumerate(zip(t.rows, t.types, strict=True)):
                    kind = junk_kind(row)
                    if kind is None:
                        continue
                    if kind == "empty_row" and k < len(t.rows) - 1:
                        seen[f"{fmt} blank row inside the table"] += 1
                        if not xlsx and row and len(row) != len(t.header):
                            seen["csv line of delimiters, not as long as the header"] += 1
                        if not xlsx and not row:
                            seen["csv blank line"] += 1
                    elif kind == "error_values":
                        for v, ty in zip(row, types, strict=False):
                            if v in ERROR_VALUES and (ty == "e" or not xlsx):
                                seen[f"{fmt} error value {v}"] += 1
                    elif kind == "total_row":
                        seen[f"total row {row[0].strip()}"] += 1
                    elif kind == "serial_only":
                        lone = next(v for v in row if v.strip())
                        seen["row of a lone 0" if lone.strip() == "0" else "row of a lone serial number"] += 1
                    else:
                        seen["mojibake 锟斤拷" if "锟" in "".join(row) else "mojibake ????"] += 1
            if xlsx:
                _workbook_marks(path, tables, header_of, seen)
            else:
                _above_marks(path, tables[0], seen)
    return seen


def _header_marks(t: Table, header_of: dict[str, str], seen: Counter) -> None:
    for h in t.header:
        nfkc = unicodedata.normalize("NFKC", h)
        for note in ("(年月日)", "(必填)", "(手机)"):
            if nfkc.rstrip().endswith(note):
                seen[f"header annotated {note}"] += 1
        if nfkc.strip().endswith("*"):
            seen["header with *"] += 1
        if re.search(r"\S\s+\S", h) and not re.search(r"[(（]", h):
            seen["header with an inner space"] += 1
    if clean_header(t.header[0]) == "序号":
        seen["leading 序号 column"] += 1
    named = [header_of.get(clean_header(h)) for h in t.header]
    if any(n is not None and c > 1 for n, c in Counter(named).items()):
        seen["a column named twice"] += 1


def _above_marks(path: Path, t: Table, seen: Counter) -> None:
    above = read_above(path, t)
    if any(re.search(r"\d{4}年[上下]半年", " ".join(r)) for r in above):
        seen["title row above the header"] += 1
    if any(not "".join(r).strip() for r in above):
        seen["blank row above the header"] += 1


def read_above(path: Path, t: Table) -> list[list[str]]:
    """The rows above a table's header, read independently."""
    if path.suffix == ".csv":
        from .conftest import _csv_lines

        return _csv_lines(path)[: t.header_row - 1]
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [
        ["" if v is None else str(v) for v in r]
        for r in wb[t.sheet].iter_rows(max_row=t.header_row - 1, values_only=True)
    ]
    wb.close()
    return rows


def _workbook_marks(path: Path, tables: list[Table], header_of: dict[str, str], seen: Counter) -> None:
    wb = openpyxl.load_workbook(path)  # not read-only: merged cells are only listed here
    data_sheets = {t.sheet for t in tables}
    for ws in wb.worksheets:
        if ws.title == "填表说明":
            seen["填表说明 sheet"] += 1
        elif ws.title not in data_sheets and ws.max_row == 1 and ws["A1"].value is None:
            seen["empty sheet"] += 1
    for t in tables:
        ws = wb[t.sheet]
        for rng in ws.merged_cells.ranges:
            if rng.max_row < t.header_row and re.search(r"年[上下]半年", str(ws.cell(rng.min_row, 1).value)):
                seen["merged title cell above the header"] += 1
        _above_marks(path, t, seen)
        # one date column holding date cells, serial numbers and text
        for i, h in enumerate(t.header):
            if clean_header(h) in ("出生日期", "走访日期", "建档日期", "建卡日期", "居住起始日期"):
                kinds = {types[i] for row, types in zip(t.rows, t.types, strict=True) if row[i].strip()}
                if {"d", "n", "s"} <= kinds:
                    seen["date column mixing date cells, serial numbers and text"] += 1
    named = [tuple(header_of.get(clean_header(h)) for h in t.header) for t in tables]
    spelled = {tuple(clean_header(h) for h in t.header) for t in tables}
    if len(set(named)) == 1 and len(spelled) > 1:
        seen["workbook sheet with another header variant"] += 1
    wb.close()


EVERY_MARK = {
    "csv blank row inside the table",
    "csv blank line",
    "csv line of delimiters, not as long as the header",
    "xlsx blank row inside the table",
    *(f"xlsx error value {v}" for v in ERROR_VALUES),
    *(f"csv error value {v}" for v in ERROR_VALUES),
    *(f"total row {w}" for w in TOTAL_WORDS),
    "row of a lone serial number",
    "row of a lone 0",
    "mojibake 锟斤拷",
    "mojibake ????",
    "title row above the header",
    "merged title cell above the header",
    "blank row above the header",
    "header annotated (年月日)",
    "header annotated (必填)",
    "header annotated (手机)",
    "header with *",
    "header with an inner space",
    "leading 序号 column",
    "a column named twice",
    "workbook sheet with another header variant",
    "填表说明 sheet",
    "empty sheet",
    "date column mixing date cells, serial numbers and text",
}


def test_default_noise_writes_every_mark(generated):
    out, _ = generated
    seen = _evidence(_folders(out, PERIODS))
    assert sorted(EVERY_MARK - set(seen)) == []


def test_heavy_noise_writes_every_mark_in_one_half_year(heavy):
    marked, _ = heavy
    seen = _evidence(_folders(marked, ["2026H1"]))
    assert sorted(EVERY_MARK - set(seen)) == []


def test_without_marks_no_mark_is_written(heavy):
    _, plain = heavy
    seen = _evidence(_folders(plain, ["2026H1"]))
    # header spellings of the value noise (``*``, ``（必填）``, surrounding spaces) stay; the rest is gone
    left = {k for k in seen if k not in ("header with *", "header annotated (必填)")}
    # the value noise's own blank rows (",,," lines of a CSV, as long as the header, and an empty
    # first row of a workbook above its header) stay too
    assert left <= {"csv blank row inside the table", "blank row above the header"}
    rec = pl.read_parquet(plain / "truth" / "2026H1" / "records.parquet")
    kinds = set(rec["unreadable_kind"].drop_nulls())
    assert kinds & {"error_values", "total_row", "serial_only", "garbled_row"} == set()


def _check_rows(root: Path, period: str) -> dict[str, int]:
    """Each file's truth against the file read independently; returns counts of what was checked."""
    rec = pl.read_parquet(root / "truth" / period / "records.parquet")
    kids = pl.read_parquet(root / "truth" / period / "children.parquet").select("child_key", "id_number")
    ids = dict(kids.iter_rows())
    checked: Counter = Counter()
    for path in sorted((root / period).iterdir()):
        tables = read_tables(path)
        rows = [(t, k) for t in tables for k in range(len(t.rows))]
        truth = rec.filter(pl.col("file") == path.name).sort("row_number")
        assert truth["row_number"].to_list() == list(range(1, len(rows) + 1)), path.name
        contract = load_contracts()[source_of(path.name)]
        id_heads = contract.column("id_number").headers if "id_number" in contract.column_names else ()
        for (t, k), r in zip(rows, truth.iter_rows(named=True), strict=True):
            where = (path.name, r["row_number"])
            assert r["sheet"] == t.sheet, where
            assert r["excel_row"] == t.header_row + 1 + k, where
            cells = t.rows[k]
            expected = r["unreadable_kind"] if r["unreadable_kind"] in JUNK_KINDS else None
            assert junk_kind(cells) == expected, where
            assert r["junk"] == (expected is not None), where
            if r["junk"]:
                assert r["child_key"] is None and r["person_key"] is None, where
                checked[r["unreadable_kind"]] += 1
                continue
            # a record's own identity number is the one of the child the truth names
            cleaned = [clean_header(h) for h in t.header]
            at = next((cleaned.index(h) for h in id_heads if h in cleaned), None)
            cell = cells[at].strip() if at is not None and at < len(cells) else ""
            if r["child_key"] and re.fullmatch(r"[0-9]{17}[0-9Xx]", cell):
                assert cell[:17] == (ids[r["child_key"]] or "")[:17], where
                checked["records whose id was checked"] += 1
    return dict(checked)


@pytest.mark.parametrize("period", PERIODS)
def test_truth_counts_rows_as_a_person_does(generated, period):
    out, _ = generated
    checked = _check_rows(out, period)
    assert checked["records whose id was checked"] > 1000
    assert all(checked.get(k, 0) > 0 for k in JUNK_KINDS), checked


def test_truth_counts_rows_as_a_person_does_at_heavy_noise(heavy):
    marked, plain = heavy
    checked = _check_rows(marked, "2026H1")
    assert all(checked.get(k, 0) >= 5 for k in JUNK_KINDS), checked
    _check_rows(plain, "2026H1")


def _records(root: Path) -> dict[str, list[dict]]:
    """Per file, the contract columns of every readable row, in file order."""
    rec = pl.read_parquet(root / "truth" / "2026H1" / "records.parquet")
    out = {}
    for path in sorted((root / "2026H1").iterdir()):
        contract = load_contracts()[source_of(path.name)]
        header_of = {h: c.name for c in contract.columns for h in c.headers}
        # date columns are left out: a workbook may store them as date cells or serial numbers
        kept = {c.name for c in contract.columns if c.type != "date"}
        # unreadable rows are left out too: a ragged row misses other fields when columns move
        skip = rec.filter(pl.col("file") == path.name).sort("row_number")["unreadable"].to_list()
        rows, k = [], 0
        for t in read_tables(path):
            at: dict[str, int] = {}
            for i, h in enumerate(t.header):
                name = header_of.get(clean_header(h))
                if name in kept and name not in at:
                    at[name] = i
            for cells in t.rows:
                if not skip[k]:
                    rows.append({n: cells[i] if i < len(cells) else "" for n, i in at.items()})
                k += 1
        out[path.name] = rows
    return out


def test_marks_leave_the_records_unchanged(heavy):
    marked, plain = heavy
    truth = [
        pl.read_parquet(root / "truth" / "2026H1" / "records.parquet")
        .filter(~pl.col("junk"))
        .sort("file", "row_number")
        .select("source", "file", "child_key", "person_key", "unreadable_kind")
        for root in (marked, plain)
    ]
    assert truth[0].equals(truth[1])
    for name in ("children.parquet", "people.parquet", "status_events.parquet"):
        a = pl.read_parquet(marked / "truth" / "2026H1" / name)
        b = pl.read_parquet(plain / "truth" / "2026H1" / name)
        if name == "status_events.parquet":  # row numbers move with the junk rows around them
            a, b = a.drop("row_number"), b.drop("row_number")
        assert a.equals(b), name
    with_marks, without = _records(marked), _records(plain)
    assert with_marks.keys() == without.keys()
    for name in with_marks:
        assert with_marks[name] == without[name], name
