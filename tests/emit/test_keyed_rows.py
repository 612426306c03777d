"""Workbooks written a batch of counties (or push destinations) at a time."""

from __future__ import annotations

import hashlib

import polars as pl

from taizhang.emit import emit_period, keyed_rows
from taizhang.emit.keyed_rows import KeyedRows, in_batches


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "county": ["b", "a", None, "a", "c", "b", "a"],
            "name": ["乙", "甲", "丙", None, "丁", "甲", "甲"],
            "n": [1, 2, 3, 4, 5, 6, 7],
        }
    )


def test_rows_of_some_counties_are_theirs_in_county_then_sheet_order():
    rows = KeyedRows.of(_frame(), "county", ["name"])
    assert rows.count("a") == 3 and rows.count("b") == 2 and rows.count("z") == 0
    picked = rows.rows_of(["a", "c"])
    assert picked["county"].to_list() == ["a", "a", "a", "c"]
    # within a county by name, nulls last, ties (two 甲 in a) in their original order
    assert picked["n"].to_list() == [2, 7, 4, 5]
    whole = _frame().sort(["county", "name"], nulls_last=True, maintain_order=True)
    assert rows.rows_of(["a", "b", "c", None]).equals(whole)
    assert rows.rows_of(["z"]).height == 0 and rows.rows_of(["z"]).schema == _frame().schema


def test_batches_keep_each_county_whole_and_in_order():
    sizes = {"a": 3, "b": 5, "c": 1, "d": 9, "e": 2}
    batches = in_batches(list(sizes), sizes.__getitem__, limit=6)
    assert batches == [["a"], ["b", "c"], ["d"], ["e"]]
    assert [c for b in batches for c in b] == list(sizes)
    assert in_batches([], sizes.__getitem__, limit=6) == []


def _digests(folder) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.xlsx"))
    }


def test_workbooks_and_push_lists_are_the_same_bytes_whatever_the_batch_size(tmp_path, fx, monkeypatch):
    decisions = fx.decisions_for(fx.current_ledger_rows())
    emit_period(decisions, tmp_path / "whole", fx.CURRENT, None)
    monkeypatch.setattr(keyed_rows, "ROWS_PER_BATCH", 1)  # every county and destination on its own
    emit_period(decisions, tmp_path / "one_by_one", fx.CURRENT, None)
    whole, one_by_one = _digests(tmp_path / "whole"), _digests(tmp_path / "one_by_one")
    assert any(name.startswith("counties/") for name in whole)
    assert any(name.startswith("push/") for name in whole)
    assert one_by_one == whole
