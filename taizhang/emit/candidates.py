"""The candidate list (初步筛查): ``candidates.parquet`` and the rows of the county sheet.

Children the extracts suggest are migrant children but cannot confirm are not
on the ledger; the county's child directors check them at a home visit. The
parquet keeps the decision stage's codes; the sheet is for people: Chinese
headers, Chinese reasons, and the rows to open in the department extracts
named by the extract's title, file and row number (no English codes).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_contracts import load_contracts
from taizhang.emit.atomic import write_parquet_atomic
from taizhang.emit.division_names import with_division_names

CANDIDATE_COLUMNS: dict[str, pl.DataType] = {
    "child_id": pl.Utf8(),
    "residence_county": pl.Utf8(),
    "reason_code": pl.Utf8(),
    "reason": pl.Utf8(),
    "evidence": pl.Utf8(),
}
SHEET_NAME = "初步筛查"
# The sheet's columns: Chinese header -> how it is made from a candidate row (with the division
# names candidate_rows adds; ``_records_text`` is the evidence's source rows as text).
SHEET_COLUMNS: dict[str, pl.Expr] = {
    "姓名": pl.col("name"),
    "性别": pl.col("sex"),
    "出生日期": pl.col("birth_date"),
    "公民身份号码": pl.col("id_number"),
    "户籍地": pl.col("_hukou_full"),
    "现居住地": pl.col("_res_short"),
    "待核实事项": pl.col("reason"),
    "已有记录": pl.col("_records_text"),
    "儿童编号": pl.col("child_id"),
}


def candidates_table(candidates: pl.DataFrame | None) -> pl.DataFrame:
    """The interface columns first, then the decision stage's other columns by name; sorted by child."""
    if candidates is None:
        candidates = pl.DataFrame(schema=CANDIDATE_COLUMNS)
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates lack required columns: {', '.join(missing)}")
    extras = sorted(c for c in candidates.columns if c not in CANDIDATE_COLUMNS)
    return candidates.select(*(pl.col(c).cast(t) for c, t in CANDIDATE_COLUMNS.items()), *extras).sort(
        "child_id", "reason_code"
    )


def write_candidates(candidates: pl.DataFrame, out_dir: Path) -> Path:
    """``<out_dir>/candidates.parquet``, atomically."""
    return write_parquet_atomic(candidates, Path(out_dir) / "candidates.parquet", ["child_id", "reason_code"])


def _records_text(evidence: pl.Expr) -> pl.Expr:
    """The evidence's source rows as Chinese text: ``居住证登记儿童（permits.csv 第12行）；…``."""
    titles = {c.source: c.title for c in load_contracts().values()}
    titles["previous_ledger"] = "上期台账"
    records = evidence.str.json_decode(
        pl.Struct(
            {"records": pl.List(pl.Struct({"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64}))}
        )
    ).struct.field("records")
    one = pl.concat_str(
        pl.element()
        .struct.field("source")
        .replace_strict(titles, default=pl.element().struct.field("source")),
        pl.lit("（"),
        pl.element().struct.field("file"),
        pl.when(pl.element().struct.field("row_number").is_not_null())
        .then(
            pl.concat_str(pl.lit(" 第"), pl.element().struct.field("row_number").cast(pl.Utf8), pl.lit("行"))
        )
        .otherwise(pl.lit("")),
        pl.lit("）"),
    )
    return records.list.eval(one).list.join("；")


def candidate_rows(candidates: pl.DataFrame) -> pl.DataFrame:
    """Display rows of the candidate sheet with ``_county`` (the residence county) for filtering."""
    df = candidates
    for col, dtype in (
        ("name", pl.Utf8()),
        ("sex", pl.Utf8()),
        ("birth_date", pl.Date()),
        ("id_number", pl.Utf8()),
        ("hukou_county", pl.Utf8()),
    ):
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    df = with_division_names(df, "hukou_county", None, "_hukou_full")
    df = with_division_names(df, "residence_county", "_res_short", None)
    return df.with_columns(_records_text(pl.col("evidence")).alias("_records_text")).select(
        *(expr.alias(name) for name, expr in SHEET_COLUMNS.items()),
        pl.col("residence_county").alias("_county"),
    )
