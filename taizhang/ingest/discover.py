"""Find the extract files of each source in an extracts folder.

A file belongs to a source when its name is ``<source>.<ext>`` or
``<source>_<anything>.<ext>`` with ``<ext>`` csv or xlsx in any letter case.
Longer source names are tried first so that a source whose name extends
another's (none today, but contracts are data) is never swallowed by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".csv", ".xlsx")


@dataclass(frozen=True)
class Discovery:
    by_source: dict[str, list[Path]]  # every source, files sorted by name
    unknown: list[Path]  # csv/xlsx files that belong to no source


def source_of(name: str, sources: list[str]) -> str | None:
    """The source a file name belongs to, or None."""
    lower = name.lower()
    for ext in EXTENSIONS:
        if lower.endswith(ext):
            stem = name[: -len(ext)]
            break
    else:
        return None
    for source in sorted(sources, key=lambda s: (-len(s), s)):
        if stem == source or stem.startswith(source + "_"):
            return source
    return None


def discover(extracts_dir: Path, sources: list[str]) -> Discovery:
    """Group the csv/xlsx files of ``extracts_dir`` by source.

    Hidden files and Excel lock files (``~$x.xlsx``) are not extracts; other
    file types (README, zip) are ignored because departments deliver only
    csv and xlsx.
    """
    by_source: dict[str, list[Path]] = {s: [] for s in sources}
    unknown: list[Path] = []
    for path in sorted(extracts_dir.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        if path.suffix.lower() not in EXTENSIONS:
            continue
        source = source_of(path.name, sources)
        if source is None:
            unknown.append(path)
        else:
            by_source[source].append(path)
    return Discovery(by_source=by_source, unknown=unknown)
