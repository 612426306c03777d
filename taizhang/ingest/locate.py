"""Where a row is in its file: the sheet and the row number Excel shows, from ``(file, row_number)``.

Every row below a header is counted, so within one sheet (or one CSV) the
Excel row is the data row number plus a constant; a file report's
``row_segments`` hold that constant per sheet. Any frame keyed by ``file``
and ``row_number`` (a liaison's list of rows to fix) gets ``sheet`` and
``excel_row`` from them, so that the liaison can go straight to the row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

import polars as pl

SEGMENTS_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "sheet": pl.String(),
    "first": pl.Int64(),
    "last": pl.Int64(),
    "offset": pl.Int64(),
}


def _as_dict(obj: Any) -> Mapping[str, Any]:
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return obj if isinstance(obj, Mapping) else {}


def segments_frame(file_reports: Iterable[Any]) -> pl.DataFrame:
    """One row per sheet read of every file report (dataclass or dict); other entries are skipped."""
    rows = []
    for report in file_reports:
        r = _as_dict(report)
        for segment in r.get("row_segments") or ():
            s = _as_dict(segment)
            place = {k: s.get(k) for k in ("sheet", "first", "last", "offset")}
            rows.append({"file": r.get("file"), **place})
    return pl.DataFrame(rows, schema=SEGMENTS_SCHEMA)


def locate_rows(rows: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """``rows`` (with ``file``, ``row_number``) with ``sheet`` and ``excel_row`` added, in the same order."""
    keyed = rows.with_row_index("_order").with_columns(pl.col("row_number").cast(pl.Int64))
    located = (
        keyed.sort("row_number")
        .join_asof(
            segments.sort("first"),
            left_on="row_number",
            right_on="first",
            by="file",
            strategy="backward",
            check_sortedness=False,  # both sides are sorted on the join key as a whole
        )
        .with_columns(
            pl.when(pl.col("row_number") <= pl.col("last")).then(pl.col("sheet")).alias("sheet"),
            pl.when(pl.col("row_number") <= pl.col("last"))
            .then(pl.col("row_number") + pl.col("offset"))
            .alias("excel_row"),
        )
        .sort("_order")
    )
    return located.select(*rows.columns, "sheet", "excel_row")
