"""The change sheet of a county workbook (变动情况): the change list as a county reads it.

Kinds other than ``continuing`` go to the county in ``residence_county`` (the
current one, or the last one for left / turned 16); a move between counties is
shown in the county left (迁出) and the county entered (迁入), so both know.
"""

from __future__ import annotations

import polars as pl

from taizhang.emit.division_names import with_division_names

_PRESENT = pl.col("change").is_in(["new", "continuing", "status_changed"])


def _yes_no(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("是")).when(expr.not_()).then(pl.lit("否"))


# The sheet's columns: Chinese header -> how it is made from a change-list row (with the division
# names change_rows adds). 变动说明 depends on which county sees the row and is filled per view.
CHANGE_SHEET_COLUMNS: dict[str, pl.Expr] = {
    "变动情况": pl.col("change_label"),
    "变动说明": pl.lit(None, dtype=pl.Utf8),
    "姓名": pl.col("name"),
    "性别": pl.col("sex"),
    "出生日期": pl.col("birth_date"),
    "公民身份号码": pl.col("id_number"),
    "户籍地": pl.col("_hukou_full"),
    "本期居住地": pl.when(_PRESENT).then(pl.col("_cur_short")),
    "上期居住地": pl.col("_prev_short"),
    "疑似孤儿": _yes_no(pl.coalesce("suspected_orphan", "previous_suspected_orphan")),
    "疑似事实无人抚养": _yes_no(pl.coalesce("suspected_unsupported", "previous_suspected_unsupported")),
    "儿童编号": pl.col("child_id"),
}
# The order a county reads its changes in.
CHANGE_SHEET_ORDER = ("变动情况", "姓名", "儿童编号")

_FIXED_NOTE = {
    "new": "本期新纳入流动儿童台账",
    "left": "上期在本县台账，本期未见于全省台账",
    "turned_16": "已满16周岁，退出流动儿童监测",
}


def change_rows(changes: pl.DataFrame) -> pl.DataFrame:
    """Display rows of the change list (``CHANGE_SHEET_COLUMNS``) with ``_county``, the county
    that sees the row: a row per change in its county, and for a move one in each county."""
    named = with_division_names(changes, "hukou_county", None, "_hukou_full")
    named = with_division_names(named, "residence_county", "_cur_short", None)
    named = with_division_names(named, "previous_residence_county", "_prev_short", None)
    base = named.select(
        *(expr.alias(name) for name, expr in CHANGE_SHEET_COLUMNS.items()),
        pl.col("change"),
        pl.col("change_detail"),
        pl.col("moved_county"),
        pl.col("residence_county").alias("_cur"),
        pl.col("previous_residence_county").alias("_prev"),
    )
    note = (
        pl.when(pl.col("change") == "status_changed")
        .then(pl.col("change_detail"))
        .otherwise(pl.col("change").replace_strict(_FIXED_NOTE, default=None, return_dtype=pl.Utf8))
    )
    own = base.filter(pl.col("change") != "continuing").with_columns(
        note.alias("变动说明"), pl.col("_cur").alias("_county")
    )
    moved = base.filter(pl.col("moved_county"))
    moved_in = moved.filter(pl.col("change") == "continuing").with_columns(
        pl.lit("迁入").alias("变动情况"),
        pl.concat_str([pl.lit("由"), pl.col("上期居住地"), pl.lit("迁入")]).alias("变动说明"),
        pl.col("_cur").alias("_county"),
    )
    moved_out = moved.with_columns(
        pl.lit("迁出").alias("变动情况"),
        pl.concat_str([pl.lit("迁往"), pl.col("本期居住地")]).alias("变动说明"),
        pl.col("_prev").alias("_county"),
    )
    return pl.concat([own, moved_in, moved_out], how="diagonal").select(*CHANGE_SHEET_COLUMNS, "_county")
