"""Fixtures for the flow tests: one Prefect test harness per session, one generated fixture.

The harness is session-scoped and lives here only: entering it starts a
temporary Prefect server, which the other test folders do not need. Stage
results go to one session-wide cache (``TAIZHANG_CACHE_DIR``), so the
expensive stages run once and every later test resumes from them, exactly as
an operator's rerun would.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.helpers import generated_extracts, shared_cache_dir


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def extracts_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_extracts(tmp_path_factory)


@pytest.fixture(scope="session")
def stage_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    cache = shared_cache_dir(tmp_path_factory)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TAIZHANG_CACHE_DIR", str(cache))
        yield cache
    assert "TAIZHANG_CACHE_DIR" not in os.environ or os.environ["TAIZHANG_CACHE_DIR"] != str(cache)
