"""Atomic, deterministic file writing for every output of a run.

A county director may open a workbook while a rerun is writing it, and a crash
must never leave half a parquet file behind: each file is written to a temp
file in the target folder, flushed to disk (fsync) and moved into place by
:func:`taizhang.publish.move_into_place` (a rename, atomic on one file system).

When the new bytes equal the file already there, the old file is kept
untouched (same bytes, same modification time). That is what lets
``taizhang rerun-county`` prove it changed nothing outside its county.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from taizhang.masking import mask_sensitive
from taizhang.private_folders import FILE_MODE
from taizhang.publish import move_into_place


def _same_bytes(a: Path, b: Path) -> bool:
    if not b.is_file() or a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


@contextlib.contextmanager
def atomic_target(path: Path, sync_folder: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success move it into place.

    The caller writes the complete file to the yielded path. If the block
    raises, the temp file is removed and ``path`` is left as it was.
    ``sync_folder=False``: the caller syncs the folder once after moving many files into it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, FILE_MODE)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if _same_bytes(tmp, path):
            tmp.unlink()
        else:
            move_into_place(tmp, path, sync_folder)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(data: bytes, path: Path) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_bytes(data)
    return path


def write_text_atomic(text: str, path: Path) -> Path:
    """Write masked UTF-8 text (with ``\\n`` line ends on every platform) atomically."""
    return write_bytes_atomic(mask_sensitive(text).encode("utf-8"), path)


def write_json_atomic(obj: Any, path: Path) -> Path:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON, so reruns give the same bytes."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=2, default=str) + "\n"
    return write_text_atomic(text, path)


def in_key_order(df: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """``df`` sorted by ``by`` (nulls last, ties in their order), as ``DataFrame.sort`` would.

    A frame already in that order (the decision stage writes its tables sorted, and emit builds
    some sorted) is returned as it is rather than copied: the order is found as row indices, and
    rows are moved only when it is not the identity.
    """
    if not by or df.height < 2:
        return df
    order = df.select(pl.arg_sort_by(list(by), nulls_last=True, maintain_order=True)).to_series()
    return df if order.is_sorted() else df[order]


def _deterministic(df: pl.DataFrame, sort_by: Sequence[str]) -> pl.DataFrame:
    """``df`` masked and in ``sort_by`` order (see :func:`in_key_order`)."""
    return in_key_order(mask_sensitive(df), sort_by)


def write_parquet_atomic(df: pl.DataFrame, path: Path, sort_by: Sequence[str]) -> Path:
    """Write a masked frame sorted by ``sort_by`` as parquet, atomically.

    Column order is the frame's own (callers fix it); polars writes no
    timestamp into the file, so the same frame gives the same bytes. Row groups
    are sized explicitly so the layout does not depend on the thread count.
    """
    frame = _deterministic(df, sort_by)
    with atomic_target(path) as tmp:
        frame.write_parquet(tmp, compression="zstd", compression_level=3, row_group_size=100_000)
    return path


def write_csv_atomic(df: pl.DataFrame, path: Path, sort_by: Sequence[str]) -> Path:
    """Write a masked, sorted frame as UTF-8 CSV with a BOM (so Excel shows Chinese), atomically."""
    frame = _deterministic(df, sort_by)
    with atomic_target(path) as tmp:
        frame.write_csv(tmp, include_bom=True)
    return path


def write_with_atomic(path: Path, build: Callable[[Path], None], sync_folder: bool = True) -> Path:
    """Let ``build`` write the whole file to a temp path (e.g. an xlsxwriter workbook), then move it."""
    with atomic_target(path, sync_folder) as tmp:
        build(tmp)
    return path
