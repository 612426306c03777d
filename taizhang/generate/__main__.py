"""Command line of the generator.

``python -m taizhang.generate --out DIR --children N --seed S --periods 2026H1,2026H2
[--noise heavy] [--no-marks] [--names varied]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from taizhang.generate.extracts import generate
from taizhang.generate.names import NAME_STYLES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m taizhang.generate", description="synthetic extracts with truth"
    )
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--children", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--periods", default="2026H1,2026H2")
    ap.add_argument("--noise", default="default", choices=["default", "heavy", "none"])
    ap.add_argument(
        "--no-marks",
        action="store_true",
        help="leave out junk rows, annotated headers, titles and extra sheets (same records otherwise)",
    )
    ap.add_argument(
        "--names",
        default="pooled",
        choices=NAME_STYLES,
        help="given names from the small pools (many namesakes) or composed of common characters",
    )
    a = ap.parse_args(argv)
    periods = [p for p in a.periods.split(",") if p]
    counts = generate(
        a.out, a.children, a.seed, periods, a.noise, marks=False if a.no_marks else None, names=a.names
    )
    print(json.dumps(counts, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
