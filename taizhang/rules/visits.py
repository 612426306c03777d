"""The latest home visit of each child, the county's own view of its situation.

The child director (儿童主任) records 监护状况, 特殊情况, 主动申请救助 and 紧急情况 at
each visit (2024 行动方案 / 吉民发〔2024〕34号: 初步筛查 → 数据采集 → 比对核实, updated
at least every 6 months). A later visit supersedes an earlier one: a situation
resolved since the last visit should not keep a child on the key list. Visits
dated after the as-of date belong to the next half-year and are ignored.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.rules.row_refs import ref


def latest_visits(linked: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``child_id, guardianship, special, self_apply, urgent, visit_date, visit_ref`` of the latest visit."""
    v = linked.filter(
        (pl.col("source") == "field_visits")
        & (pl.col("visit_date").is_null() | (pl.col("visit_date") <= as_of))
    )
    return (
        v.with_columns(visit_ref=ref())
        .sort(
            ["child_id", "visit_date", "file", "row_number"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
        .group_by("child_id", maintain_order=True)
        .first()
        .select(
            "child_id",
            "guardianship",
            special=pl.col("special").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            self_apply=pl.col("self_apply").fill_null(False),
            urgent=pl.col("urgent").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            visit_date="visit_date",
            visit_ref="visit_ref",
        )
        .sort("child_id")
    )
