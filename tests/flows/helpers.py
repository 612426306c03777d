"""Shared by the flow tests and the CLI tests: the generated fixture and file snapshots."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from data_contracts import load_contracts
from taizhang import sealed

CHILDREN = 150
SEED = 20260101
PERIODS = ["2026H1", "2026H2"]
# Files that legitimately differ between two runs with the same inputs: the run
# report carries timings. (Sealed state files differ too, each sealed with its own
# random salt: :func:`snapshot` compares their plaintext.)
VOLATILE = {"run_report.json"}


def generated_extracts(factory: pytest.TempPathFactory) -> Path:
    """Sample extracts for two half-years (same seed, same bytes, wherever they are written)."""
    root = factory.getbasetemp() / "generated-extracts"
    if not (root / PERIODS[0]).is_dir():
        from taizhang.generate import generate

        generate(root, CHILDREN, SEED, PERIODS, "default")
    return root


def shared_cache_dir(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "stage-cache"


def _plain_bytes(path: Path) -> bytes:
    return sealed.read_bytes(path) if sealed.is_sealed(path) else path.read_bytes()


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (of its plaintext, if sealed), volatile files left out."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(_plain_bytes(p)).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).as_posix() not in VOLATILE
    }


def personal_values(state: Path) -> set[str]:
    """Every name, identity number and phone in a run's staged extracts (what must never leak)."""
    values: set[str] = set()
    for source, contract in load_contracts().items():
        path = state / f"staged_{source}.parquet"
        if not path.is_file():
            continue
        columns = [c.name for c in contract.columns if c.type in ("name", "id_number", "phone")]
        frame = sealed.read_frame(path, columns=columns)
        for column in columns:
            values |= {v.strip() for v in frame[column].drop_nulls().to_list() if len(v.strip()) >= 2}
    return values


def corrected_field_visit_sheet(state: Path, county: str | None, target: Path) -> Path:
    """A county's field-visit rows as a child director would resend them, guardianship now 监护缺失.

    ``county=None`` gives every county's rows, like a prefecture's whole sheet.
    """
    contract = load_contracts()["field_visits"]
    visits = pl.col("source") == "field_visits"
    if county is not None:
        visits &= pl.col("residence_county") == county
    keys = sealed.read_frame(state / "std_records.parquet").filter(visits).select("file", "row_number")
    rows = sealed.read_frame(state / "staged_field_visits.parquet").join(keys, on=["file", "row_number"])
    sheet = rows.select([pl.col(c.name).alias(c.header) for c in contract.columns]).with_columns(
        pl.lit("监护缺失").alias(contract.column("guardianship").header)
    )
    sheet.write_excel(target)
    return target


def field_visit_county(state: Path) -> str:
    """A county that has field-visit records in the run (the one with most, ties by code)."""
    counts = (
        sealed.read_frame(state / "std_records.parquet")
        .filter((pl.col("source") == "field_visits") & pl.col("residence_county").is_not_null())
        .group_by("residence_county")
        .len()
        .sort(["len", "residence_county"], descending=[True, False])
    )
    return counts["residence_county"][0]
