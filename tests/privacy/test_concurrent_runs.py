"""Acceptance: two ``taizhang run`` into one output folder at once.

The first run is held after ingest (``tests/flows/paused_cli.py``) while it holds
the folder; a second run started then is refused at once with a clear message
(exit 2, no traceback), and a third that may wait does so and then finishes
from the first's cache. Both published outputs are whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from taizhang import audit, sealed, stage_cache
from tests.flows import paused_cli
from tests.flows.helpers import snapshot

PERIOD = "2026H1"


def _argv(extracts: Path, out: Path, hold: str | None = None) -> list[str]:
    args = ["run", "--extracts", str(extracts), "--period", PERIOD, "--out", str(out), "--no-prefect"]
    return paused_cli.command(hold, *args) if hold else [sys.executable, "-m", "taizhang.cli", *args]


def _env(**extra: str) -> dict[str, str]:
    """The test's environment (its key file) with the stage cache under ``--out``."""
    return {k: v for k, v in os.environ.items() if k != stage_cache.CACHE_DIR_ENV} | extra


def _start(extracts: Path, out: Path, log: Path, hold: str | None = None, **env: str) -> subprocess.Popen:
    argv, environment = _argv(extracts, out, hold), paused_cli.environment(_env(**env))
    with log.open("wb") as sink:
        return subprocess.Popen(argv, env=environment, stdout=sink, stderr=subprocess.STDOUT)


def test_a_second_run_into_a_busy_folder_is_refused_or_waits_and_nothing_breaks(sensitive_run, tmp_path):
    extracts = sensitive_run["extracts"] / PERIOD
    out = tmp_path / "out"
    first = _start(extracts, out, tmp_path / "first.log", hold="standardize:8")
    deadline = time.monotonic() + 300
    while not list((out / ".cache" / "ingest").glob(f"*/{stage_cache.STAGE_MARKER}")):
        assert first.poll() is None, (tmp_path / "first.log").read_text("utf-8")
        assert time.monotonic() < deadline
        time.sleep(0.1)

    refused = subprocess.run(
        _argv(extracts, out),
        env=_env(TAIZHANG_LOCK_WAIT="0"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    waiting = _start(extracts, out, tmp_path / "waiting.log", TAIZHANG_LOCK_WAIT="600")

    assert refused.returncode == 2
    assert "in use by another run" in refused.stderr and str(out) in refused.stderr
    assert "正被另一次运行使用" in refused.stderr
    assert "Traceback" not in refused.stderr + refused.stdout

    assert first.wait(timeout=600) == 0, (tmp_path / "first.log").read_text("utf-8")
    published = snapshot(out / PERIOD)
    assert waiting.wait(timeout=600) == 0, (tmp_path / "waiting.log").read_text("utf-8")
    for log in ("first.log", "waiting.log"):
        assert "Traceback" not in (tmp_path / log).read_text("utf-8")

    # The waiting run took every stage from the first's cache and published the same outputs.
    report = json.loads((out / PERIOD / "run_report.json").read_text("utf-8"))
    assert all(report["stages"][s]["cached"] for s in ("ingest", "validate", "standardize", "link", "decide"))
    assert snapshot(out / PERIOD) == published
    assert sealed.read_frame(out / PERIOD / "state" / "registry.parquet").height > 0
    assert not list(out.glob(f".{PERIOD}.*"))
    outcomes = [(e["command"], e["outcome"]) for e in audit.read(out)]
    assert sorted(outcomes) == [("run", "folder_busy"), ("run", "ok"), ("run", "ok")]
