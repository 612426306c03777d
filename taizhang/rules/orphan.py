"""Suspected orphans (疑似孤儿).

Policy text: "孤儿是指失去父母、查找不到生父母的未满18周岁的未成年人" (国办发〔2010〕54号,
民发〔2010〕161号; docs/policy.md §1.4), in practice 父母双亡；父母一方死亡另一方失踪；父母双方失踪,
where 死亡 includes a court's 宣告死亡 and 失踪 means 人民法院宣告失踪 (民发〔2019〕62号
sub-definitions). Under 18: 未成年人 = 未满18周岁 (民法典 Art. 17).

So a child is a suspected orphan when both parents are dead or declared missing
as of the as-of date and it is under 18. The ledger can only say 疑似
(suspected): the county confirms with the documents.

"查找不到生父母" (parents not findable) is not decided from data: a child with no
parent on any record is usually a child whose parents the departments simply
did not record. Such a child goes to review (``parents_not_findable``) only
when the latest home visit shows it without care (监护缺失) or with a history
of living rough (流浪经历); it is never flagged as an orphan without documents.
"""

from __future__ import annotations

import polars as pl

from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.where_flagged import where_flagged

ADULT_AGE = 18
_EVIDENCE = ("father_evidence", "mother_evidence", "father_dm_events", "mother_dm_events")


# 死亡 (natural death or a court's 宣告死亡) and 人民法院宣告失踪; a plain 失踪 counts only when a
# court reported it (:func:`dead_or_missing`).
DEAD_OR_MISSING = ("死亡", "宣告死亡", "宣告失踪")


def declared_by_court() -> pl.Expr:
    """The status row was reported by a court (来源单位), or its detail says so (宣告), over a status row."""
    return pl.col("reporter").fill_null("").str.contains("法院") | pl.col("status_detail").fill_null(
        ""
    ).str.contains("法院|宣告")


def dead_or_missing() -> pl.Expr:
    """The status row says the person is dead or declared missing, over a status row."""
    st = pl.col("status")
    return st.is_in(list(DEAD_OR_MISSING)) | ((st == "失踪") & declared_by_court())


def parent_text(role_zh: str, role: str) -> pl.Expr:
    """``父亲（死亡、…）``: a parent's counting statuses as a reason shows them."""
    return pl.concat_str(
        pl.lit(role_zh), pl.lit("（"), pl.col(f"{role}_statuses").list.join("、"), pl.lit("）")
    )


def suspected_orphans(parents: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """``child_id, suspected_orphan, orphan_reason, orphan_evidence`` for every profile.

    ``parents`` is :func:`taizhang.rules.parent_status.parent_states` output.
    """
    p = profiles.select("child_id", "age").join(parents, on="child_id", how="left")
    both = pl.col("father_dead_or_missing").fill_null(False) & pl.col("mother_dead_or_missing").fill_null(
        False
    )
    flag = both & (pl.col("age") < ADULT_AGE).fill_null(False)
    return (
        where_flagged(
            p.select("child_id", "father_statuses", "mother_statuses", *_EVIDENCE, suspected_orphan=flag),
            pl.col("suspected_orphan"),
            orphan_reason=pl.concat_str(
                pl.lit("父母双方均死亡或被宣告失踪："),
                parent_text("父亲", "father"),
                pl.lit("；"),
                parent_text("母亲", "mother"),
            ),
            orphan_evidence=evidence_json(
                refs_of(pl.col("father_evidence"), pl.col("mother_evidence")),
                events_of(pl.col("father_dm_events"), pl.col("mother_dm_events")),
            ),
        )
        .select("child_id", "suspected_orphan", "orphan_reason", "orphan_evidence")
        .sort("child_id")
    )


def parents_not_findable(
    profiles: pl.DataFrame, child_parents: pl.DataFrame, visits: pl.DataFrame
) -> pl.DataFrame:
    """Review items for children named with no parent anywhere and shown without care at the visit.

    ``child_id, reason_code, reason, evidence``.
    """
    known = child_parents.filter(
        (pl.col("father_known") != "unknown") | (pl.col("mother_known") != "unknown")
    ).select("child_id")
    alone = visits.filter(
        (pl.col("guardianship") == "监护缺失") | pl.col("special").list.contains("流浪经历")
    ).select("child_id", "visit_ref")
    hit = (
        profiles.filter(pl.col("age") < ADULT_AGE)
        .select("child_id")
        .join(known, on="child_id", how="anti")
        .join(alone, on="child_id", how="inner")
    )
    return hit.select(
        "child_id",
        reason_code=pl.lit("parents_not_findable"),
        reason=pl.lit("任何来源均未记载父母，且走访显示监护缺失或有流浪经历：请核实是否查找不到生父母"),
        evidence=evidence_json(refs_of(pl.concat_list(pl.col("visit_ref")))),
    ).sort("child_id")
