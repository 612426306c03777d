"""Workbooks written side by side: every file in place, each folder synced once after its last file."""

from __future__ import annotations

from pathlib import Path

import pytest

from taizhang.emit import workbook_pool
from taizhang.emit.atomic import write_with_atomic


@pytest.mark.parametrize("writers", ["1", "2"])
def test_write_each_writes_every_file_and_syncs_each_folder_once(tmp_path, monkeypatch, writers):
    monkeypatch.setenv(workbook_pool.WRITERS_ENV, writers)
    synced: list[Path] = []
    monkeypatch.setattr(workbook_pool, "fsync_dir", synced.append)

    def write(key: str) -> Path:
        folder = tmp_path / ("a" if key < "c" else "b")
        return write_with_atomic(folder / f"{key}.txt", lambda tmp: tmp.write_text(key), sync_folder=False)

    written = workbook_pool.write_each(["a", "b", "c", "d", "e"], write)
    assert {k: p.read_text() for k, p in written.items()} == {k: k for k in "abcde"}
    assert sorted(synced) == [tmp_path / "a", tmp_path / "b"]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_write_each_raises_the_first_error_and_keeps_finished_files(tmp_path, monkeypatch):
    monkeypatch.setenv(workbook_pool.WRITERS_ENV, "2")

    def write(key: str) -> Path:
        if key == "bad":
            raise OSError("disk full")
        return write_with_atomic(tmp_path / f"{key}.txt", lambda tmp: tmp.write_text(key), sync_folder=False)

    with pytest.raises(OSError, match="disk full"):
        workbook_pool.write_each(["a", "bad", "c"], write)
    assert (tmp_path / "a.txt").read_text() == "a"
