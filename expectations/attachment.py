"""The attachment of every row to fix: failed checks and quarantined rows, without any cell value."""

from __future__ import annotations

import polars as pl

from data_contracts import Contract
from expectations.validate import SourceValidation
from taizhang.ingest.locate import locate_rows, segments_frame

ATTACHMENT_COLUMNS = {
    "file": "文件",
    "sheet": "工作表",
    "excel_row": "Excel行号",
    "row_number": "行号",
    "column": "列名",
    "header": "表头",
    "finding": "问题",
    "check": "检查项",
}


def attachment_rows(
    validation: SourceValidation | None,
    quarantine: pl.DataFrame,
    contract: Contract,
    segments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every row to fix: failed checks and quarantined rows, sorted, without any cell value.

    Each row also names its sheet and the row number Excel shows (from the
    quarantine, or for a failed check from the files' ``segments``).
    """
    headers = {c.name: c.header for c in contract.columns}
    q = quarantine.select(
        "file",
        "row_number",
        "sheet",
        "excel_row",
        pl.col("column").fill_null(""),
        pl.col("column").replace_strict(headers, default="（整行）", return_dtype=pl.Utf8).alias("header"),
        pl.coalesce(pl.col("reason"), pl.col("reason_code")).alias("finding"),
        ("quarantine:" + pl.col("reason_code")).alias("check"),
    )
    parts = [q]
    if validation is not None:
        # Where each failed row sits in its workbook comes from ingest's row segments.
        failed = validation.rows_to_fix().drop("sheet", "excel_row")
        located = locate_rows(failed, segments if segments is not None else segments_frame(()))
        parts.append(located.select(q.columns))
    return pl.concat(parts).sort("file", "row_number", "column", "check")
