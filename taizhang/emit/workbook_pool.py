"""Workbooks written a few at a time, each by one thread.

Most of a workbook's cost is polars building its rows and zlib deflating its
XML, and both run without Python's global interpreter lock: two workbooks
written side by side keep two cores busy where one at a time keeps one. Each
workbook is its own xlsxwriter object and its own file, written atomically, so
the files are the same whichever thread writes them and in whatever order.

``$TAIZHANG_EMIT_WRITERS`` sets how many at once (1 writes them one after
another); the default is the machine's cores, at most two, since each
workbook in flight holds its XML text in memory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from taizhang.publish import fsync_dir

WRITERS_ENV = "TAIZHANG_EMIT_WRITERS"
DEFAULT_WRITERS = 2

K = TypeVar("K")


def writers() -> int:
    """How many workbooks are written at once."""
    configured = os.environ.get(WRITERS_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, min(DEFAULT_WRITERS, os.cpu_count() or 1))


def write_each(keys: Iterable[K], write: Callable[[K], Path]) -> dict[K, Path]:
    """``{key: write(key)}`` for every key, the workbooks written :func:`writers` at a time.

    ``write`` moves its file into place without syncing the folder
    (``write_with_atomic(..., sync_folder=False)``): each folder written into is synced once
    here, after its last file, which makes every rename in it durable.

    The first error raised by any ``write`` is raised here, after the workbooks already
    started have finished (each is written atomically, so none is left half-written).
    """
    keys = list(keys)
    n = min(writers(), len(keys))
    if n <= 1:
        written = {key: write(key) for key in keys}
    else:
        with ThreadPoolExecutor(max_workers=n, thread_name_prefix="taizhang-emit") as pool:
            written = dict(zip(keys, pool.map(write, keys), strict=True))
    for folder in sorted({path.parent for path in written.values()}):
        fsync_dir(folder)
    return written
