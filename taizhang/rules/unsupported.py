"""Suspected de facto unsupported children (疑似事实无人抚养儿童), and the eight situations.

Policy text, 民发〔2019〕62号 as amended by 民发〔2020〕125号 (docs/policy.md §1.1–1.2):

  > 父母双方均符合重残、重病、服刑在押、强制隔离戒毒、被执行其他限制人身自由的措施、失联情形之一的儿童；
  > 或者父母一方死亡或失踪，另一方符合重残、重病、服刑在押、强制隔离戒毒、
  > 被执行其他限制人身自由的措施、失联情形之一的儿童。
  > 以上儿童是指年龄未满18周岁。

with 125号 adding 被撤销监护资格 and 被遣送（驱逐）出境 to the list: the eight situations
(S8, :func:`eight_situations`). Their sub-definitions: 重残 = 一级、二级残疾 of any kind, or
三级、四级 精神 or 智力 disability; 失联 = 失去联系且未履行监护抚养责任 **6个月以上**;
服刑在押 / 强制隔离戒毒 / 被执行其他限制人身自由的措施 = a term of **6个月以上** (an
open-ended term counts). A child who is an orphan is not also counted here.

The Jilin 参照孤儿保障 group is its own rule (:mod:`taizhang.rules.refer_orphan`).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.rules.dates import months_after, months_before
from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.orphan import ADULT_AGE, parent_text
from taizhang.rules.where_flagged import where_flagged

TERM_STATUSES = ("服刑在押", "强制隔离戒毒", "限制人身自由")
S8_PLAIN = ("重病", "撤销监护资格", "遣送出境")
SEVERE_ANY_KIND_GRADES = (1, 2)
SEVERE_MIND_KINDS = ("智力", "精神")
# a custodial term or a loss of contact counts from six months on
SITUATION_MONTHS = 6
# the statuses a parent's row may name for one of the eight situations
EIGHT_SITUATION_STATUSES = (*S8_PLAIN, "重残", *TERM_STATUSES, "失联")

_GRADE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def severe_disability() -> pl.Expr:
    """重残: grade 一 or 二 of any kind, or 三 or 四 of an intellectual or mental disability
    (the grade from 残疾等级, else from the detail text), over a status row."""
    detail = pl.col("status_detail").fill_null("")
    grade = pl.coalesce(
        pl.col("disability_grade").cast(pl.Int32),
        detail.str.extract(r"([一二三四1-4])级", 1).replace_strict(
            _GRADE_DIGITS, default=None, return_dtype=pl.Int32
        ),
    )
    mind = pl.coalesce(pl.col("disability_kind"), pl.lit("")).str.contains(
        "|".join(SEVERE_MIND_KINDS)
    ) | detail.str.contains("|".join(SEVERE_MIND_KINDS))
    return grade.is_in(list(SEVERE_ANY_KIND_GRADES)) | (grade.is_in([3, 4]) & mind)


def long_term() -> pl.Expr:
    """A term of six months or more (an open-ended term counts), over a status row."""
    end, start = pl.col("end_date"), pl.col("start_date")
    return end.is_null() | (end >= months_after(start, SITUATION_MONTHS)).fill_null(False)


def lost_long(as_of: date) -> pl.Expr:
    """Contact lost six months or more before ``as_of``, over a status row."""
    return pl.col("start_date") <= months_before(as_of, SITUATION_MONTHS)


def eight_situations(as_of: date) -> pl.Expr:
    """The status row is one of the eight situations (after the severity and duration tests)."""
    st = pl.col("status")
    return (
        st.is_in(list(S8_PLAIN))
        | ((st == "重残") & severe_disability().fill_null(False))
        | (st.is_in(list(TERM_STATUSES)) & long_term())
        | ((st == "失联") & lost_long(as_of))
    )


# The columns of a parent's state the reason and evidence read.
PARENT_FACTS = tuple(
    f"{role}_{fact}"
    for role in ("father", "mother")
    for fact in ("statuses", "evidence", "dm_events", "s8_events")
)


def suspected_unsupported(
    parents: pl.DataFrame, profiles: pl.DataFrame, orphans: pl.DataFrame
) -> pl.DataFrame:
    """``child_id, suspected_unsupported, unsupported_reason, unsupported_evidence`` for every profile.

    ``parents`` is :func:`taizhang.rules.parent_status.parent_states` output, ``orphans``
    :func:`taizhang.rules.orphan.suspected_orphans` output.
    """
    p = (
        profiles.select("child_id", "age")
        .join(parents, on="child_id", how="left")
        .join(orphans.select("child_id", "suspected_orphan"), on="child_id", how="left")
    )
    f_dm, m_dm = (
        pl.col("father_dead_or_missing").fill_null(False),
        pl.col("mother_dead_or_missing").fill_null(False),
    )
    f_s8, m_s8 = pl.col("father_s8").fill_null(False), pl.col("mother_s8").fill_null(False)
    minor = (pl.col("age") < ADULT_AGE).fill_null(False)
    not_orphan = ~pl.col("suspected_orphan").fill_null(False)
    both_s8 = f_s8 & m_s8
    one_gone = (f_dm & m_s8) | (m_dm & f_s8)
    unsup = (both_s8 | one_gone) & not_orphan & minor

    both_text = pl.concat_str(parent_text("父亲", "father"), pl.lit("；"), parent_text("母亲", "mother"))
    return (
        where_flagged(
            p.select("child_id", *PARENT_FACTS, suspected_unsupported=unsup, _both_s8=unsup & both_s8),
            pl.col("suspected_unsupported"),
            unsupported_reason=pl.when(pl.col("_both_s8"))
            .then(pl.concat_str(pl.lit("父母双方均符合重残、重病、服刑在押等八类情形之一："), both_text))
            .otherwise(
                pl.concat_str(pl.lit("父母一方死亡或被宣告失踪，另一方符合八类情形之一："), both_text)
            ),
            unsupported_evidence=evidence_json(
                refs_of(pl.col("father_evidence"), pl.col("mother_evidence")),
                events_of(
                    pl.col("father_dm_events"),
                    pl.col("mother_dm_events"),
                    pl.col("father_s8_events"),
                    pl.col("mother_s8_events"),
                ),
            ),
        )
        .select("child_id", "suspected_unsupported", "unsupported_reason", "unsupported_evidence")
        .sort("child_id")
    )
