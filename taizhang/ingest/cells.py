"""The cell columns ``c0..cN`` in which a reader hands over the rows of a sheet or a CSV file.

Every reader returns, per sheet (one for a CSV), rows of text cells ``c0..cN``
with ``_pos``, the row number Excel shows in its margin, and ``_damage``, the
reason code of a row the reader could not split into fields (null for a
readable row). Every row below a header is a row, as a person counts rows:
blank rows, rows of error values, damaged rows are kept (and quarantined
later), so that the row after them keeps its number.
"""

from __future__ import annotations

import polars as pl

from taizhang.ingest.results import FileProblem

EMPTY_FILE = FileProblem(
    "empty_file",
    "文件为空（无内容，或只有表头没有数据行）。",
    "the file is empty (no bytes, or a header and no data rows).",
)


def cell_names(n: int) -> list[str]:
    """The names of the first ``n`` cell columns."""
    return [f"c{i}" for i in range(n)]


def with_cells(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Pad ``frame`` with null cells up to ``c{width-1}``."""
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in cell_names(width) if c not in frame.columns]
    return frame.with_columns(missing) if missing else frame
