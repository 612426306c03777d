"""Urgent cases (紧急情况): children to report to the police at once.

Basis: the home-visit form's 紧急情况 list (docs/extracts.md, field_visits) of the
provincial plan as given in the project brief: 脱离监护单独居住, 失踪,
监护人丧失监护能力, 监护人不履行监护责任, 疑似家庭暴力, 疑似意外伤害或不法侵害. Any
of them on the latest visit (:mod:`taizhang.rules.visits`) puts the child on the
urgent list with the instruction to report to the public security organ
immediately (立即报告公安机关). docs/policy.md quotes no text for this list; it is
the form's own.
"""

from __future__ import annotations

import polars as pl

from taizhang.rules.evidence import evidence_json, refs_of
from taizhang.rules.where_flagged import where_flagged

URGENT_SITUATIONS = (
    "脱离监护单独居住",
    "失踪",
    "监护人丧失监护能力",
    "监护人不履行监护责任",
    "疑似家庭暴力",
    "疑似意外伤害或不法侵害",
)


def urgent_cases(profiles: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """``child_id, urgent, urgent_reasons, urgent_reason, urgent_evidence`` for every profile."""
    u = visits.select(
        "child_id",
        urgent_reasons=pl.col("urgent")
        .list.eval(pl.element().filter(pl.element().is_in(list(URGENT_SITUATIONS))))
        .list.unique()
        .list.sort(),
        visit_ref="visit_ref",
    )
    p = profiles.select("child_id").join(u, on="child_id", how="left")
    flag = pl.col("urgent_reasons").list.len().fill_null(0) > 0
    return (
        where_flagged(
            p.select(
                "child_id",
                "visit_ref",
                urgent=flag,
                urgent_reasons=pl.col("urgent_reasons").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            ),
            pl.col("urgent"),
            urgent_reason=pl.concat_str(
                pl.lit("紧急情况："), pl.col("urgent_reasons").list.join("、"), pl.lit("，应立即报告公安机关")
            ),
            urgent_evidence=evidence_json(refs_of(pl.concat_list(pl.col("visit_ref")))),
        )
        .select("child_id", "urgent", "urgent_reasons", "urgent_reason", "urgent_evidence")
        .sort("child_id")
    )
