"""The first stages' published tables, written in clear from their sealed stage files.

``quarantine.parquet`` (ingest), ``validation/`` (validate), ``links.parquet`` and the
linkage review page (standardize and link) go into the temporary period folder
before emit writes the ledgers beside them.
"""

from __future__ import annotations

from pathlib import Path

from taizhang import sealed, stages
from taizhang.stage_cache import StageResult


def write_public_tables(ingest: StageResult, std: StageResult, linked: StageResult, work: Path) -> None:
    """``quarantine.parquet``, ``links.parquet`` and the linkage review page.

    These are published outputs, so they are written in clear from the sealed stage files.
    """
    sealed.read_frame(ingest.path / "quarantine.parquet").write_parquet(
        work / "quarantine.parquet", statistics=False
    )
    stages.links_table(std.path, linked.path).write_parquet(work / "links.parquet", statistics=False)
    stages.write_review_page(std.path, linked.path, work)


def write_validation_reports(validation: StageResult, work: Path) -> None:
    """The liaison reports (``validation/``), in clear from the validate stage's sealed copy."""
    if (validation.path / "validation").is_dir():
        sealed.unseal_tree(validation.path / "validation", work / "validation")
