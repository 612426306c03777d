"""Fixtures: staged frames shaped like Stage 1's output, built by hand."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import pytest

from data_contracts import Contract, load_contracts
from tests.support.ids import bad_check, with_check


def staged(contract: Contract, rows: Sequence[dict[str, str | None]]) -> pl.DataFrame:
    """A staged frame: source, file, row_number, every contract column as Utf8, extra.

    Each row dict gives ``file`` and ``row_number`` plus any contract columns;
    the others are null, as ingest leaves missing columns.
    """
    data = {
        "source": [contract.source] * len(rows),
        "file": [r["file"] for r in rows],
        "row_number": [int(r["row_number"]) for r in rows],
    }
    for name in contract.column_names:
        data[name] = [r.get(name) for r in rows]
    data["extra"] = [None] * len(rows)
    schema = {"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64}
    schema |= {name: pl.Utf8 for name in contract.column_names} | {"extra": pl.Utf8}
    return pl.DataFrame(data, schema=schema)


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return load_contracts()


@pytest.fixture(scope="session")
def make_staged():
    return staged


@pytest.fixture(scope="session")
def ids():
    """(valid_id, bad_check_id) builders from a 17-digit body."""
    return with_check, bad_check
