"""Sealed working data: what a reader without the key, with a wrong key, or after tampering gets."""

from __future__ import annotations

import os
import stat

import polars as pl
import pytest

from taizhang import keys, sealed
from taizhang.errors import PipelineError

ID = "220102201503070017"
NAME = "王小明"


def _frame(rows: int = 50) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id_number": [ID] * rows,
            "name": [NAME] * rows,
            "phone": ["13912345678"] * rows,
            "n": list(range(rows)),
        }
    )


def test_a_sealed_table_reads_back_equal_and_holds_no_value_in_clear(tmp_path):
    path = sealed.write_frame(_frame(), tmp_path / "std_records.parquet")
    raw = path.read_bytes()
    assert raw.startswith(sealed.MAGIC)
    for value in (ID, NAME, "13912345678"):
        assert value.encode("utf-8") not in raw and value.encode("gb18030") not in raw
    assert b"PAR1" not in raw  # not even the parquet structure shows
    assert sealed.read_frame(path).equals(_frame())
    assert sealed.read_frame(path, columns=["n"]).columns == ["n"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4000])
def test_chunk_boundaries_round_trip(tmp_path, monkeypatch, size):
    monkeypatch.setattr(sealed, "CHUNK_BYTES", 1000)
    data = os.urandom(size)
    path = sealed.write_bytes(data, tmp_path / "blob")
    assert sealed.read_bytes(path) == data


def test_without_the_key_the_state_cannot_be_read(tmp_path, monkeypatch):
    path = sealed.write_frame(_frame(), tmp_path / "registry.parquet")
    monkeypatch.setenv(keys.KEY_FILE_ENV, str(tmp_path / "nowhere" / "key"))
    with pytest.raises(PipelineError) as caught:
        sealed.read_frame(path)
    assert caught.value.code == "key_missing"
    assert "TAIZHANG_KEY" in caught.value.en
    with pytest.raises(pl.exceptions.ComputeError):  # and no parquet reader makes sense of the bytes
        pl.read_parquet(path)


def test_a_wrong_key_is_named_as_such(tmp_path, monkeypatch):
    path = sealed.write_frame(_frame(), tmp_path / "registry.parquet")
    written_with = keys.load().id
    monkeypatch.setenv(keys.KEY_ENV, keys.encode(keys.generate()))
    with pytest.raises(PipelineError) as caught:
        sealed.read_frame(path)
    assert caught.value.code == "key_wrong"
    assert written_with in caught.value.en and keys.load().id in caught.value.en


@pytest.mark.parametrize("where", ["header", "chunk_size", "body", "truncate", "extend"])
def test_an_altered_file_fails_to_open(tmp_path, monkeypatch, where):
    monkeypatch.setattr(sealed, "CHUNK_BYTES", 1000)
    path = sealed.write_bytes(os.urandom(3500), tmp_path / "blob")
    data = bytearray(path.read_bytes())
    if where == "header":
        data[30] ^= 1  # inside the salt: still our format and key, another file key
    elif where == "chunk_size":
        data[31:35] = (7).to_bytes(4, "big")
    elif where == "body":
        data[-100] ^= 1
    elif where == "truncate":
        data = data[: -(1000 + 16)]  # drop the last chunk: the new last one is not marked last
    else:
        data += data[-(500 + 16) :]
    path.write_bytes(bytes(data))
    with pytest.raises(PipelineError) as caught:
        sealed.read_bytes(path)
    assert caught.value.code == "sealed_damaged"


def test_a_clear_file_is_not_taken_for_sealed_data(tmp_path):
    path = tmp_path / "old.parquet"
    _frame().write_parquet(path)
    with pytest.raises(PipelineError) as caught:
        sealed.read_frame(path)
    assert caught.value.code == "not_sealed"


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = sealed.write_frame(_frame(3), tmp_path / "t.parquet")

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        sealed.write_frame(_frame(10), path)
    assert sealed.read_frame(path).height == 3
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]
