"""Stage 2 as the run calls it (``taizhang.stages.standardize``) on a stage-1 folder: CPU, wall, peak RSS.

Usage::

    TAIZHANG_KEY_FILE=<key> uv run python benchmarks/bench_standardize_stage.py \\
        --ingest <out>/.cache/ingest/<hash> [--expect <out>/.cache/standardize/<hash>] \\
        [--into DIR] [--period 2026H1]

Runs the stage once into ``--into`` (a fresh folder) and prints one JSON line:
CPU seconds (all threads), wall seconds, peak RSS of this process, and the
row counts. With ``--expect`` (a standardize folder made by another version
of the code from the same stage-1 folder) it also says whether each table is
equal to it, row for row and value for value, the frames sorted by their keys.
CPU seconds compare fairly on a shared machine; wall seconds do not.
Prints counts and timings only, never a value.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from taizhang import sealed, stages
from taizhang.period import Period

TABLE_KEYS = {
    "std_records": ["record_id"],
    "std_guardians": ["record_id", "role", "source", "file", "row_number"],
    "std_status": ["source", "file", "row_number"],
}


def _equal(got: Path, expected: Path) -> dict[str, bool]:
    out = {}
    for name, key in TABLE_KEYS.items():
        a = sealed.read_frame(got / f"{name}.parquet").sort(key, maintain_order=True)
        b = sealed.read_frame(expected / f"{name}.parquet").sort(key, maintain_order=True)
        out[name] = a.schema == b.schema and a.equals(b)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest", type=Path, required=True, help="a cached ingest folder")
    parser.add_argument("--expect", type=Path, default=None, help="a standardize folder to compare with")
    parser.add_argument("--into", type=Path, default=None, help="where to write (default: a temp folder)")
    parser.add_argument("--period", default="2026H1")
    args = parser.parse_args()
    into = args.into or Path(tempfile.mkdtemp(prefix="bench_std_stage_"))
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    counts = stages.standardize(args.ingest, Period.of(args.period), into)
    result: dict[str, object] = {
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "wall_seconds": round(time.perf_counter() - wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_mb_before_stage": round(rss_before),
        **counts,
    }
    if args.expect is not None:
        result["equal_to_expected"] = _equal(into, args.expect)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
