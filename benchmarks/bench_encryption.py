"""What sealing the working data costs: one half-year run with AES-256-GCM and one without.

    uv run taizhang generate --out /tmp/enc/extracts --children 300000 --seed 5 --periods 2026H1
    uv run python benchmarks/bench_encryption.py --extracts /tmp/enc/extracts/2026H1 --period 2026H1 \
        --work /tmp/enc --result benchmarks/results/encryption_300000.json [--warmup SMALL_EXTRACTS]

Each run starts from an empty output folder (stage cache under it) and runs the
five stages without Prefect. The run "without" replaces only the cipher of
``taizhang.sealed`` by a pass-through (the same files are serialized in memory
and written atomically, just not encrypted), so the difference is the
encryption itself. Beside the two wall-clock times, the sealed run times every
seal and unseal call, which gives the cost without the noise of a shared
machine. The order of the two runs can be swapped (``--order``) to check that
a warm page cache does not favour the second.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

from taizhang import pipeline, sealed  # imports every stage's modules before any clock starts


def _timed(fn: Any, spent: list[float]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    return wrapper


def run(extracts: Path, period: str, out: Path, encrypted: bool) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    original_seal, original_unseal = sealed.seal, sealed.unseal
    spent: list[float] = []
    if encrypted:
        sealed.seal = _timed(original_seal, spent)
        sealed.unseal = _timed(original_unseal, spent)
    else:
        sealed.seal = lambda plain, key: [bytes(plain)]
        sealed.unseal = lambda data, key, path: data
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = pipeline.run_period(extracts, period, out)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    finally:
        sealed.seal, sealed.unseal = original_seal, original_unseal
    stages = {name: info["seconds"] for name, info in outcome.report["stages"].items()}
    result = {
        "encrypted": encrypted,
        "seconds": round(seconds, 1),
        # CPU time of this process (all threads): less swayed than wall clock by other jobs on the machine.
        "cpu_seconds": round(cpu_seconds, 1),
        "stage_seconds": stages,
    }
    if encrypted:
        result["seal_and_unseal_seconds"] = round(sum(spent), 2)
        result["seal_and_unseal_calls"] = len(spent)
    working = [p for p in out.rglob("*") if p.is_file() and (".cache" in p.parts or "state" in p.parts)]
    result["working_bytes"] = sum(p.stat().st_size for p in working)
    shutil.rmtree(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extracts", type=Path, required=True)
    parser.add_argument("--period", required=True)
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for the two outputs")
    parser.add_argument("--result", type=Path, required=True)
    parser.add_argument("--order", choices=("plain-first", "sealed-first"), default="plain-first")
    parser.add_argument(
        "--warmup",
        type=Path,
        help="a small extracts folder run once, untimed, first: a process's first run pays for warming up "
        "its libraries (measured at 150 children: 30-40 s against 7-13 s for the second run)",
    )
    args = parser.parse_args()
    order = [False, True] if args.order == "plain-first" else [True, False]
    if args.warmup:
        run(args.warmup, args.period, args.work / "out-warmup", True)
    runs = [
        run(args.extracts, args.period, args.work / f"out-{'sealed' if e else 'plain'}", e) for e in order
    ]
    by = {r["encrypted"]: r for r in runs}
    report = {
        "extracts": str(args.extracts),
        "period": args.period,
        "order": args.order,
        "runs": runs,
        "wall_clock_overhead_percent": round(100 * (by[True]["seconds"] / by[False]["seconds"] - 1), 1),
        "cpu_overhead_percent": round(100 * (by[True]["cpu_seconds"] / by[False]["cpu_seconds"] - 1), 1),
        "crypto_share_of_sealed_run_percent": round(
            100 * by[True]["seal_and_unseal_seconds"] / by[True]["seconds"], 2
        ),
    }
    args.result.parent.mkdir(parents=True, exist_ok=True)
    args.result.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
