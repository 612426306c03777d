"""Speed and memory of the synthetic generator (run once; not a test).

uv run python benchmarks/bench_generate.py --children 300000 --out /tmp/bench_gen
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

from taizhang.generate import generate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--periods", default="2026H1,2026H2")
    ap.add_argument("--noise", default="default")
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_generate"))
    ap.add_argument("--no-marks", action="store_true", help="without junk rows, titles, extra sheets")
    a = ap.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    t0 = time.perf_counter()
    counts = generate(
        a.out, a.children, a.seed, a.periods.split(","), a.noise, marks=False if a.no_marks else None
    )
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = sum(p.stat().st_size for p in a.out.rglob("*") if p.is_file()) / 2**20
    report = {
        "children": a.children,
        "periods": a.periods,
        "marks": not a.no_marks,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb),
        "output_mb": round(size_mb, 1),
        "per_period": {
            p: {k: v for k, v in c.items() if k in ("children", "migrants", "orphans", "unsupported")}
            | {"rows": sum(c["rows"].values())}
            for p, c in counts["periods"].items()
        },
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
