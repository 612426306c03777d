"""The engines' cost-a-row benchmark (benchmarks/primitives.py) that docs/performance.md reads the
scale curve against: every engine times every operation, and growth is relative to the smallest
size."""

from __future__ import annotations

from benchmarks.primitives import growth, measure, records


def test_records_have_the_pipeline_shape() -> None:
    recs, kids = records(28_500)
    assert recs.height == 28_500
    assert kids.height == 10_000  # 2.85 records a child
    assert recs["child"].max() < kids.height


def test_every_engine_times_every_operation() -> None:
    figures = measure(6_000, repeat=1)
    assert set(figures) == {"polars", "polars_streaming", "duckdb"}
    for ops in figures.values():
        assert set(ops) == {"join", "group_by", "group_by_text", "sort"}
        assert all(ns > 0 for ns in ops.values())


def test_growth_is_each_size_against_the_smallest() -> None:
    per_size = {
        100: {"duckdb": {"join": 10.0}},
        300: {"duckdb": {"join": 15.0}},
        900: {"duckdb": {"join": 5.0}},
    }
    assert growth(per_size) == {"300": {"duckdb": {"join": 1.5}}, "900": {"duckdb": {"join": 0.5}}}
