"""Province scale: generated extracts of N children, one half-year, run as the operator runs them.

For each size it generates the extracts once (``taizhang generate``, kept under
``--work``), then runs ``taizhang run`` as a subprocess, exactly as a scheduled
run would, and records:

- wall seconds and peak resident memory of the whole command (the largest
  stage peak, or ``wait4``'s figure when larger), its CPU seconds (with any
  child process: Prefect's flows run only where ``PREFECT_API_URL`` names a
  server), and the start-up and publishing (wall time not spent in any
  stage: interpreter, imports, hashing the extracts, publishing, run report);
- the rows linked and the candidate pairs the link stage scored;
- seconds and peak RSS of every stage, from the run report
  (``run_report.json``, written by ``taizhang.pipeline``);
- linkage precision / recall / F1 and the ledger's quality against the
  generator's truth (``benchmarks/quality.py``'s scoring);
- optionally, Splink 5's time and F1 on the same records as the peer line
  (``bench_link.py``'s Splink runner; needs ``uv sync --group bench``).

    uv run python benchmarks/scale.py --children 300000 [--children 1000000] [--memory-limit 4GB] [--splink]

``--names varied`` generates given names composed of common characters instead of
the small pools (``taizhang generate --names``): the same children and records,
with far fewer namesakes (nearer a province's), so the curve shows what the
run's time grows with apart from them (keyed ``<children>_varied``).

``--extracts-root`` takes extracts generated earlier (``<root>/extracts_<children>_<seed>/``, as
this script writes them) from a folder that is only read.

Results are merged into ``benchmarks/results/scale.json`` keyed by size, so
sizes can be measured in separate sessions (the 2,500,000-child run needs a
machine of its own). Timings on a shared machine are inflated by the other
load: the load average before and after each run is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from taizhang.generate.names import NAME_STYLES

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
PERIOD = "2026H1"
SIZES = (300_000, 1_000_000, 2_500_000)


def _taizhang(*args: str) -> list[str]:
    return [sys.executable, "-m", "taizhang.cli", *args]


def names_suffix(names: str) -> str:
    """What a name style adds to a size's folder and result key (nothing for the pools, the default)."""
    return "" if names == "pooled" else f"_{names}"


def extracts_name(children: int, seed: int, names: str) -> str:
    """The folder of a size's extracts (``_varied`` for varied names)."""
    return f"extracts_{children}_{seed}{names_suffix(names)}"


def generate(work: Path, children: int, seed: int, names: str = "pooled") -> Path:
    """Extracts of ``children`` children for one half-year (kept: generating is not what is measured)."""
    folder = work / extracts_name(children, seed, names)
    if not (folder / "truth" / PERIOD).is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            _taizhang(
                "generate",
                "--out",
                str(folder),
                "--children",
                str(children),
                "--seed",
                str(seed),
                "--periods",
                PERIOD,
                "--names",
                names,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def run_pipeline(extracts: Path, out: Path, env: dict[str, str]) -> dict[str, float]:
    """``taizhang run`` in a subprocess: wall and CPU seconds, peak RSS of the process tree."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        _taizhang("run", "--extracts", str(extracts / PERIOD), "--period", PERIOD, "--out", str(out)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"taizhang run failed ({os.waitstatus_to_exitcode(status)}):\n{stderr[-3000:]}")
    return {
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def stage_figures(report: dict) -> dict[str, dict[str, float]]:
    return {
        name: {"seconds": round(s["seconds"], 1), "peak_rss_mb": s.get("peak_rss_mb")}
        for name, s in report["stages"].items()
    }


def quality(out_period: Path, truth: Path) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from quality import score_period

    scores, _, _ = score_period(out_period, truth)
    keep = ("linkage", "migrant", "suspected_orphan", "suspected_unsupported", "records", "ledger_rows")
    return {k: scores[k] for k in keep}


def splink_peer(extracts: Path, work: Path) -> dict:
    """Splink 5 on the same half-year's standardized records (``bench_link.py --step splink``)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_link import _measure, _std

    std = _std(extracts, PERIOD, work)
    return _measure("splink", str(std))


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def measure(
    children: int,
    seed: int,
    work: Path,
    memory_limit: str | None,
    splink: bool,
    extracts_root: Path | None = None,
    names: str = "pooled",
) -> dict:
    given = extracts_root / extracts_name(children, seed, names) if extracts_root else None
    extracts = (
        given if given and (given / "truth" / PERIOD).is_dir() else generate(work, children, seed, names)
    )
    out = work / f"out_{children}_{seed}"
    env = dict(os.environ)
    if memory_limit:
        env["TAIZHANG_DUCKDB_MEMORY_LIMIT"] = memory_limit
    load_before = load_average()
    whole = run_pipeline(extracts, out, env)
    report = json.loads((out / PERIOD / "run_report.json").read_text(encoding="utf-8"))
    stages = stage_figures(report)
    in_stages = sum(s["seconds"] for s in stages.values())
    # Each stage resets the kernel's peak (taizhang/peak_memory.py), which wait4 reports: the
    # run's peak is the larger of that and the largest stage peak.
    whole["peak_rss_mb"] = max([whole["peak_rss_mb"], *(s["peak_rss_mb"] or 0 for s in stages.values())])
    result = {
        "children": children,
        "seed": seed,
        "names": names,
        "period": PERIOD,
        "measured_on": date.today().isoformat(),
        "cpus": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "duckdb_memory_limit": memory_limit or "default",
        "rows": report["stages"]["standardize"]["counts"].get("std_records"),
        # what the link stage's time grows with: the pairs its blocking rules formed and it scored
        "candidate_pairs": report["stages"]["link"]["counts"].get("candidate_pairs"),
        **whole,
        "startup_and_publish_seconds": round(whole["wall_seconds"] - in_stages, 1),
        "stages": stages,
        "quality": quality(out / PERIOD, extracts / "truth" / PERIOD),
    }
    if splink:
        result["splink_peer"] = splink_peer(extracts, work)
    shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, action="append", help=f"sizes (default {SIZES[0]})")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "data" / "scale")
    parser.add_argument("--memory-limit", help="DuckDB memory limit for the run, e.g. 4GB")
    parser.add_argument("--splink", action="store_true", help="also time Splink 5 (uv group bench)")
    parser.add_argument(
        "--extracts-root", type=Path, help="read extracts_<children>_<seed>/ from here when they are there"
    )
    parser.add_argument(
        "--names",
        choices=NAME_STYLES,
        default="pooled",
        help="given names of the generated extracts: the small pools (default; many namesakes) or "
        "varied (namesakes nearer a province's); varied results are keyed <children>_varied",
    )
    args = parser.parse_args()

    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    for children in args.children or [SIZES[0]]:
        result = measure(
            children, args.seed, args.work, args.memory_limit, args.splink, args.extracts_root, args.names
        )
        print(json.dumps(result, ensure_ascii=False, indent=2))
        results[f"{children}{names_suffix(args.names)}"] = result
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"peak RSS of this driver: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
