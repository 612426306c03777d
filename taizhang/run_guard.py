"""What every command that writes into an output folder runs inside: audit line, folder lock, key.

:func:`guarded` is entered by a half-year run, a validation-only run and a
county rerun alike (and by their Prefect flows); :func:`record_outcome` names
in the audit line what the run read and what it published.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from taizhang import audit, keys, runlock
from taizhang.diskfaults import reported_as_disk_faults
from taizhang.run_report import RunOutcome


@contextlib.contextmanager
def guarded(out: Path, command: str, create_key: bool = True, **fields: Any) -> Iterator[dict[str, Any]]:
    """What every command that writes into ``out`` runs inside.

    Disk faults become clear errors (exit 2); an audit line is appended to
    ``<out>/audit.jsonl`` with the outcome; the output folder's lock is held,
    so a second run into ``out`` waits or is refused; the key is loaded (or
    created on first use) before any work, so a missing or unsafe key stops
    the run before it starts.
    """
    out = Path(out)
    with (
        reported_as_disk_faults(out),  # the audit log's own writes
        audit.recorded(out, command, **fields) as entry,
        reported_as_disk_faults(out),  # so the audit line names a disk fault by its code
    ):
        key = keys.load(create=create_key)
        entry["key_id"] = key.id
        with runlock.folder_lock(out, command):
            yield entry


def record_outcome(entry: dict[str, Any], outcome: RunOutcome) -> RunOutcome:
    """Name what a run read and what it published in its audit line."""
    if "extracts_digest" in outcome.report:
        entry["inputs_digest"] = outcome.report["extracts_digest"]
    entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    return outcome
