"""The scale curve as a picture: each size's cost a record against the smallest size's.

Reads ``benchmarks/results/scale.json`` (``benchmarks/scale.py``) and
``benchmarks/results/primitives.json`` (``benchmarks/primitives.py``) and draws, against the
records of a run (log scale):

- the whole ``taizhang run``'s seconds per record, pooled and varied names, each as a multiple
  of its cost a record at the smallest size (1.0 everywhere would be time in step with the rows);
- a join and a group-by in polars and in DuckDB, the same way.

The picture is a plain SVG (no script, no web font; the colours of the pages' charts,
``taizhang.charts.PALETTE``) written to ``docs/img/scale_per_record.svg``
for ``docs/performance.md``.

    uv run python benchmarks/plot_scale.py
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from taizhang.charts import PALETTE

ROOT = Path(__file__).resolve().parents[1]
SCALE = ROOT / "benchmarks" / "results" / "scale.json"
PRIMITIVES = ROOT / "benchmarks" / "results" / "primitives.json"
OUT = ROOT / "docs" / "img" / "scale_per_record.svg"

# (series label, engine, operation) drawn from primitives.json.
ENGINE_LINES = (
    ("polars join", "polars", "join"),
    ("polars group-by", "polars", "group_by"),
    ("DuckDB join", "duckdb", "join"),
    ("DuckDB group-by", "duckdb", "group_by"),
)
RUN_STYLES = (("taizhang run, pooled names", ""), ("taizhang run, varied names", "_varied"))


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[int, float], ...]  # (records, cost a record / the smallest size's)
    run: bool  # the pipeline's own line (drawn heavier) or an engine's


def _relative(points: list[tuple[int, float]]) -> tuple[tuple[int, float], ...]:
    points = sorted(points)
    base = points[0][1]
    return tuple((rows, round(cost / base, 3)) for rows, cost in points)


def run_series(scale: dict) -> list[Series]:
    """One line per name style: wall seconds per record of each size, against the smallest's."""
    out = []
    for label, suffix in RUN_STYLES:
        points = [
            (r["rows"], r["wall_seconds"] / r["rows"])
            for key, r in scale.items()
            if key.endswith(suffix) and key.removesuffix(suffix).isdigit()
        ]
        if len(points) >= 2:
            out.append(Series(label, _relative(points), run=True))
    return out


def engine_series(primitives: dict) -> list[Series]:
    """One line per engine and operation: nanoseconds a row at each size, against the smallest's."""
    per_size = primitives["nanoseconds_per_row"]
    return [
        Series(label, _relative([(int(rows), ops[engine][op]) for rows, ops in per_size.items()]), run=False)
        for label, engine, op in ENGINE_LINES
    ]


# Drawing area (pixels) and the axes' ranges.
WIDTH, HEIGHT = 760, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 230, 30, 60
DASHES = ("", "", "6 4", "6 4", "2 3", "2 3")


def svg(series: list[Series], ticks: dict[int, str]) -> str:
    """The chart: x the records (log), y the cost a record against the smallest size's."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points] + [1.0]
    x_lo, x_hi = math.log10(min(xs) / 1.15), math.log10(max(xs) * 1.15)
    y_lo = min(0.8, math.floor(min(ys) * 10) / 10)
    y_hi = math.ceil(max(ys) * 5) / 5
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return LEFT + (math.log10(x) - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return TOP + (y_hi - y) / (y_hi - y_lo) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="18" font-size="13">Cost a record (or a row) against the smallest size</text>',
    ]
    step = 0.2
    y = math.ceil(y_lo / step) * step
    while y <= y_hi + 1e-9:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#e0e0e0"/>'
            f'<text x="{LEFT - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.1f}</text>'
        )
        y += step
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(1.0):.1f}" y2="{py(1.0):.1f}" '
        'stroke="black" stroke-width="1"/>'
        f'<text x="{LEFT + 6}" y="{py(1.0) + 16:.1f}" fill="#444">'
        "in step with the rows</text>"
    )
    for x, label in sorted(ticks.items()):
        parts.append(
            f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#e0e0e0"/>'
            f'<text x="{px(x):.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{escape(label)}</text>'
            f'<text x="{px(x):.1f}" y="{TOP + plot_h + 30}" text-anchor="middle" fill="#666">'
            f"{x:,} rows</text>"
        )
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>')
    for i, s in enumerate(series):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        width = 3 if s.run else 1.5
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in s.points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dashed}/>'
        )
        parts.extend(
            f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="{3 if s.run else 2}" fill="{colour}"/>'
            for x, y in s.points
        )
        ly = TOP + 10 + i * 20
        parts.append(
            f'<line x1="{LEFT + plot_w + 14}" x2="{LEFT + plot_w + 40}" y1="{ly}" y2="{ly}" '
            f'stroke="{colour}" stroke-width="{width}"{dashed}/>'
            f'<text x="{LEFT + plot_w + 46}" y="{ly + 4}">{escape(s.label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    scale = json.loads(SCALE.read_text(encoding="utf-8"))
    primitives = json.loads(PRIMITIVES.read_text(encoding="utf-8"))
    series = [*run_series(scale), *engine_series(primitives)]
    ticks = {
        r["rows"]: f"{r['children']:,} children" for key, r in scale.items() if key.isdigit() and "rows" in r
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".svg.tmp")
    tmp.write_text(svg(series, ticks), encoding="utf-8")
    tmp.replace(OUT)
    for s in series:
        print(s.label, s.points)


if __name__ == "__main__":
    main()
