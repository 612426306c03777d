"""Speed, memory and quarantine accuracy of Stage 1 (ingest), on generated or given extracts.

    uv run python benchmarks/bench_ingest.py --children 300000 --seed 1
    uv run python benchmarks/bench_ingest.py --extracts out/gen/2026H1

Without ``--extracts`` the generator (``taizhang.generate``) writes one
half-year into a temporary folder in a *separate process*, so the peak
resident memory reported here is ingest's alone. Ingest is
``read_extracts`` plus ``stage_to_duckdb`` into an in-memory DuckDB.
With ``--validate``, every staged source is also validated and the liaison
reports written (into the temporary folder), timed apart.
With ``--stage``, the run's own stage functions (``taizhang.stages.ingest`` and ``validate``:
reading, sealed staged files, validation in its worker process, reports) run
instead, and the CPU seconds and peak memory of this process and of the
validation worker are given apart (``TAIZHANG_KEY_FILE`` or ``TAIZHANG_KEY``
gives the key the staged files are sealed with).
When the folder has the generator's truth next to it
(``../truth/<period>/records.parquet``), every row's fate (staged, or
quarantined with which code) is compared with the truth.
Prints one JSON object: counts, seconds, peak RSS; no personal data.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from taizhang.ingest import read_extracts, stage_to_duckdb


def _generate(out: Path, children: int, seed: int, period: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "taizhang.generate",
            "--out",
            str(out),
            "--children",
            str(children),
            "--seed",
            str(seed),
            "--periods",
            period,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def _accuracy(result, truth_path: Path) -> dict[str, object]:
    """Agreement of staged/quarantined rows with the generator's truth, per reason code."""
    truth = pl.read_parquet(truth_path).select("source", "file", "row_number", "unreadable_kind")
    staged = pl.concat(f.select("source", "file", "row_number") for f in result.staged.values())
    ours = pl.concat(
        [
            staged.with_columns(pl.lit(None, dtype=pl.String).alias("reason_code")),
            result.quarantine.select("source", "file", "row_number", "reason_code"),
        ]
    )
    joined = truth.join(ours, on=["source", "file", "row_number"], how="full", coalesce=True)
    expected = pl.col("unreadable_kind").fill_null("staged")
    got = pl.col("reason_code").fill_null("staged")
    per_code = (
        joined.group_by(expected.alias("truth"))
        .agg(pl.len().alias("rows"), (expected == got).sum().alias("agree"))
        .sort("truth")
    )
    return {
        "truth_rows": truth.height,
        "ingest_rows": ours.height,
        "rows_disagreeing": int(joined.filter(expected != got).height),
        "per_truth_code": {r["truth"]: {"rows": r["rows"], "agree": r["agree"]} for r in per_code.to_dicts()},
    }


def _validate(result, out: Path) -> dict[str, object]:
    """Seconds to validate every staged source (GX imported on the way) and to write the reports."""
    from data_contracts import load_contracts
    from expectations.report import write_reports
    from expectations.validate import validate_source

    contracts = load_contracts()
    t0 = time.perf_counter()
    staged = sorted(result.staged.items())
    validations = [validate_source(contracts[s], frame) for s, frame in staged if s in contracts]
    t1 = time.perf_counter()
    write_reports(validations, [*result.file_reports, *result.errors], result.quarantine, out)
    t2 = time.perf_counter()
    return {
        "validate_seconds": round(t1 - t0, 2),
        "report_seconds": round(t2 - t1, 2),
        "checks_with_findings": sum(len(v.failed) for v in validations),
    }


def _stage(extracts: Path, into: Path) -> dict[str, object]:
    """The ingest and validate stages as a run calls them: wall and CPU seconds, peak memory, of both
    processes."""
    from expectations import validation_process
    from taizhang.stages import ingest, validate

    (into / "ingest").mkdir(parents=True, exist_ok=True)
    (into / "validate").mkdir(parents=True, exist_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    validation_process.start_early(extracts)  # as `taizhang run` does when it starts
    counts = ingest(extracts, into / "ingest", validation_key="bench")
    counts |= validate(into / "ingest", into / "validate", validation_key="bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker, stopped when the stage ended
    return {
        "stage_counts": counts,
        "stage_seconds": round(wall, 2),
        "stage_cpu_seconds": round(cpu, 2),
        "worker_cpu_seconds": round(worker.ru_utime + worker.ru_stime, 2),
        "worker_peak_rss_mb": round(worker.ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extracts", type=Path, help="an extracts folder (default: generate one)")
    parser.add_argument("--children", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default="2026H1")
    parser.add_argument(
        "--validate", action="store_true", help="also validate every source and write the liaison reports"
    )
    parser.add_argument(
        "--stage", action="store_true", help="run the run's ingest stage (validation included) instead"
    )
    args = parser.parse_args(argv)

    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        if args.extracts is None:
            report["generate_seconds"] = round(_generate(Path(tmp), args.children, args.seed, args.period), 2)
            report["children"] = args.children
            extracts = Path(tmp) / args.period
        else:
            extracts = args.extracts
        report["extract_bytes"] = sum(p.stat().st_size for p in extracts.iterdir() if p.is_file())
        if args.stage:
            report |= _stage(extracts, Path(tmp) / "stage")
            report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return 0

        t0 = time.perf_counter()
        result = read_extracts(extracts)
        t1 = time.perf_counter()
        con = duckdb.connect()
        stage_to_duckdb(con, result)
        t2 = time.perf_counter()

        report["rows_read"] = sum(r.rows_read for r in result.file_reports)
        report["staged"] = sum(f.height for f in result.staged.values())
        report["quarantined"] = result.quarantine.height
        report["quarantine_by_code"] = dict(sorted(result.quarantine["reason_code"].value_counts().rows()))
        report["file_errors"] = sorted(e.code for e in result.errors)
        report["files"] = len(result.file_reports)
        report["read_seconds"] = round(t1 - t0, 2)
        report["stage_seconds"] = round(t2 - t1, 2)
        report["ingest_seconds"] = round(t2 - t0, 2)
        if args.validate:
            report |= _validate(result, Path(tmp))
        # ru_maxrss is in KiB on Linux: the peak of this process, which did no generating.
        report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        truth = extracts.parent / "truth" / extracts.name / "records.parquet"
        if truth.is_file():
            report["accuracy"] = _accuracy(result, truth)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
