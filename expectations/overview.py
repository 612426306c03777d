"""The counts a source shows on its page and on the index, and its state at a glance."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from expectations.received_files import FileLine
from expectations.validate import SourceValidation

# File errors that are about no received file: a source that sent nothing, a file of no source.
NOT_A_RECEIVED_FILE = ("missing_source", "unknown_file")

# A source's state at a glance: (css class, label).
STATUS_LABELS = {
    "unreadable": ("bad", "文件无法读取"),
    "to_fix": ("warn", "待修正"),
    "passed": ("ok", "通过"),
    "missing": ("none", "未收到文件"),
}


@dataclass(frozen=True)
class Overview:
    """The counts a source shows on its page and on the index: computed once, shown twice."""

    status: str  # a key of STATUS_LABELS
    files: int  # received files that could be read
    unreadable: tuple[tuple[str, str], ...]  # (file, reason) of received files that could not be read
    rows_read: int
    staged: int
    quarantined: int
    failed_checks: int  # checks under their threshold (未通过)
    checks_with_findings: int  # checks with any failing row
    rows_to_fix: int  # distinct (file, row) in the fix list
    findings: int  # lines of the fix list (a row may fail several checks)


def overview(
    files: list[FileLine],
    validation: SourceValidation | None,
    quarantine: pl.DataFrame,
    attachment: pl.DataFrame,
) -> Overview:
    received = [f for f in files if not f.error_code]
    unreadable = [
        (f.file, f.error_zh or f.error_code or "")
        for f in files
        if f.error_code and f.error_code not in NOT_A_RECEIVED_FILE
    ]
    # A file that was read but gave no usable row is as unreadable to the ledger as a broken one.
    unreadable += [
        (f.file, "文件中没有可读取的数据行（所有行均被隔离或文件只有表头）")
        for f in received
        if f.staged is not None and int(f.staged) == 0
    ]
    rows_to_fix = (
        attachment.select(pl.struct("file", "row_number").n_unique()).item() if attachment.height else 0
    )
    failed_checks = sum(1 for o in validation.outcomes if not o.success) if validation else 0
    if unreadable:
        status = "unreadable"
    elif not received:
        status = "missing"
    elif rows_to_fix or failed_checks:
        status = "to_fix"
    else:
        status = "passed"
    return Overview(
        status=status,
        files=len(received),
        unreadable=tuple(sorted(set(unreadable))),
        rows_read=sum(int(f.rows_read or 0) for f in received),
        staged=validation.row_count if validation else 0,
        quarantined=quarantine.height,
        failed_checks=failed_checks,
        checks_with_findings=len(validation.failed) if validation else 0,
        rows_to_fix=rows_to_fix,
        findings=attachment.height,
    )


def badge(status: str) -> str:
    cls, label = STATUS_LABELS[status]
    return f"<span class='badge {cls}' data-status='{status}'>{label}</span>"
