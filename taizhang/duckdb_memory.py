"""How much memory the link stage's DuckDB may hold before it spills its tables to disk.

A fixed limit makes DuckDB spill a larger share of its tables the larger the run: at 2,500,000
children (7.1 million records) a 2 GB limit left the link stage waiting on the disk for a
large part of its time. The limit therefore grows with the records (``BYTES_PER_RECORD``),
never below the linkage configuration's floor, and never above a share of the machine's memory,
so that the rest of the stage (clustering's and the ids' frames) and the machine keep theirs.
``$TAIZHANG_DUCKDB_MEMORY_LIMIT`` overrides all of this (see ``taizhang.stages.duckdb_for_stage``).
"""

from __future__ import annotations

import os
import re

# Enough for the records table and the pair tables of a record to stay in memory: at 1,000,000
# children 850 bytes a record (2.4 GB) made the link stage read its spilled records back in
# every join (a scan of the records took 1.8 s instead of 0.1 s), and 1,500 (4.3 GB) took 6 s
# off the stage for 0.6 GB more peak. The province (7.1 million records, 10.7 GB) stays under
# the cap below on a 24 GB machine; below 1.3 million records (about 470,000 children) the floor
# applies.
BYTES_PER_RECORD = 1500
# The cap leaves the rest of the machine to the link stage's own frames (clusters, anchors, ids)
# and to the system. At 2,500,000 children on 24 GB, the link engine alone on the same records:
# held to a quarter (6.3 GB), 198 s and 232 s, peaks 11.0 and 10.8 GB; with 10 GB, 178 s (11.2 GB);
# with this share (10.7 GB), 184 s (11.8 GB). The comparisons and the pairs' flags read spilled
# pair tables back under the quarter; the frames beside DuckDB do not grow with its share.
SHARE_OF_MACHINE = 0.45

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def parse_size(text: str) -> int:
    """Bytes in a size as DuckDB writes it (``2GB``, ``1.5 GiB``, ``500MB``)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in _UNITS:
        raise ValueError(f"not a memory size: {text!r} (write it like 2GB or 1500MB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def machine_memory() -> int | None:
    """The machine's physical memory in bytes, when the platform says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def link_memory_limit(records: int, floor: str, machine: int | None = None) -> str:
    """DuckDB's memory limit for linking ``records`` records: ``BYTES_PER_RECORD`` each, at least
    ``floor``, at most ``SHARE_OF_MACHINE`` of ``machine`` (default: this machine's memory)."""
    low = parse_size(floor)
    want = max(low, records * BYTES_PER_RECORD)
    total = machine if machine is not None else machine_memory()
    if total:
        want = min(want, max(low, int(total * SHARE_OF_MACHINE)))
    return f"{want // 10**6}MB"
