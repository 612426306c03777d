"""Suspected de facto unsupported children (疑似事实无人抚养儿童) and the Jilin 参照孤儿保障 group.

Policy text, 民发〔2019〕62号 as amended by 民发〔2020〕125号 (docs/policy.md §1.1–1.2):

  > 父母双方均符合重残、重病、服刑在押、强制隔离戒毒、被执行其他限制人身自由的措施、失联情形之一的儿童；
  > 或者父母一方死亡或失踪，另一方符合重残、重病、服刑在押、强制隔离戒毒、
  > 被执行其他限制人身自由的措施、失联情形之一的儿童。
  > 以上儿童是指年龄未满18周岁。

with 125号 adding 被撤销监护资格 and 被遣送（驱逐）出境 to the list (S8). A child who
is an orphan is not also counted here.

Jilin notice of 2021 (republished by 南关区; docs/policy.md §1.3) keeps a provincial
category **参照孤儿保障的对象**: both parents each under one of {被遣送（驱逐）出境,
服刑在押, 强制隔离戒毒, 被执行其他限制人身自由的措施, 被撤销监护资格}; or one parent
死亡/失踪 and the other under one of those five; or **艾滋病病毒感染儿童**. It is
flagged separately (``refer_orphan``); the child's infection is shown only as
特殊疾病（已脱敏）.
"""

from __future__ import annotations

import polars as pl

from taizhang.masking import MASKED_TERM
from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.orphan import ADULT_AGE
from taizhang.rules.parent_status import R5


def _text(role_zh: str, role: str) -> pl.Expr:
    return pl.concat_str(
        pl.lit(role_zh), pl.lit("（"), pl.col(f"{role}_statuses").list.join("、"), pl.lit("）")
    )


def _r5_only(events: pl.Expr) -> pl.Expr:
    return events.list.eval(pl.element().filter(pl.element().struct.field("status").is_in(list(R5))))


def suspected_unsupported(
    parents: pl.DataFrame, profiles: pl.DataFrame, orphans: pl.DataFrame, child_states: pl.DataFrame
) -> pl.DataFrame:
    """``child_id, suspected_unsupported, unsupported_reason, unsupported_evidence,
    refer_orphan, refer_orphan_reason, refer_orphan_evidence`` for every profile.

    ``child_states`` is :func:`taizhang.rules.parent_status.person_states` over
    the children (``person_id`` = ``child_id``), for the child's own infection.
    """
    p = (
        profiles.select("child_id", "age")
        .join(parents, on="child_id", how="left")
        .join(orphans.select("child_id", "suspected_orphan"), on="child_id", how="left")
        .join(
            child_states.select(child_id="person_id", child_hiv="hiv", child_hiv_events="hiv_events"),
            on="child_id",
            how="left",
        )
    )
    f_dm, m_dm = (
        pl.col("father_dead_or_missing").fill_null(False),
        pl.col("mother_dead_or_missing").fill_null(False),
    )
    f_s8, m_s8 = pl.col("father_s8").fill_null(False), pl.col("mother_s8").fill_null(False)
    f_r5, m_r5 = pl.col("father_r5").fill_null(False), pl.col("mother_r5").fill_null(False)
    minor = (pl.col("age") < ADULT_AGE).fill_null(False)
    not_orphan = ~pl.col("suspected_orphan").fill_null(False)

    both_s8 = f_s8 & m_s8
    one_gone = (f_dm & m_s8) | (m_dm & f_s8)
    unsup = (both_s8 | one_gone) & not_orphan & minor
    parents_r5 = ((f_r5 & m_r5) | (f_dm & m_r5) | (m_dm & f_r5)) & minor
    child_hiv = pl.col("child_hiv").fill_null(False) & minor
    refer = parents_r5 | child_hiv

    both_text = pl.concat_str(_text("父亲", "father"), pl.lit("；"), _text("母亲", "mother"))
    unsup_reason = (
        pl.when(unsup & both_s8)
        .then(pl.concat_str(pl.lit("父母双方均符合重残、重病、服刑在押等八类情形之一："), both_text))
        .when(unsup)
        .then(pl.concat_str(pl.lit("父母一方死亡或被宣告失踪，另一方符合八类情形之一："), both_text))
    )
    parent_refs = refs_of(pl.col("father_evidence"), pl.col("mother_evidence"))
    refer_reason = (
        pl.when(parents_r5 & child_hiv)
        .then(
            pl.concat_str(
                pl.lit("参照孤儿保障：父母情形符合吉林省规定（"),
                both_text,
                pl.lit("），且儿童患" + MASKED_TERM),
            )
        )
        .when(parents_r5)
        .then(pl.concat_str(pl.lit("参照孤儿保障：父母情形符合吉林省规定："), both_text))
        .when(child_hiv)
        .then(pl.lit("参照孤儿保障：儿童患" + MASKED_TERM))
    )
    return p.select(
        "child_id",
        suspected_unsupported=unsup,
        unsupported_reason=unsup_reason,
        unsupported_evidence=pl.when(unsup).then(
            evidence_json(
                parent_refs,
                events_of(
                    pl.col("father_dm_events"),
                    pl.col("mother_dm_events"),
                    pl.col("father_s8_events"),
                    pl.col("mother_s8_events"),
                ),
            )
        ),
        refer_orphan=refer,
        refer_orphan_reason=refer_reason,
        refer_orphan_evidence=pl.when(refer).then(
            evidence_json(
                pl.when(parents_r5).then(parent_refs).otherwise(pl.lit([])),
                events_of(
                    pl.when(parents_r5).then(pl.col("father_dm_events")),
                    pl.when(parents_r5).then(pl.col("mother_dm_events")),
                    pl.when(parents_r5).then(_r5_only(pl.col("father_s8_events"))),
                    pl.when(parents_r5).then(_r5_only(pl.col("mother_s8_events"))),
                    pl.when(child_hiv).then(pl.col("child_hiv_events")),
                ),
            )
        ),
    ).sort("child_id")
