"""Disk faults as clear messages: no space left, a read-only folder, permission denied.

A run that hits one of them stops with a bilingual message naming the folder
and exit code 2. What it had started is removed by the code that started it
(temporary folders, ``.tmp`` files), and the published folder is only ever
replaced by a rename, so nothing half-written is left behind.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

from taizhang.errors import PipelineError

_FAULTS = {
    errno.ENOSPC: ("disk_full", "磁盘空间不足", "there is no space left on the disk"),
    errno.EDQUOT: ("disk_full", "磁盘配额已用完", "the disk quota is exhausted"),
    errno.EROFS: ("folder_read_only", "文件夹所在磁盘为只读", "the folder is on a read-only file system"),
    errno.EACCES: ("permission_denied", "没有读写权限", "permission denied"),
    errno.EPERM: ("permission_denied", "没有读写权限", "permission denied"),
}


def _os_error(exc: BaseException) -> OSError | None:
    """The ``OSError`` behind ``exc``: itself, or one it wraps (xlsxwriter's FileCreateError does)."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError) and exc.errno in _FAULTS:
            return exc
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, OSError)), None)
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


def disk_fault(exc: BaseException, folder: Path) -> PipelineError | None:
    """A :class:`PipelineError` for a disk fault, naming the folder; None for any other error."""
    found = _os_error(exc)
    if found is None:
        return None
    code, zh, en = _FAULTS[found.errno]
    where = Path(found.filename).parent if found.filename else Path(folder)
    if found.filename and Path(found.filename).is_dir():
        where = Path(found.filename)
    return PipelineError(
        code,
        f"无法读写文件夹 {where}：{zh}。本次运行已停止，未留下写了一半的文件；请处理后重新运行。",
        f"cannot read or write the folder {where}: {en}. The run stopped and left nothing half-written; "
        "fix this and run again.",
    )


@contextlib.contextmanager
def reported_as_disk_faults(folder: Path) -> Iterator[None]:
    """Turn a disk fault raised in the block into a clear :class:`PipelineError` (exit 2)."""
    try:
        yield
    except PipelineError:
        raise
    except Exception as exc:
        fault = disk_fault(exc, folder)
        if fault is None:
            raise
        raise fault from None
