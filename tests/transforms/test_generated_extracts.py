"""Standardization against the generator's ground truth (2,000 children, default noise)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from taizhang.generate.extracts import generate
from taizhang.ingest.read import read_extracts
from taizhang.parsers.id_numbers import clean_id_text
from transforms.standardize import standardize_guardians, standardize_records, standardize_status

PERIOD = "2026H1"


@pytest.fixture(scope="module")
def standardized(tmp_path_factory) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame]]:
    root: Path = tmp_path_factory.mktemp("gen")
    generate(root, children=2000, seed=11, periods=[PERIOD])
    staged = read_extracts(root / PERIOD).staged
    records = standardize_records(staged)
    truth_dir = root / "truth" / PERIOD
    truth = pl.read_parquet(truth_dir / "records.parquet").join(
        pl.read_parquet(truth_dir / "children.parquet"), on="child_key", how="inner"
    )
    joined = records.join(truth, on=["source", "file", "row_number"], how="inner", suffix="_true")
    return records, joined, staged


def test_identity_numbers_that_kept_their_digits_equal_the_truth(standardized):
    _, joined, _ = standardized
    kept = joined.with_columns(clean_id_text(pl.col("id_raw")).str.replace(r"\.0+$", "").alias("c")).filter(
        (pl.col("c") == pl.col("id_number_true")) | (pl.col("c").str.len_chars() == 15)
    )
    assert kept.height > 1000
    share = (kept["id_number"] == kept["id_number_true"]).fill_null(False).mean()
    assert share >= 0.999


@pytest.mark.parametrize("kind", ["hukou", "residence"])
def test_counties_resolve_to_the_true_code(standardized, kind):
    _, joined, _ = standardized
    given = joined.filter(pl.col(f"{kind}_resolution") != "empty")
    assert given.height > 1000
    share = (given[f"{kind}_county"] == given[f"{kind}_county_true"]).fill_null(False).mean()
    assert share >= 0.99


def test_record_ids_are_dense_in_source_order(standardized):
    records, _, staged = standardized
    assert records["record_id"].to_list() == list(range(1, records.height + 1))
    assert records.height == sum(f.height for s, f in staged.items() if s != "person_status")
    order = {s: i for i, s in enumerate(records["source"].unique(maintain_order=True))}
    assert records.select(pl.col("source").replace_strict(order).is_sorted())["source"][0] is True


def test_guardians_and_status_follow_the_schema(standardized):
    records, _, staged = standardized
    guardians = standardize_guardians(staged, records)
    status = standardize_status(staged)
    assert guardians["record_id"].is_in(records["record_id"].implode()).all()
    assert set(guardians["parent_role"].drop_nulls().unique()) <= {"father", "mother"}
    assert status.height == staged["person_status"].height
    assert not status["status"].str.contains("艾滋病").any()
    assert not status["status_detail"].fill_null("").str.contains("艾滋病").any()
