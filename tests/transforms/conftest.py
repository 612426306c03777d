"""Staged-frame fixtures for the standardize tests: raw text exactly as stage 1 hands it over."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data_contracts import load_contracts

TODAY = date(2026, 6, 30)


def staged_frame(source: str, rows: list[dict[str, str | None]], file: str | None = None) -> pl.DataFrame:
    """A staged frame for ``source``: every contract column as Utf8, plus source, file, row_number, extra."""
    columns = load_contracts()[source].column_names
    data = {
        "source": [source] * len(rows),
        "file": [file or f"{source}.csv"] * len(rows),
        "row_number": list(range(1, len(rows) + 1)),
        **{c: [r.get(c) for r in rows] for c in columns},
        "extra": [None] * len(rows),
    }
    schema = {"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64, **dict.fromkeys(columns, pl.Utf8)}
    schema["extra"] = pl.Utf8
    return pl.DataFrame(data, schema=schema)


@pytest.fixture
def today() -> date:
    return TODAY
