"""Evaluation helpers used by benchmarks and the generated-data test."""

from __future__ import annotations

import polars as pl

from benchmarks.evaluation import clusters_with_two_valid_ids
from tests.support.families import with_check


def _excel_cut_prefix() -> str:
    """15 digits whose Excel-cut copy (``+ 000``) still passes the check digit."""
    return next(p for p in (f"220108201207{k:03d}" for k in range(1000)) if with_check(p + "00")[-1] == "0")


def test_a_cluster_with_two_different_valid_ids_is_counted() -> None:
    a, b = with_check("22010220150315123"), with_check("22010220150315456")
    assigned = pl.DataFrame(
        {"child_id": ["C1", "C1", "C2"], "id_number": [a, b, a], "id_status": ["valid", "valid", "valid"]}
    )
    assert clusters_with_two_valid_ids(assigned) == 1


def test_an_excel_truncated_copy_beside_its_number_is_not_counted() -> None:
    prefix = _excel_cut_prefix()
    full, cut = with_check(prefix + "12"), prefix + "000"
    assert with_check(cut[:17]) == cut  # valid-looking: the check digit holds
    other = with_check("22010220150315456")
    assigned = pl.DataFrame(
        {
            "child_id": ["C1", "C1", "C2", "C2"],
            "id_number": [full, cut, other, with_check("22010220150315789")],
            "id_status": ["valid", "valid", "valid", "bad_check"],
        }
    )
    # C1 holds a number and its Excel-cut copy; C2 one valid number and one broken one.
    assert clusters_with_two_valid_ids(assigned) == 0
