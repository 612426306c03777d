"""The ledger as people read it: Chinese column names and values.

One frame per child, built once and shared by the county workbooks and the push
lists, so a child reads the same everywhere. Columns follow the registration
forms used for the 2016 留守儿童 and 2024 流动儿童 monitoring (姓名, 性别, 民族,
出生日期, 公民身份号码, 户籍地, 现居住地, 就学情况, 监护人, 联系电话 …),
followed by the decision results. Internal keys start with ``_`` and are
dropped before writing.
"""

from __future__ import annotations

import polars as pl

from taizhang.emit.changes import CHANGE_LABELS
from taizhang.emit.divisions import with_division_names

LIST_SEPARATOR = "、"

# Chinese header -> the display column it is built from (see people_frame).
REGISTER_COLUMNS = (
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "公民身份号码",
    "户籍地",
    "现居住地",
    "居住起始日期",
    "就学情况",
    "监护人",
    "联系电话",
    "关爱等级",
    "疑似孤儿",
    "疑似事实无人抚养",
    "参照孤儿保障",
    "重点关爱原因",
    "服务缺口",
    "紧急情况",
    "变动情况",
    "儿童编号",
)
TEXT_COLUMNS = ("公民身份号码", "联系电话", "儿童编号", "户籍地代码", "区划代码")


def yes_no(expr: pl.Expr) -> pl.Expr:
    """``是``/``否`` for a boolean (null reads as 否: not flagged)."""
    return pl.when(expr.fill_null(False)).then(pl.lit("是")).otherwise(pl.lit("否"))


def joined(expr: pl.Expr) -> pl.Expr:
    """A list of Chinese phrases as one cell, ``、``-separated; empty lists become empty cells."""
    text = expr.list.join(LIST_SEPARATOR)
    return pl.when(text == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(text)


def people_frame(ledger: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """One display row per ledger child (``ledger`` as from ``ledger_table``).

    Keeps ``_child_id``, ``_residence_county``, ``_hukou_county``,
    ``_care_level``, ``_urgent`` for filtering and sorting.
    """
    moves = changes.select(
        "child_id", "moved_county", pl.col("previous_residence_county").alias("_prev_county")
    )
    df = ledger.join(moves, on="child_id", how="left")
    df = with_division_names(df, "hukou_county", None, "_hukou_full")
    df = with_division_names(df, "residence_county", "_res_short", "_res_full")
    df = with_division_names(df, "_prev_county", "_prev_short", None)
    school = (
        pl.when(pl.col("school_name").is_not_null() & pl.col("school_status").is_not_null())
        .then(pl.concat_str([pl.col("school_name"), pl.lit("（"), pl.col("school_status"), pl.lit("）")]))
        .otherwise(pl.coalesce("school_name", "school_status"))
    )
    guardian = (
        pl.when(pl.col("guardian_name").is_not_null() & pl.col("guardian_relation").is_not_null())
        .then(
            pl.concat_str([pl.col("guardian_name"), pl.lit("（"), pl.col("guardian_relation"), pl.lit("）")])
        )
        .otherwise(pl.col("guardian_name"))
    )
    label = pl.col("change").replace_strict(CHANGE_LABELS, default=pl.col("change"), return_dtype=pl.Utf8)
    change = (
        pl.when(pl.col("moved_county").fill_null(False))
        .then(pl.concat_str([label, pl.lit("（由"), pl.col("_prev_short"), pl.lit("迁入）")]))
        .otherwise(label)
    )
    return df.select(
        pl.col("name").alias("姓名"),
        pl.col("sex").alias("性别"),
        pl.col("ethnicity").alias("民族"),
        pl.col("birth_date").alias("出生日期"),
        pl.col("id_number").alias("公民身份号码"),
        pl.col("_hukou_full").alias("户籍地"),
        pl.col("_res_short").alias("现居住地"),
        pl.col("residence_since").alias("居住起始日期"),
        school.alias("就学情况"),
        guardian.alias("监护人"),
        pl.col("guardian_phone").alias("联系电话"),
        pl.col("care_level").alias("关爱等级"),
        yes_no(pl.col("suspected_orphan")).alias("疑似孤儿"),
        yes_no(pl.col("suspected_unsupported")).alias("疑似事实无人抚养"),
        yes_no(pl.col("refer_orphan")).alias("参照孤儿保障"),
        joined(pl.col("key_reasons")).alias("重点关爱原因"),
        joined(pl.col("service_gaps")).alias("服务缺口"),
        joined(pl.col("urgent_reasons")).alias("紧急情况"),
        change.alias("变动情况"),
        pl.col("child_id").alias("儿童编号"),
        pl.col("child_id").alias("_child_id"),
        pl.col("residence_county").alias("_residence_county"),
        pl.col("_res_full").alias("_residence_full"),
        pl.col("hukou_county").alias("_hukou_county"),
        pl.col("care_level").alias("_care_level"),
        pl.col("urgent").fill_null(False).alias("_urgent"),
    )


def for_people(frame: pl.DataFrame, columns: tuple[str, ...] | list[str]) -> pl.DataFrame:
    """The listed display columns, rows ordered by name, birth date and child id."""
    return frame.sort(["姓名", "出生日期", "儿童编号"], nulls_last=True).select(columns)
