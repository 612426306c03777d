"""Acceptance: 20,000 generated children, two half-years: every data row is staged or quarantined."""

from pathlib import Path

import polars as pl
import pytest

from taizhang.generate import generate
from taizhang.ingest import read_extracts

KEY = ["source", "file", "row_number"]
PERIODS = ["2026H1", "2026H2"]


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("extracts_20k")
    generate(root, children=20_000, seed=23, periods=PERIODS)
    return root


@pytest.mark.parametrize("period", PERIODS)
def test_every_row_is_staged_or_quarantined_per_file(extracts: Path, period: str) -> None:
    result = read_extracts(extracts / period)
    assert result.errors == []
    truth = pl.read_parquet(extracts / "truth" / period / "records.parquet")
    staged = pl.concat(f.select(KEY) for f in result.staged.values()).with_columns(
        pl.lit(None, dtype=pl.String).alias("reason_code")
    )
    ours = pl.concat([staged, result.quarantine.select(*KEY, "reason_code")])

    # No row is both staged and quarantined, and none is counted twice.
    assert ours.select(KEY).is_duplicated().sum() == 0

    # Per file: rows in the file (the generator's truth) == staged + quarantined.
    want = truth.group_by("file").len().sort("file")
    got = ours.group_by("file").len().sort("file")
    assert got.to_dicts() == want.to_dicts()

    # Quarantine finds the truly unreadable rows and nothing else.
    truly = set(truth.filter(pl.col("unreadable")).select(KEY).iter_rows())
    found = set(result.quarantine.select(KEY).iter_rows())
    assert len(truly & found) / len(found) >= 0.99
    assert len(truly & found) / len(truly) >= 0.99
