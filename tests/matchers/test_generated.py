"""Quality on generated extracts with ground truth (ingest → standardize → link).

Marked ``slow``: standardizing a few thousand generated rows takes tens of
seconds on two cores; the fast hand-made tests cover each guard on its own.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from benchmarks.evaluation import (
    clusters_with_two_valid_ids,
    pairwise_scores,
    standardized_generated,
    twin_merges,
    twin_pairs,
    with_truth,
)
from matchers.configs import children
from matchers.engine import link

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "taizhang.generate",
            "--out",
            str(out),
            "--children",
            "600",
            "--seed",
            "5",
            "--periods",
            "2026H1,2026H2",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _assigned(generated: Path, period: str, as_of: date, registry: pl.DataFrame | None):
    records = standardized_generated(generated / period, as_of)
    result = link(records, children(), previous_registry=registry)
    truth = with_truth(records, generated / "truth" / period)
    return truth.join(result.record_child, on="record_id"), result


def test_generated_children_link_with_guards_and_stable_ids(generated: Path) -> None:
    h1, r1 = _assigned(generated, "2026H1", date(2026, 6, 30), None)
    scores = pairwise_scores(h1, "child_id", "child_key")
    assert scores.f1 >= 0.98, scores.as_dict()
    assert clusters_with_two_valid_ids(h1) == 0
    assert twin_merges(h1, twin_pairs(generated / "truth" / "2026H1")) == 0

    h2, _ = _assigned(generated, "2026H2", date(2026, 12, 31), r1.registry)
    first = h1.group_by("child_key").agg(pl.col("child_id").mode().min())
    second = h2.group_by("child_key").agg(pl.col("child_id").mode().min())
    both = first.join(second, on="child_key", suffix="_h2")
    kept = (both["child_id"] == both["child_id_h2"]).mean()
    assert kept >= 0.99, kept
