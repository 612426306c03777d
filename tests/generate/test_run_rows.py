"""A run on extracts carrying every arrival mark accounts for each row under the row number the
generator's truth gives it: readable child rows linked, junk and damaged rows quarantined,
nothing lost, invented or moved (docs/generator.md, "Marks")."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from benchmarks.evaluation import row_accounting
from taizhang.generate import generate
from taizhang.pipeline import run_period

PERIOD = "2026H1"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("marks_run")
    extracts, out = root / "extracts", root / "out"
    generate(extracts, children=500, seed=7, periods=[PERIOD], noise="heavy")
    run_period(extracts / PERIOD, PERIOD, out)
    return extracts / "truth" / PERIOD, out / PERIOD


def test_every_row_is_linked_or_quarantined_under_its_own_row_number(run):
    truth_dir, out_dir = run
    truth = pl.read_parquet(truth_dir / "records.parquet")
    counts = row_accounting(
        pl.read_parquet(out_dir / "links.parquet"), pl.read_parquet(out_dir / "quarantine.parquet"), truth
    )
    assert counts["junk_rows"] >= 50  # heavy noise: every kind of junk row, in every file
    lost_or_moved = (
        "missing",
        "unknown",
        "twice",
        "junk_linked",
        "readable_quarantined",
        "unreadable_linked",
    )
    assert {k: counts[k] for k in lost_or_moved} == dict.fromkeys(lost_or_moved, 0)
    assert counts["junk_quarantined"] == counts["junk_rows"]


def test_row_accounting_sees_a_shifted_row(run):
    """The check itself: a reader that skipped one blank row would move every later row."""
    truth_dir, out_dir = run
    truth = pl.read_parquet(truth_dir / "records.parquet")
    links = pl.read_parquet(out_dir / "links.parquet")
    quarantine = pl.read_parquet(out_dir / "quarantine.parquet")
    blank = truth.filter(pl.col("unreadable_kind") == "empty_row", pl.col("source") != "person_status").row(
        0, named=True
    )
    later = (pl.col("file") == blank["file"]) & (pl.col("row_number") > blank["row_number"])
    shift = pl.when(later).then(pl.col("row_number") - 1).otherwise("row_number").alias("row_number")
    skipped = quarantine.filter(
        ~((pl.col("file") == blank["file"]) & (pl.col("row_number") == blank["row_number"]))
    )
    counts = row_accounting(links.with_columns(shift), skipped.with_columns(shift), truth)
    assert counts["missing"] >= 1
    assert counts["readable_quarantined"] + counts["unreadable_linked"] + counts["junk_linked"] >= 1
