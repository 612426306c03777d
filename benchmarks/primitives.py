"""What one row of a hash join, a group-by and a sort costs on this machine as the table grows.

The province-scale benchmark (``benchmarks/scale.py``) reports the run's seconds per record at
300,000, 1,000,000 and 2,500,000 children. Every stage is built from these few operations, in
polars and in DuckDB, so their own cost per row at the same sizes is the line the run's curve is
read against: a stage that does a fixed amount of work per row still costs more per row at the
larger size when each of its joins does.

The tables have the shape of the pipeline's: ``rows`` records of ``rows / 2.85`` children (the
records per child of the generated extracts), a child key, a name-like text and a number. For
each size and engine (polars' in-memory engine, which the eager frames of the rules run on; polars'
streaming engine; DuckDB) it times, as the median of ``--repeat`` runs:

- ``join``: every record joined to its child's row (many to one, the rules' and the link stage's
  commonest join);
- ``group_by``: one row per child with a sum (every "latest per child" and "any per child");
- ``group_by_text``: one row per name-like text (the blocking keys, the people of the parents);
- ``sort``: the records ordered by child (the tables are written sorted).

    uv run python benchmarks/primitives.py [--rows 852174 --rows 2846404 --rows 7118428] [--repeat 3]

Results are written to ``benchmarks/results/primitives.json`` (nanoseconds per row, and each
size's cost per row against the smallest's). DuckDB runs with 2 threads, the scale benchmark's
machine; polars with its own pool (one thread per core).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "primitives.json"
# The records of the scale benchmark's three sizes (benchmarks/results/scale.json).
ROWS = (852_174, 2_846_404, 7_118_428)
RECORDS_PER_CHILD = 2.85
THREADS = 2


def records(rows: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(records, children)``: records in random order, each of one of ``rows / 2.85`` children."""
    rng = np.random.default_rng(seed)
    children = int(rows / RECORDS_PER_CHILD)
    recs = pl.DataFrame(
        {
            "child": rng.integers(0, children, rows),
            "name": rng.integers(0, rows // 4, rows).astype(str),
            "value": rng.random(rows),
        }
    )
    kids = pl.DataFrame({"child": np.arange(children), "county": rng.integers(0, 60, children)})
    return recs, kids


def _median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def polars_ops(recs: pl.DataFrame, kids: pl.DataFrame, engine: str) -> dict[str, Callable[[], object]]:
    """The operations as polars queries, collected with ``engine`` (``in-memory``: what an eager
    frame's method runs; ``streaming``: polars' morsel-driven engine)."""
    r, k = recs.lazy(), kids.lazy()
    queries = {
        "join": r.join(k, on="child", how="left"),
        "group_by": r.group_by("child").agg(pl.col("value").sum()),
        "group_by_text": r.group_by("name").agg(pl.len()),
        "sort": r.sort("child"),
    }
    return {name: (lambda q=q: q.collect(engine=engine)) for name, q in queries.items()}


def duckdb_ops(con: duckdb.DuckDBPyConnection) -> dict[str, Callable[[], object]]:
    def run(sql: str) -> Callable[[], object]:
        return lambda: con.execute(f"CREATE OR REPLACE TEMP TABLE out AS {sql}")

    return {
        "join": run("SELECT r.*, k.county FROM recs AS r LEFT JOIN kids AS k USING (child)"),
        "group_by": run("SELECT child, sum(value) FROM recs GROUP BY child"),
        "group_by_text": run("SELECT name, count(*) FROM recs GROUP BY name"),
        "sort": run("SELECT * FROM recs ORDER BY child"),
    }


def measure(rows: int, repeat: int) -> dict[str, dict[str, float]]:
    """Nanoseconds per record of each operation in each engine, for ``rows`` records."""
    recs, kids = records(rows)
    out: dict[str, dict[str, float]] = {}
    with duckdb.connect() as con:
        con.execute(f"SET threads={THREADS}")
        con.register("recs_frame", recs)
        con.register("kids_frame", kids)
        con.execute("CREATE TABLE recs AS SELECT * FROM recs_frame")
        con.execute("CREATE TABLE kids AS SELECT * FROM kids_frame")
        engines = (
            ("polars", polars_ops(recs, kids, "in-memory")),
            ("polars_streaming", polars_ops(recs, kids, "streaming")),
            ("duckdb", duckdb_ops(con)),
        )
        for engine, ops in engines:
            out[engine] = {
                name: round(_median_seconds(op, repeat) / rows * 1e9, 1) for name, op in ops.items()
            }
    return out


def growth(per_size: dict[int, dict[str, dict[str, float]]]) -> dict[str, dict[str, dict[str, float]]]:
    """Each size's cost per row as a multiple of the smallest size's, per engine and operation."""
    sizes = sorted(per_size)
    base = per_size[sizes[0]]
    return {
        str(rows): {
            engine: {op: round(ns / base[engine][op], 2) for op, ns in ops.items()}
            for engine, ops in per_size[rows].items()
        }
        for rows in sizes[1:]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="record counts (default: scale.py's)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    per_size = {}
    for rows in sorted(args.rows or ROWS):
        per_size[rows] = measure(rows, args.repeat)
        print(rows, json.dumps(per_size[rows]), flush=True)
    result = {
        "measured_on": date.today().isoformat(),
        "cpus": os.cpu_count(),
        "threads": {"polars": pl.thread_pool_size(), "duckdb": THREADS},
        "repeat": args.repeat,
        "nanoseconds_per_row": {str(k): v for k, v in per_size.items()},
        "per_row_cost_vs_smallest": growth(per_size),
    }
    print(json.dumps(result["per_row_cost_vs_smallest"], indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(RESULTS)


if __name__ == "__main__":
    main()
