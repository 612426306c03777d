"""Stage 1, ingest: find each source's extract files, decode, map headers, quarantine, stage.

Public interface (docs/ARCHITECTURE.md, "Stage 1"):

- :func:`read_extracts` reads an extracts folder into an :class:`IngestResult`;
- :func:`stage_to_duckdb` writes it into ``stg_<source>``, ``quarantine`` and ``ingest_files``.
"""

from taizhang.ingest.read import read_extracts
from taizhang.ingest.results import (
    FILE_ERROR_CODES,
    REASONS,
    FileError,
    FileReport,
    IngestResult,
)
from taizhang.ingest.to_duckdb import stage_to_duckdb

__all__ = [
    "FILE_ERROR_CODES",
    "REASONS",
    "FileError",
    "FileReport",
    "IngestResult",
    "read_extracts",
    "stage_to_duckdb",
]
