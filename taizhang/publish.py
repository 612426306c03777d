"""Putting finished files and folders in place atomically, so a reader never sees half of one.

One primitive serves the whole project: a file or folder is completed beside
its final name and moved there with a rename, which is atomic on one file
system, and the rename is made durable by syncing the parent folder. Files of
a run (``taizhang.emit.atomic``) and a whole period folder (:func:`publish`)
go in this way; a period's sealed stage files are linked into it, not copied.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from taizhang import runlock
from taizhang.private_folders import DIR_MODE, owner_only, private_dir


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; not every platform can open a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def move_into_place(done: Path, final: Path, sync_folder: bool = True) -> None:
    """Replace ``final`` by the complete file ``done`` (same folder) in one atomic, durable step.

    ``sync_folder=False`` leaves syncing the folder to the caller, who moves many files into
    one folder and syncs it once after the last.
    """
    os.replace(done, final)
    if sync_folder:
        fsync_dir(Path(final).parent)


def clean_stale(out: Path, period: str) -> None:
    """Undo what a killed run left: its temporary folders, and an old folder renamed aside.

    Called under the output folder's lock (:func:`taizhang.runlock.folder_lock`),
    so no other run of this folder is publishing; a temporary folder is
    removed only when the run that made it is dead (its ``.alive`` marker is
    not locked), never because of its name alone.
    """
    if not out.is_dir():
        return
    final = out / period
    for leftover in sorted(out.glob(f".{period}.old-*")):
        if not final.exists():
            leftover.rename(final)  # killed between the two renames: put the old one back
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    runlock.remove_dead_temp_dirs(out, f".{period}.tmp-*")


@contextlib.contextmanager
def work_dir_for(out: Path, name: str) -> Iterator[Path]:
    """A temporary ``<out>/<name>`` folder, marked alive while the run lasts, deleted unless published."""
    clean_stale(out, name)
    private_dir(out)
    with runlock.live_temp_dir(out, f".{name}.tmp-") as work:
        yield work


def publish(work: Path, final: Path) -> None:
    """Replace the folder ``final`` by ``work``: owner-only permissions, old aside, new in, old deleted."""
    owner_only(work)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    try:
        work.rename(final)
    except BaseException:
        if old is not None:
            old.rename(final)
        raise
    fsync_dir(final.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def link_or_copy(source: Path, target: Path) -> None:
    """Give the file or folder ``source`` a second name ``target`` without copying its bytes.

    Stage files are never written again in place (every writer replaces a file by a new one),
    so a hard link shares them safely between the stage cache and a period folder. A cache on
    another file system (``TAIZHANG_CACHE_DIR``) or one that has no hard links gets a copy.
    """
    source, target = Path(source), Path(target)
    if source.is_dir():
        target.mkdir(mode=DIR_MODE, exist_ok=True)
        for child in sorted(source.iterdir()):
            link_or_copy(child, target / child.name)
        return
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        shutil.copy2(source, target)
