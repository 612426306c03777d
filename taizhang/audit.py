"""The audit log of an output folder: ``<out>/audit.jsonl``, one JSON line per run.

Every run, county rerun, validation and key rotation appends a line: who ran it
(OS user, host, pid), the command, period and county, when it started and
ended, digests of what went in and what came out, the key id in use and the
outcome (``ok`` or the error code). Digests are sha256 over file names and
bytes, so an auditor can check that a published folder is the one a run wrote;
no line ever holds a value from the data.

The file is opened for appending with ``O_APPEND`` and created 0600; each line
is written with one ``write`` call, so concurrent writers never interleave.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AUDIT_NAME = "audit.jsonl"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def tree_digest(folder: Path, skip: tuple[str, ...] = ()) -> str | None:
    """sha256 over every file's relative path and bytes under ``folder`` (sorted), or None."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in skip or rel.startswith(skip):
            continue
        h.update(rel.encode("utf-8") + b"\x00")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\x00")
    return h.hexdigest()


def append(out: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line to ``<out>/audit.jsonl`` (created 0600)."""
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(Path(out) / AUDIT_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def read(out: Path) -> list[dict[str, Any]]:
    path = Path(out) / AUDIT_NAME
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@contextlib.contextmanager
def recorded(out: Path, command: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Append an audit line when the block ends, with its outcome.

    The block may add fields to the yielded entry (digests, the key id). An
    error's code (or its type, for an unexpected one) is the outcome; the
    error itself, whose text may be long, is not copied. A line that cannot be
    written (the folder became read-only) does not hide the run's own error.
    """
    entry: dict[str, Any] = {
        "command": command,
        "user": _user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": _now(),
        **fields,
    }
    try:
        yield entry
    except BaseException as exc:
        entry["outcome"] = getattr(exc, "code", None) or type(exc).__name__
        entry["ended"] = _now()
        with contextlib.suppress(OSError):
            append(out, entry)
        raise
    entry["outcome"] = "ok"
    entry["ended"] = _now()
    append(out, entry)
