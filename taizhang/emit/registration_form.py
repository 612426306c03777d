"""The home-visit sheet laid out like 《吉林省流动儿童基本情况登记表》.

The registration form a county worker fills in at a home visit groups its
fields as basic information, schooling, residence permit, health management,
vaccination, insurance, disability and rehabilitation, and guardianship and
living conditions. The sheet keeps that layout (group headers over field
headers), fills in what the departments' data already say, and leaves blank
columns for what only the visit can tell. A service gap found in the data is
written as what it means for that field ("数据显示：未参保"), so the worker
knows what to check; no gap leaves the field for the visit.
"""

from __future__ import annotations

import polars as pl

FORM_TITLE = "吉林省流动儿童基本情况登记表"
VISIT_FIELDS = ("监护情况", "生活状况", "走访人", "走访日期")

# Form field -> the service gaps (``taizhang.rules.service_gaps.GAP_ORDER``, each named once here;
# a test checks that none is left out) that speak to it.
_GAP_FIELDS = {
    "学籍情况": ("无在读学籍", "辍学或疑似辍学"),
    "居住证办理情况": ("无有效居住证",),
    "儿童健康管理": ("健康管理失访",),
    "预防接种": ("疫苗应种未种",),
    "参保情况": ("未参保",),
    "残疾及康复情况": ("残疾儿童未见康复记录",),
}

FORM_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "基本信息",
        ("姓名", "性别", "民族", "出生日期", "公民身份号码", "户籍地", "现居住地", "居住起始日期"),
    ),
    ("就学情况", ("就学情况", "学籍情况")),
    ("居住证", ("居住证办理情况",)),
    ("健康管理", ("儿童健康管理",)),
    ("预防接种", ("预防接种",)),
    ("医疗保险", ("参保情况",)),
    ("残疾与康复", ("残疾及康复情况",)),
    ("监护与生活状况", ("监护人", "联系电话", "关爱等级", *VISIT_FIELDS)),
    ("编号", ("儿童编号",)),
)
FORM_COLUMNS = tuple(field for _, fields in FORM_GROUPS for field in fields)


def _gap_note(gaps: tuple[str, ...]) -> pl.Expr:
    """``数据显示：<gap>`` for the first of ``gaps`` the child has, else empty for the visit."""
    cell = pl.col("服务缺口").fill_null("")
    expr = pl.lit(None, dtype=pl.Utf8)
    for gap in reversed(gaps):
        expr = pl.when(cell.str.contains(gap, literal=True)).then(pl.lit(f"数据显示：{gap}")).otherwise(expr)
    return expr


def form_frame(people: pl.DataFrame) -> pl.DataFrame:
    """One form row per child of ``people`` (``display.people_frame`` rows), in ``FORM_COLUMNS`` order."""
    return people.with_columns(
        *(_gap_note(gaps).alias(field) for field, gaps in _GAP_FIELDS.items()),
        *(pl.lit(None, dtype=pl.Utf8).alias(field) for field in VISIT_FIELDS),
    ).select(FORM_COLUMNS)
