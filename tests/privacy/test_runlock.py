"""One run per output folder; temporary folders removed only when their run is dead."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from taizhang import publish, runlock
from taizhang.errors import PipelineError


def test_a_second_holder_of_the_folder_is_refused_naming_the_first(tmp_path):
    with runlock.folder_lock(tmp_path, "run"):
        with pytest.raises(PipelineError) as caught, runlock.folder_lock(tmp_path, "rerun-county", wait=0):
            pass
        assert caught.value.code == "folder_busy"
        assert str(tmp_path) in caught.value.en and "command=run" in caught.value.en
    with runlock.folder_lock(tmp_path, "run", wait=0):  # free again once the first is done
        pass


def test_a_second_run_waits_for_the_first_when_asked_to(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from taizhang import runlock\n"
            f"with runlock.folder_lock(Path({str(tmp_path)!r}), 'run'):\n"
            "    print('held', flush=True); time.sleep(1.5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    started = time.monotonic()
    with runlock.folder_lock(tmp_path, "run", wait=30):
        waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert 0.3 < waited < 30


def test_a_killed_holder_frees_the_folder(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from pathlib import Path; from taizhang import runlock\n"
            f"with runlock.folder_lock(Path({str(tmp_path)!r}), 'run'):\n"
            "    print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait(timeout=30)
    with runlock.folder_lock(tmp_path, "run", wait=0):
        pass


def test_clean_stale_keeps_a_live_runs_folder_and_removes_a_dead_ones(tmp_path):
    out = tmp_path / "out"
    live = runlock.new_live_dir(out, ".2026H1.tmp-")
    (live.path / "ledger.parquet").write_bytes(b"being written")
    dead = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pathlib import Path; from taizhang import runlock\n"
            f"d = runlock.new_live_dir(Path({str(out)!r}), '.2026H1.tmp-'); print(d.path)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_path = out / dead.stdout.strip().rsplit("/", 1)[-1]
    assert dead_path.is_dir()  # the process ended without cleaning up, as a killed run does
    legacy = out / ".2026H1.tmp-legacy"  # a folder with no marker at all (an older version's)
    legacy.mkdir()

    publish.clean_stale(out, "2026H1")

    assert (live.path / "ledger.parquet").read_bytes() == b"being written"
    assert not dead_path.exists() and not legacy.exists()
    assert not list(out.glob(f"{dead_path.name}*"))  # its marker went too
    live.close()
    assert not live.path.exists() and not list(out.iterdir())
