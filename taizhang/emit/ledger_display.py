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
from taizhang.emit.division_names import with_division_names

LIST_SEPARATOR = "、"

TEXT_COLUMNS = ("公民身份号码", "联系电话", "儿童编号", "户籍地代码", "区划代码")


def yes_no(expr: pl.Expr) -> pl.Expr:
    """``是``/``否`` for a boolean (null reads as 否: not flagged)."""
    return pl.when(expr.fill_null(False)).then(pl.lit("是")).otherwise(pl.lit("否"))


def joined(expr: pl.Expr) -> pl.Expr:
    """A list of Chinese phrases as one cell, ``、``-separated; empty lists become empty cells."""
    text = expr.list.join(LIST_SEPARATOR)
    return pl.when(text == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(text)


_SCHOOL = (
    pl.when(pl.col("school_name").is_not_null() & pl.col("school_status").is_not_null())
    .then(pl.concat_str([pl.col("school_name"), pl.lit("（"), pl.col("school_status"), pl.lit("）")]))
    .otherwise(pl.coalesce("school_name", "school_status"))
)
_GUARDIAN = (
    pl.when(pl.col("guardian_name").is_not_null() & pl.col("guardian_relation").is_not_null())
    .then(pl.concat_str([pl.col("guardian_name"), pl.lit("（"), pl.col("guardian_relation"), pl.lit("）")]))
    .otherwise(pl.col("guardian_name"))
)
_CHANGE_LABEL = pl.col("change").replace_strict(CHANGE_LABELS, default=pl.col("change"), return_dtype=pl.Utf8)
_CHANGE = (
    pl.when(pl.col("moved_county").fill_null(False))
    .then(pl.concat_str([_CHANGE_LABEL, pl.lit("（由"), pl.col("_prev_short"), pl.lit("迁入）")]))
    .otherwise(_CHANGE_LABEL)
)

# The ledger's columns as people read them: Chinese header -> how it is made from a ledger row
# (with the division names people_frame adds). Declared once; every sheet and list that shows a
# child picks its columns from these headers.
PERSON_COLUMNS: dict[str, pl.Expr] = {
    "姓名": pl.col("name"),
    "性别": pl.col("sex"),
    "民族": pl.col("ethnicity"),
    "出生日期": pl.col("birth_date"),
    "公民身份号码": pl.col("id_number"),
    "户籍地": pl.col("_hukou_full"),
    "现居住地": pl.col("_res_short"),
    "居住起始日期": pl.col("residence_since"),
    "就学情况": _SCHOOL,
    "监护人": _GUARDIAN,
    "联系电话": pl.col("guardian_phone"),
    "关爱等级": pl.col("care_level"),
    "疑似孤儿": yes_no(pl.col("suspected_orphan")),
    "疑似事实无人抚养": yes_no(pl.col("suspected_unsupported")),
    "参照孤儿保障": yes_no(pl.col("refer_orphan")),
    "重点关爱原因": joined(pl.col("key_reasons")),
    "服务缺口": joined(pl.col("service_gaps")),
    "紧急情况": joined(pl.col("urgent_reasons")),
    "变动情况": _CHANGE,
    "儿童编号": pl.col("child_id"),
}
# The county ledger sheet (流动儿童台账): every person column, in the registration forms' order.
REGISTER_COLUMNS = tuple(PERSON_COLUMNS)
# Internal keys for filtering and sorting, dropped before writing.
_KEYS: dict[str, pl.Expr] = {
    "_child_id": pl.col("child_id"),
    "_residence_county": pl.col("residence_county"),
    "_residence_full": pl.col("_res_full"),
    "_hukou_county": pl.col("hukou_county"),
    "_care_level": pl.col("care_level"),
    "_urgent": pl.col("urgent").fill_null(False),
}


def people_frame(ledger: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """One display row per ledger child (``ledger`` as from ``ledger_table``): ``PERSON_COLUMNS``,
    then ``_child_id``, ``_residence_county``, ``_residence_full``, ``_hukou_county``,
    ``_care_level``, ``_urgent`` for filtering and sorting.
    """
    moves = changes.select(
        "child_id", "moved_county", pl.col("previous_residence_county").alias("_prev_county")
    )
    df = ledger.join(moves, on="child_id", how="left")
    df = with_division_names(df, "hukou_county", None, "_hukou_full")
    df = with_division_names(df, "residence_county", "_res_short", "_res_full")
    df = with_division_names(df, "_prev_county", "_prev_short", None)
    return df.select(*(expr.alias(name) for name, expr in {**PERSON_COLUMNS, **_KEYS}.items()))


# The order children are listed in: by name, birth date and child id.
PEOPLE_ORDER = ("姓名", "出生日期", "儿童编号")
