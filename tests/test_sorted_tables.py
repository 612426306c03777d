"""Working tables are written in their key order, whatever order they arrive in."""

from __future__ import annotations

import polars as pl

from taizhang import sealed
from taizhang.stages import sorted_by, write_sorted


def test_rows_out_of_order_are_sorted_stably_with_nulls_last() -> None:
    df = pl.DataFrame(
        {
            "child_id": ["C2", None, "C1", "C2", "C1"],
            "flag": ["b", "a", None, "a", "a"],
            "row": [1, 2, 3, 4, 5],
        }
    )
    out = sorted_by(df, ("child_id", "flag", "role"))  # a key the table lacks is skipped
    assert out["row"].to_list() == [5, 3, 4, 1, 2]


def test_equal_keys_keep_their_arrival_order() -> None:
    df = pl.DataFrame({"record_id": [2, 1, 2, 1], "row": [1, 2, 3, 4]})
    assert sorted_by(df, ("record_id",))["row"].to_list() == [2, 4, 1, 3]


def test_rows_already_in_order_are_not_copied() -> None:
    df = pl.DataFrame({"record_id": [1, 2, 2, 5], "text": ["a", "b", "c", "d"]})
    assert sorted_by(df, ("record_id",)) is df


def test_written_table_reads_back_in_key_order(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TAIZHANG_KEY_FILE", str(tmp_path / "key"))
    df = pl.DataFrame({"record_id": [3, 1, 2], "text": ["c", "a", "b"]})
    assert write_sorted(df, tmp_path / "t.parquet", ("record_id",)) == 3
    assert sealed.read_frame(tmp_path / "t.parquet")["text"].to_list() == ["a", "b", "c"]
