"""No clear-text HIV status anywhere; byte-identical reruns; county reruns touch only their county."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from taizhang.masking import MASKED_TERM, SENSITIVE_TERM, mask_sensitive

ESCAPED = json.dumps(SENSITIVE_TERM)[1:-1]  # \u827e... as written by ensure_ascii JSON


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _payloads(path: Path) -> list[bytes]:
    """The file's bytes, plus every member of an xlsx (zip-compressed, so invisible in the raw bytes)."""
    data = [path.read_bytes()]
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as zf:
            data += [zf.read(name) for name in zf.namelist()]
    return data


def _parquet_text(path: Path) -> str:
    """All values of a (compressed) parquet file as one JSON text."""
    return json.dumps(pl.read_parquet(path).to_dicts(), ensure_ascii=False, default=str)


def test_hiv_status_never_appears_in_any_output(two_periods):
    out, _ = two_periods
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert any(p.suffix == ".xlsx" for p in written) and any(p.suffix == ".parquet" for p in written)
    for path in written:
        for blob in _payloads(path):
            assert SENSITIVE_TERM.encode() not in blob, path.name
            assert ESCAPED.encode().lower() not in blob.lower(), path.name
        if path.suffix == ".parquet":
            text = _parquet_text(path)
            assert SENSITIVE_TERM not in text and ESCAPED not in text.lower(), path.name
    # The status did reach the outputs, masked: the child keeps its reason.
    assert MASKED_TERM in _parquet_text(out / "ledger.parquet")
    assert MASKED_TERM in _parquet_text(out / "flags.parquet")
    with zipfile.ZipFile(out / "counties" / "220102_南关区.xlsx") as zf:
        # Strings are written inline in the sheets (constant_memory), not in a shared-string part.
        assert any(
            MASKED_TERM.encode() in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")
        )


def test_mask_sensitive_covers_text_lists_structs_and_json_escapes():
    assert mask_sensitive(f"母亲{SENSITIVE_TERM}") == f"母亲{MASKED_TERM}"
    frame = pl.DataFrame(
        {
            "reasons": [[f"{SENSITIVE_TERM}儿童", "监护缺失"]],
            "evidence": [json.dumps({"status": SENSITIVE_TERM})],
            "nested": [{"s": SENSITIVE_TERM}],
            f"gap:{SENSITIVE_TERM}": [1],
        }
    )
    text = json.dumps(mask_sensitive(frame).to_dicts(), ensure_ascii=False) + ",".join(
        mask_sensitive(frame).columns
    )
    assert SENSITIVE_TERM not in text and ESCAPED not in text
    assert json.loads(mask_sensitive(frame)["evidence"][0]) == {"status": MASKED_TERM}


def test_mask_sensitive_finds_the_term_in_any_row_of_any_text_column():
    upper = "".join(f"\\u{ord(c):04X}" for c in SENSITIVE_TERM)
    frame = pl.DataFrame(
        {
            "name": ["张三", "李四", None, "王五"],
            "status": [None, "监护缺失", "监护缺失", f"母亲{SENSITIVE_TERM}"],
            "evidence": ["{}", "{}", '{"s": "' + upper + '"}', None],
            "category": pl.Series(["a", SENSITIVE_TERM, "b", "a"], dtype=pl.Categorical),
        }
    )
    masked = mask_sensitive(frame)
    assert masked["name"].to_list() == frame["name"].to_list()
    assert masked["status"].to_list() == [None, "监护缺失", "监护缺失", f"母亲{MASKED_TERM}"]
    assert json.loads(masked["evidence"][2]) == {"s": MASKED_TERM}
    assert masked["category"].to_list() == ["a", MASKED_TERM, "b", "a"]


def test_rerun_gives_byte_identical_files_and_leaves_them_untouched(tmp_path, fx, two_periods):
    out, report = two_periods
    prev = out.parent / "2025H2"
    again = tmp_path / "again"
    report2 = fx.emit(fx.decisions_for(fx.current_ledger_rows()), again, fx.CURRENT, prev)
    assert _files(out) == _files(again)
    assert report == report2
    # Shuffled input rows change nothing either.
    shuffled = fx.decisions_for(list(reversed(fx.current_ledger_rows())))
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    before = _files(out)
    fx.emit(shuffled, out, fx.CURRENT, prev)
    assert _files(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_workbooks_written_side_by_side_equal_those_written_one_at_a_time(
    tmp_path, fx, two_periods, monkeypatch
):
    out, _ = two_periods
    prev = out.parent / "2025H2"
    runs = {}
    for writers in ("1", "3"):
        monkeypatch.setenv("TAIZHANG_EMIT_WRITERS", writers)
        runs[writers] = fx.emit(
            fx.decisions_for(fx.current_ledger_rows()), tmp_path / writers, fx.CURRENT, prev
        )
    assert len(runs["3"]["counties_written"]) > 3
    assert _files(tmp_path / "1") == _files(tmp_path / "3") == _files(out)
    assert runs["1"] == runs["3"]


def test_rerun_of_one_county_leaves_every_other_county_untouched(fx, two_periods):
    out, _ = two_periods
    prev = out.parent / "2025H2"
    before = _files(out)
    rows = fx.current_ledger_rows()
    # Fresh decisions differ for 南关区 (CA now monthly visits) and for 延吉市 (CG now key case).
    rows = [
        {**r, "care_level": "每月走访"}
        if r["child_id"] == "CA"
        else {**r, "care_level": "重点关爱"}
        if r["child_id"] == "CG"
        else r
        for r in rows
    ]
    report = fx.emit(fx.decisions_for(rows), out, fx.CURRENT, prev, counties=["220102"])
    after = _files(out)
    assert report["counties_written"] == ["220102"]
    changed = {name for name in before if before[name] != after.get(name)}
    assert "counties/220102_南关区.xlsx" in changed
    for name in ("counties/220103_宽城区.xlsx", "counties/222401_延吉市.xlsx", "counties/229999.xlsx"):
        assert before[name] == after[name], name
    assert set(after) == set(before)
    ledger = pl.read_parquet(out / "ledger.parquet")
    levels = dict(zip(ledger["child_id"], ledger["care_level"], strict=True))
    assert levels["CA"] == "每月走访"  # the rerun county's fresh decision
    assert levels["CG"] == "每月走访"  # another county keeps what it was given
    assert ledger.height == len(rows)


def test_failed_write_keeps_the_previous_file(tmp_path):
    from taizhang.emit.atomic import write_with_atomic

    target = tmp_path / "x.xlsx"
    target.write_bytes(b"old")

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_with_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"]
