"""Owner-only permissions of everything a run writes: outputs hold minors' personal data."""

from __future__ import annotations

from pathlib import Path

# Outputs hold minors' personal data: readable by their owner only, whatever the umask.
FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) readable by the owner only."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    for created in missing:
        created.chmod(DIR_MODE)
    return path


def owner_only(folder: Path) -> None:
    """Make a folder and everything under it readable by its owner only (0700 folders, 0600 files)."""
    folder.chmod(DIR_MODE)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)
