"""A two-half-year run whose extracts hold the sensitive status, for the privacy acceptance tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from taizhang import pipeline, stage_cache
from taizhang.ingest import read_extracts
from tests.flows.helpers import PERIODS, generated_extracts


def _with_sensitive_rows(source: Path, target: Path) -> Path:
    """A copy of a half-year's extracts plus a person_status file (GB18030) with the sensitive status.

    The generated sample may hold the status or not; this makes sure it does, for
    children the sample really has (their identity numbers from the birth certificates).
    """
    shutil.copytree(source, target)
    children = read_extracts(source).staged["child_health"]["id_number"].drop_nulls().to_list()
    ids = sorted(v.strip() for v in children if len(v.strip()) == 18)[:3]
    assert ids, "the generated child-health records carry identity numbers"
    lines = ["证件号码,状态类别,状态细项,开始日期"] + [f"{i},艾滋病病毒感染,,2024-01-01" for i in ids]
    (target / "person_status_补报.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return target


@pytest.fixture(scope="session")
def sensitive_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Both half-years run (no Prefect) into one ``--out`` whose stage cache lives under it."""
    generated = generated_extracts(tmp_path_factory)
    root = tmp_path_factory.mktemp("sensitive-run")
    out = root / "out"
    saved = os.environ.pop(stage_cache.CACHE_DIR_ENV, None)
    try:
        for period in PERIODS:
            extracts = _with_sensitive_rows(generated / period, root / "extracts" / period)
            pipeline.run_period(extracts, period, out)
    finally:
        if saved is not None:
            os.environ[stage_cache.CACHE_DIR_ENV] = saved
    yield {"root": root, "out": out, "extracts": root / "extracts"}
