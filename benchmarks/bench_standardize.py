"""Speed of stage 2 (standardize) on generated extracts: seconds and peak memory.

Usage::

    uv run python benchmarks/bench_standardize.py --children 300000 [--work DIR] [--seed 1]

Generates the extracts (unless ``DIR/<period>`` already holds them), ingests
them, then times ``standardize_records``, ``standardize_guardians`` and
``standardize_status`` alone. Also reports the identity-number and county
quality figures against the generator's truth. Target: under 30 s for 300,000
children (about 700,000 records) on 2 cores. Prints counts and timings only.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from taizhang.generate.extracts import generate
from taizhang.ingest.read import read_extracts
from taizhang.parsers.id_numbers import clean_id_text
from transforms.standardize import standardize_guardians, standardize_records, standardize_status

PERIOD = "2026H1"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _quality(records: pl.DataFrame, truth_dir: Path) -> dict[str, float]:
    truth = pl.read_parquet(truth_dir / "records.parquet").join(
        pl.read_parquet(truth_dir / "children.parquet"), on="child_key", how="inner"
    )
    j = records.join(truth, on=["source", "file", "row_number"], how="inner", suffix="_true")
    kept = j.with_columns(clean_id_text(pl.col("id_raw")).str.replace(r"\.0+$", "").alias("c")).filter(
        pl.col("c") == pl.col("id_number_true")
    )
    out = {
        "id_kept_digits_equal_truth": float(
            (kept["id_number"] == kept["id_number_true"]).fill_null(False).mean()
        )
    }
    for kind in ("hukou", "residence"):
        given = j.filter(pl.col(f"{kind}_resolution") != "empty")
        out[f"{kind}_county_equal_truth"] = float(
            (given[f"{kind}_county"] == given[f"{kind}_county_true"]).fill_null(False).mean()
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_std_"))
    if not (work / PERIOD).is_dir():
        t = time.perf_counter()
        generate(work, children=args.children, seed=args.seed, periods=[PERIOD])
        print(f"generated in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    staged = read_extracts(work / PERIOD).staged
    print(f"ingested in {time.perf_counter() - t:.1f} s")
    rss_before = _peak_rss_mb()

    t0 = time.perf_counter()
    records = standardize_records(staged)
    t1 = time.perf_counter()
    guardians = standardize_guardians(staged, records)
    t2 = time.perf_counter()
    status = standardize_status(staged)
    t3 = time.perf_counter()
    result = {
        "children": args.children,
        "records": records.height,
        "guardians": guardians.height,
        "status_rows": status.height,
        "seconds_records": round(t1 - t0, 2),
        "seconds_guardians": round(t2 - t1, 2),
        "seconds_status": round(t3 - t2, 2),
        "seconds_total": round(t3 - t0, 2),
        "peak_rss_mb_before_standardize": round(rss_before),
        "peak_rss_mb": round(_peak_rss_mb()),
        "threads": pl.thread_pool_size(),
        **_quality(records, work / "truth" / PERIOD),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
