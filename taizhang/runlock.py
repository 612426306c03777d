"""One run per output folder, and temporary folders that say whether their run is alive.

Two mechanisms, both on ``fcntl.flock`` (held by the open file, released by
the kernel when the process ends, however it ends):

- :func:`folder_lock` holds ``<out>/.taizhang.lock`` for a period's whole run,
  a county rerun, a validation or a key rotation. A second run into the same
  folder waits up to ``TAIZHANG_LOCK_WAIT`` seconds (default 0: it refuses at
  once) and then stops with a clear message naming the folder and the run
  that holds it (its pid, user, command and start time; no data).
- :func:`live_temp_dir` creates a temporary folder together with a sibling
  ``<folder>.alive`` file that its run keeps locked. :func:`remove_dead_temp_dirs`
  deletes a leftover folder only when nobody holds its ``.alive`` file, so a
  run never deletes the folder another live run is writing (the stage cache
  may be shared by several output folders).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from taizhang.errors import PipelineError

LOCK_NAME = ".taizhang.lock"
LOCK_WAIT_ENV = "TAIZHANG_LOCK_WAIT"
ALIVE_SUFFIX = ".alive"
_POLL_SECONDS = 0.2


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    return ", ".join(f"{k}={info[k]}" for k in ("pid", "user", "host", "command", "started") if k in info)


def lock_wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, "0") or 0))
    except ValueError:
        return 0.0


@contextlib.contextmanager
def folder_lock(out: Path, command: str, wait: float | None = None) -> Iterator[None]:
    """Hold the output folder's lock for the block, or refuse (exit 2) when another run holds it."""
    out = Path(out)
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = out / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + (lock_wait_seconds() if wait is None else wait)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = _holder(path)
                raise PipelineError(
                    "folder_busy",
                    f"输出文件夹 {out} 正被另一次运行使用（{holder or '未知'}），本次未做任何改动。"
                    f"请等它结束后再运行（或设置 {LOCK_WAIT_ENV}=秒数 以等待）。",
                    f"the output folder {out} is in use by another run ({holder or 'unknown'}); "
                    "nothing was changed. Run again when it has finished "
                    f"(or set {LOCK_WAIT_ENV}=seconds to wait).",
                )
            time.sleep(_POLL_SECONDS)
        info = {
            "pid": os.getpid(),
            "user": _user(),
            "host": socket.gethostname(),
            "command": command,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


# --------------------------------------------------------------------------- temporary folders


class LiveDir:
    """A temporary folder and the open, locked ``.alive`` file that marks its run as alive."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def close(self) -> None:
        """Remove the folder if it is still there (it was not published), then the marker."""
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        alive = Path(f"{self.path}{ALIVE_SUFFIX}")
        alive.unlink(missing_ok=True)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def new_live_dir(parent: Path, prefix: str) -> LiveDir:
    """Create ``<parent>/<prefix>XXXX`` whose ``.alive`` marker is locked before the folder exists.

    The marker comes first and goes last, so a folder without a marker, or
    with an unlocked one, belongs to a run that is dead.
    """
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, marker = tempfile.mkstemp(prefix=prefix, suffix=ALIVE_SUFFIX, dir=parent)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        path = Path(marker[: -len(ALIVE_SUFFIX)])
        path.mkdir(mode=0o700)
    except BaseException:
        os.close(fd)
        Path(marker).unlink(missing_ok=True)
        raise
    return LiveDir(path, fd)


@contextlib.contextmanager
def live_temp_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A :func:`new_live_dir` folder for the block, deleted afterwards unless it was renamed away."""
    live = new_live_dir(parent, prefix)
    try:
        yield live.path
    finally:
        live.close()


def is_dead(path: Path) -> bool:
    """True when no living process holds the ``.alive`` marker of a temporary folder."""
    alive = Path(f"{path}{ALIVE_SUFFIX}")
    try:
        fd = os.open(alive, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        return _try_lock(fd)
    finally:
        os.close(fd)


def remove_dead_temp_dirs(parent: Path, pattern: str) -> list[Path]:
    """Delete the folders matching ``pattern`` under ``parent`` whose run is dead; return them."""
    removed = []
    if not parent.is_dir():
        return removed
    for path in sorted(parent.glob(pattern)):
        if path.name.endswith(ALIVE_SUFFIX):
            continue
        if path.is_dir() and is_dead(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    for marker in sorted(parent.glob(f"{pattern}{ALIVE_SUFFIX}")):
        folder = Path(str(marker)[: -len(ALIVE_SUFFIX)])
        if not folder.exists() and is_dead(folder):
            marker.unlink(missing_ok=True)
    return removed
