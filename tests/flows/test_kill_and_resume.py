"""An operator's ``taizhang run`` killed with SIGKILL right after linkage, then run again.

The killed run is the real command line in its own process group, with its stage
cache in ``<out>/.cache`` as the README says. ``tests/flows/paused_cli.py``
holds it before the decide stage starts, once the link stage is in the
cache, so the kill lands at the same point every time; the kill itself is a
real ``SIGKILL`` of the whole group (no clean-up handler runs). The rerun must
take ingest, standardize and link from the cache and publish the same bytes as
an uninterrupted run into another folder. Only ``run_report.json`` (timings)
is left out of the comparison (``helpers.VOLATILE``); sealed state files are
compared by their plaintext (each is sealed with its own random salt).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.semiannual_ledger import semiannual_ledger
from taizhang import stage_cache
from tests.flows import paused_cli
from tests.flows.helpers import VOLATILE, snapshot

PERIOD = "2026H1"
# The validate stage runs beside standardize and link on small extracts: when the kill lands it
# may or may not have finished, so it is left out here.
CACHED_STAGES = ("ingest", "standardize", "link")
TIMEOUT = 300


def _taizhang() -> list[str]:
    script = Path(sys.executable).parent / "taizhang"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "taizhang.cli"]


def _env(**extra: str) -> dict[str, str]:
    """The operator's environment: the harness's Prefect server, the stage cache under ``<out>``."""
    from prefect.settings import PREFECT_API_URL

    # The tests' key file is kept (tests/conftest.py), the other TAIZHANG_ settings are not.
    keep = {"TAIZHANG_KEY_FILE"}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "TAIZHANG_")) or k in keep}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    env.update(extra)
    return env


def _start_run(extracts: Path, out: Path, log: Path, hold: str | None = None) -> subprocess.Popen:
    args = ["run", "--extracts", str(extracts), "--period", PERIOD, "--out", str(out)]
    argv = paused_cli.command(hold, *args) if hold else [*_taizhang(), *args]
    with log.open("wb") as sink:
        return subprocess.Popen(
            argv,
            cwd=out.parent,
            env=paused_cli.environment(_env()) if hold else _env(),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _finished(out: Path, stage: str) -> list[Path]:
    """The stage's finished cache entries: a folder that holds the stage marker."""
    return sorted((out / stage_cache.CACHE_DIR_NAME / stage).glob(f"*/{stage_cache.STAGE_MARKER}"))


def _code_on_disk() -> str:
    """The pipeline's code fingerprint as the files are now (the in-process one is memoised)."""
    memo = list(stage_cache._CODE_FINGERPRINT)
    stage_cache._CODE_FINGERPRINT.clear()
    try:
        return stage_cache.code_fingerprint()
    finally:
        stage_cache._CODE_FINGERPRINT[:] = memo


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def killed_then_rerun(prefect_harness, extracts_root, tmp_path_factory):
    root = tmp_path_factory.mktemp("kill")
    out = root / "out"
    out.mkdir()
    extracts = extracts_root / PERIOD
    code_before = _code_on_disk()

    killed = _start_run(extracts, out, root / "killed.log", hold="decide:600")
    deadline = time.monotonic() + TIMEOUT
    while not _finished(out, "link"):
        if killed.poll() is not None:
            pytest.fail(
                f"the run ended (exit {killed.returncode}) before linkage:\n{_tail(root / 'killed.log')}"
            )
        if time.monotonic() > deadline:
            os.killpg(killed.pid, signal.SIGKILL)
            pytest.fail(f"no finished link stage after {TIMEOUT} s:\n{_tail(root / 'killed.log')}")
        time.sleep(0.1)
    assert killed.poll() is None, "the run must still be going when it is killed"
    os.killpg(killed.pid, signal.SIGKILL)
    assert killed.wait(timeout=30) == -signal.SIGKILL
    for _ in range(50):
        if not _group_alive(killed.pid):
            break
        time.sleep(0.1)
    left = {
        "entries": sorted(p.name for p in out.iterdir()),
        "finished": {s: len(_finished(out, s)) for s in (*CACHED_STAGES, "decide")},
        "group_alive": _group_alive(killed.pid),
    }

    rerun = _start_run(extracts, out, root / "rerun.log")
    assert rerun.wait(timeout=TIMEOUT) == 0, _tail(root / "rerun.log")

    if not code_before == _code_on_disk() == stage_cache.code_fingerprint():
        # Cache keys follow the code: a source file edited while the test ran (in a working
        # tree shared with others, not in CI) rightly makes the rerun start over.
        pytest.skip("the pipeline's source files changed while the test ran")

    reference = root / "uninterrupted"
    semiannual_ledger(period=PERIOD, extracts=str(extracts), out=str(reference))
    return {"out": out, "left": left, "reference": reference, "log": (root / "rerun.log").read_text("utf-8")}


def _tail(log: Path) -> str:
    return "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-30:])


def test_the_kill_lands_after_linkage_and_publishes_nothing(killed_then_rerun):
    left = killed_then_rerun["left"]
    assert left["finished"] == {"ingest": 1, "standardize": 1, "link": 1, "decide": 0}
    assert not left["group_alive"], "a process of the killed run is still alive"
    # No period folder, finished or half-written; only the cache (and Prefect's results) remain.
    assert PERIOD not in left["entries"]
    assert not [name for name in left["entries"] if name.startswith(f".{PERIOD}.")]


def test_the_rerun_resumes_from_the_cache(killed_then_rerun):
    period_dir = killed_then_rerun["out"] / PERIOD
    report = json.loads((period_dir / "run_report.json").read_text(encoding="utf-8"))
    assert {s: report["stages"][s]["cached"] for s in CACHED_STAGES} == dict.fromkeys(CACHED_STAGES, True)
    assert report["stages"]["decide"]["cached"] is False
    assert f"Outputs: {period_dir}" in killed_then_rerun["log"]
    assert not list(killed_then_rerun["out"].glob(f".{PERIOD}.*"))


def test_the_resumed_outputs_are_byte_identical_to_an_uninterrupted_run(killed_then_rerun):
    resumed = snapshot(killed_then_rerun["out"] / PERIOD)
    uninterrupted = snapshot(killed_then_rerun["reference"] / PERIOD)
    assert {"run_report.json"} == VOLATILE
    assert any(name.startswith("counties/") for name in resumed)
    assert {"ledger.parquet", "links.parquet", "province_summary.xlsx", "validation/index.html"} <= set(
        resumed
    )
    assert resumed == uninterrupted
