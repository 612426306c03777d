"""Parquet tables are written in their key order, however the frame arrives."""

from __future__ import annotations

import polars as pl

from taizhang.emit.atomic import write_parquet_atomic


def test_rows_are_written_by_key_nulls_last_ties_in_order_and_sorted_input_gives_same_bytes(tmp_path):
    frame = pl.DataFrame(
        {
            "child_id": ["C2", None, "C1", "C2", "C1"],
            "flag": ["b", "a", None, "a", "a"],
            "n": [1, 2, 3, 4, 5],
        }
    )
    first = write_parquet_atomic(frame, tmp_path / "a.parquet", ["child_id", "flag"])
    written = pl.read_parquet(first)
    assert written["n"].to_list() == [5, 3, 4, 1, 2]
    again = write_parquet_atomic(written, tmp_path / "b.parquet", ["child_id", "flag"])
    assert again.read_bytes() == first.read_bytes()
    same_keys = pl.DataFrame({"child_id": ["C1", "C1"], "flag": ["a", "a"], "n": [9, 8]})
    kept = pl.read_parquet(write_parquet_atomic(same_keys, tmp_path / "c.parquet", ["child_id", "flag"]))
    assert kept["n"].to_list() == [9, 8]
