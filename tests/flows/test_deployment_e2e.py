"""What an operator does on a fresh server: deploy, start a worker, run deployments, read artifacts.

Starts a real ``prefect server`` on a free loopback port with its own
PREFECT_HOME, creates ``taizhang-pool``, deploys every deployment of
``prefect.yaml``, starts a process worker, triggers the county-rerun and
validation deployments with parameters and waits (bounded) for both to
complete with their artifacts. Everything started here is stopped here.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from taizhang import pipeline
from tests.flows.helpers import field_visit_county

ROOT = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]
PERIOD = "2026H1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"prefect server not healthy after {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _prefect(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    done = subprocess.run(
        [*PREFECT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"prefect {args[:2]} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
def test_deployments_run_on_a_real_server_with_a_process_worker(stage_cache, extracts_root, tmp_path):
    out = tmp_path / "out"
    pipeline.run_period(extracts_root / PERIOD, PERIOD, out)  # the half-year the county analyst reruns
    county = field_visit_county(out / PERIOD / "state")

    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") or k == "PREFECT_LOGGING_LEVEL"
    } | {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "TAIZHANG_PROJECT_DIR": str(ROOT),
        "TAIZHANG_CACHE_DIR": str(stage_cache),
    }
    server_env = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    server = subprocess.Popen(
        [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    worker = None
    try:
        _wait_healthy(api, server, timeout=180)
        _prefect(env, "work-pool", "create", "taizhang-pool", "--type", "process")
        deployed = _prefect(env, "--no-prompt", "deploy", "--all")
        assert "semiannual" in deployed and "county-rerun" in deployed
        worker = subprocess.Popen(
            [*PREFECT, "worker", "start", "--pool", "taizhang-pool"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        county_params = {"county": county, "period": PERIOD, "out": str(out)}
        validate_params = {"extracts": str(extracts_root / "2026H2"), "out": str(tmp_path / "liaison")}
        for name, params in (
            ("county-rerun/county-rerun", county_params),
            ("validate-extracts/validate", validate_params),
        ):
            text = _prefect(
                env,
                "deployment",
                "run",
                name,
                "--params",
                json.dumps(params),
                "--watch",
                "--watch-timeout",
                "240",
                timeout=300,
            )
            assert "Completed" in text, f"{name} did not complete: {text[-1500:]}"
        artifacts = json.loads(_prefect(env, "artifact", "ls", "--output", "json"))
        keys = {a["key"] for a in artifacts}
        assert f"county-rerun-2026h1-{county}" in keys
        assert {"validation-extracts-reports", "validation-extracts-quarantine"} <= keys
        assert (tmp_path / "liaison" / "validation" / "index.html").is_file()
        assert (out / PERIOD / "state" / "county_reruns" / f"{county}.json").is_file()
    finally:
        if worker is not None:
            _stop(worker)
        _stop(server)
    assert server.poll() is not None
