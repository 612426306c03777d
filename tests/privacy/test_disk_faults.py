"""Acceptance: a full disk, a read-only folder: a clear message, exit 2, nothing half-written.

The full disk is a real one where the tests may mount a small tmpfs (as root),
and a patched writer everywhere; the read-only folder is a read-only tmpfs (as
root) or a folder without write permission (as another user).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from taizhang import audit, cli, stage_cache
from taizhang.errors import PipelineError
from tests.flows.helpers import snapshot

PERIOD = "2026H1"


def _mount(target: Path, options: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True, check=False
    )
    return done.returncode == 0


@contextlib.contextmanager
def _tmpfs(target: Path, options: str) -> Iterator[Path]:
    if not _mount(target, options):
        pytest.skip("a tmpfs cannot be mounted here (needs root)")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _run_cli(extracts: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(
        ["run", "--extracts", str(extracts), "--period", PERIOD, "--out", str(out), "--no-prefect"]
    )
    return code, capsys.readouterr().err


def _nothing_half_written(out: Path) -> None:
    """No period folder, no temporary folder or file; only finished stage folders in the cache."""
    assert not (out / PERIOD).exists()
    leftovers = [p for p in out.rglob("*") if ".tmp" in p.name or p.name.endswith(".alive")]
    assert leftovers == []
    for stage in (out / ".cache").glob("*/*") if (out / ".cache").is_dir() else ():
        assert (stage / stage_cache.STAGE_MARKER).is_file(), stage


@pytest.fixture
def extracts(sensitive_run) -> Path:
    return sensitive_run["extracts"] / PERIOD


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch, tmp_path):
    monkeypatch.delenv(stage_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / ".prefect"))


def test_a_full_disk_stops_the_run_with_a_clear_message(extracts, tmp_path, capsys):
    with _tmpfs(tmp_path / "small", "size=400k,mode=0700") as out:
        code, err = _run_cli(extracts, out, capsys)
        assert code == cli.EXIT_EXPECTED_ERROR
        assert "no space left" in err and "磁盘空间不足" in err and str(out) in err
        assert "Traceback" not in err
        _nothing_half_written(out)


@pytest.mark.parametrize("when", ["stage", "workbook"])
def test_a_writer_that_finds_the_disk_full_leaves_nothing_half_written(
    extracts, tmp_path, capsys, monkeypatch, when
):
    out = tmp_path / "out"
    if when == "workbook":
        import xlsxwriter.workbook
        from xlsxwriter.exceptions import FileCreateError

        def full(self, *args, **kwargs):
            raise FileCreateError(OSError(errno.ENOSPC, "No space left on device", str(out)))

        monkeypatch.setattr(xlsxwriter.workbook.Workbook, "close", full)
    else:
        real = os.fsync
        calls = []

        def full(fd):
            calls.append(fd)
            if len(calls) > 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd)

        monkeypatch.setattr(os, "fsync", full)
    code, err = _run_cli(extracts, out, capsys)
    assert code == cli.EXIT_EXPECTED_ERROR, err
    assert "no space left" in err and str(out) in err and "Traceback" not in err
    _nothing_half_written(out)
    assert audit.read(out)[-1]["outcome"] == "disk_full"


def test_a_read_only_output_folder_is_refused_and_the_published_run_kept(
    sensitive_run, extracts, tmp_path, capsys
):
    source = sensitive_run["out"] / PERIOD
    target = tmp_path / "ro"
    if os.geteuid() == 0:
        with _tmpfs(target, "size=64m,mode=0700"):
            shutil.copytree(source, target / PERIOD)
            before = snapshot(target / PERIOD)
            subprocess.run(["mount", "-o", "remount,ro", str(target)], check=True)
            code, err = _run_cli(extracts, target, capsys)
            assert snapshot(target / PERIOD) == before
    else:
        shutil.copytree(source, target / PERIOD)
        before = snapshot(target / PERIOD)
        target.chmod(0o500)
        try:
            code, err = _run_cli(extracts, target, capsys)
        finally:
            target.chmod(0o700)
        assert snapshot(target / PERIOD) == before
    assert code == cli.EXIT_EXPECTED_ERROR
    assert str(target) in err and "Traceback" not in err
    assert ("read-only" in err and "只读" in err) or ("permission denied" in err and "没有读写权限" in err)


def test_disk_faults_are_recognised_inside_a_library_error():
    from xlsxwriter.exceptions import FileCreateError

    from taizhang.diskfaults import disk_fault

    fault = disk_fault(
        FileCreateError(OSError(errno.EROFS, "Read-only file system", "/x/y.xlsx")), Path("/x")
    )
    assert isinstance(fault, PipelineError) and fault.code == "folder_read_only"
    assert "/x" in fault.en
    assert disk_fault(ValueError("no"), Path("/x")) is None
    assert disk_fault(OSError(errno.ENOENT, "missing"), Path("/x")) is None
