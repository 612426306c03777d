"""Children 参照孤儿保障 (supported as orphans are): the Jilin provincial group.

Jilin notice of 2021 (republished by 南关区; docs/policy.md §1.3) keeps a provincial
category **参照孤儿保障的对象**: both parents each under one of five situations
(:data:`FIVE_SITUATIONS`: 被遣送（驱逐）出境, 服刑在押, 强制隔离戒毒, 被执行其他限制人身自由的措施,
被撤销监护资格); or one parent 死亡/失踪 and the other under one of those five; or
**艾滋病病毒感染儿童**; under 18 like the national categories. It is flagged on its own
(``refer_orphan``), beside the orphan and unsupported flags; the child's infection is shown
only as 特殊疾病（已脱敏）.
"""

from __future__ import annotations

import polars as pl

from taizhang.masking import MASKED_TERM
from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.orphan import ADULT_AGE, parent_text
from taizhang.rules.where_flagged import where_flagged

# The five situations of the Jilin group; each is also one of the eight situations
# (a term of six months or more for the custodial ones).
FIVE_SITUATIONS = ("遣送出境", "服刑在押", "强制隔离戒毒", "限制人身自由", "撤销监护资格")


def _five_only(events: pl.Expr) -> pl.Expr:
    return events.list.eval(
        pl.element().filter(pl.element().struct.field("status").is_in(list(FIVE_SITUATIONS)))
    )


def refer_orphans(parents: pl.DataFrame, profiles: pl.DataFrame, child_states: pl.DataFrame) -> pl.DataFrame:
    """``child_id, refer_orphan, refer_orphan_reason, refer_orphan_evidence`` for every profile.

    ``parents`` is :func:`taizhang.rules.parent_status.parent_states` output; ``child_states`` is
    :func:`taizhang.rules.parent_status.person_states` over the children (``person_id`` =
    ``child_id``), for the child's own infection.
    """
    p = (
        profiles.select("child_id", "age")
        .join(parents, on="child_id", how="left")
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
    f_r5, m_r5 = pl.col("father_r5").fill_null(False), pl.col("mother_r5").fill_null(False)
    minor = (pl.col("age") < ADULT_AGE).fill_null(False)
    parents_r5 = ((f_r5 & m_r5) | (f_dm & m_r5) | (m_dm & f_r5)) & minor
    child_hiv = pl.col("child_hiv").fill_null(False) & minor

    flagged = p.select(
        "child_id",
        "father_statuses",
        "mother_statuses",
        "father_evidence",
        "mother_evidence",
        "father_dm_events",
        "mother_dm_events",
        "father_s8_events",
        "mother_s8_events",
        "child_hiv_events",
        refer_orphan=parents_r5 | child_hiv,
        _parents=parents_r5,
        _child=child_hiv,
    )
    parents_r5, child_hiv = pl.col("_parents"), pl.col("_child")
    both_text = pl.concat_str(parent_text("父亲", "father"), pl.lit("；"), parent_text("母亲", "mother"))
    reason = (
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
        .otherwise(pl.lit("参照孤儿保障：儿童患" + MASKED_TERM))
    )
    evidence = evidence_json(
        pl.when(parents_r5)
        .then(refs_of(pl.col("father_evidence"), pl.col("mother_evidence")))
        .otherwise(pl.lit([])),
        events_of(
            pl.when(parents_r5).then(pl.col("father_dm_events")),
            pl.when(parents_r5).then(pl.col("mother_dm_events")),
            pl.when(parents_r5).then(_five_only(pl.col("father_s8_events"))),
            pl.when(parents_r5).then(_five_only(pl.col("mother_s8_events"))),
            pl.when(child_hiv).then(pl.col("child_hiv_events")),
        ),
    )
    return (
        where_flagged(
            flagged, pl.col("refer_orphan"), refer_orphan_reason=reason, refer_orphan_evidence=evidence
        )
        .select("child_id", "refer_orphan", "refer_orphan_reason", "refer_orphan_evidence")
        .sort("child_id")
    )
