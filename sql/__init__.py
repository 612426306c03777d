"""DuckDB SQL, one statement or model per file, named for the table it builds.

Files are prefixed by the stage that runs them (``ingest_``, ``link_``, ``decide_``).
Templates use ``{name}`` placeholders for identifiers only; values are always
bound as parameters.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).parent


@cache
def load_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path.name} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def render_sql(name: str, **identifiers: str) -> str:
    """``sql/<name>.sql`` with ``{placeholders}`` filled by identifiers (table or column names)."""
    return load_sql(name).format(**identifiers)
