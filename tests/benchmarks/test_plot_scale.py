"""The scale curve's picture (benchmarks/plot_scale.py): which runs it draws, and as what."""

from __future__ import annotations

import xml.dom.minidom

from benchmarks.plot_scale import engine_series, run_series, svg


def _run(children: int, rows: int, wall: float) -> dict:
    return {"children": children, "rows": rows, "wall_seconds": wall}


SCALE = {
    "300000": _run(300_000, 1_000, 10.0),
    "300000_before": {"children": 300_000, "wall_seconds": 600.0},  # an old measurement, no rows
    "1000000": _run(1_000_000, 4_000, 48.0),
    "300000_varied": _run(300_000, 1_000, 10.0),
    "1000000_varied": _run(1_000_000, 4_000, 40.0),
}
PRIMITIVES = {
    "nanoseconds_per_row": {
        "1000": {"polars": {"join": 30.0, "group_by": 40.0}, "duckdb": {"join": 70.0, "group_by": 35.0}},
        "4000": {"polars": {"join": 60.0, "group_by": 40.0}, "duckdb": {"join": 70.0, "group_by": 70.0}},
    }
}


def test_each_name_style_is_its_cost_a_record_against_its_smallest_run() -> None:
    lines = {s.label: s.points for s in run_series(SCALE)}
    # 48 s for 4 times the rows of a 10 s run: 1.2 times the cost a record; varied 40 s: 1.0
    assert lines == {
        "taizhang run, pooled names": ((1_000, 1.0), (4_000, 1.2)),
        "taizhang run, varied names": ((1_000, 1.0), (4_000, 1.0)),
    }


def test_engine_lines_are_their_cost_a_row_against_the_smallest_table() -> None:
    lines = {s.label: s.points for s in engine_series(PRIMITIVES)}
    assert lines["polars join"] == ((1_000, 1.0), (4_000, 2.0))
    assert lines["DuckDB join"] == ((1_000, 1.0), (4_000, 1.0))


def test_the_picture_is_an_svg_naming_every_line_and_size() -> None:
    series = [*run_series(SCALE), *engine_series(PRIMITIVES)]
    picture = svg(series, {1_000: "300,000 children", 4_000: "1,000,000 children"})
    doc = xml.dom.minidom.parseString(picture)
    texts = {t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild}
    assert {s.label for s in series} <= texts
    assert {"300,000 children", "1,000,000 children", "in step with the rows"} <= texts
    assert len(doc.getElementsByTagName("polyline")) == len(series)
    # nothing a page would fetch: no script, no external reference
    assert "<script" not in picture and "href" not in picture
