"""Care level (关爱等级) of each child: 重点关爱, 每月走访 or 每三个月走访.

Policy basis: the 2024 行动方案 and 吉民发〔2024〕34号 keep a 重点关爱服务对象信息台账
for monitored children with "家庭生活困难、自身残疾、监护缺失、流浪、心理和行为异常",
plus children who ask for help (docs/policy.md §2.2); the monitoring also covers
孤儿 and 事实无人抚养儿童. The visit frequencies follow the provincial plan as
given in the project brief:

- ``重点关爱`` (key case) when any of: guardianship 监护不足 / 监护不当 / 监护缺失 /
  监护侵害; 特殊情况 无户籍, 失辍学, 重病, 残疾, 心理行为异常, 流浪经历 (单亲 alone is
  not a key reason); a school record 辍学 / 疑似辍学; the child's own 重病 or
  重残 status in force; 主动申请救助 = 是; a suspected orphan, suspected de facto
  unsupported child, or 参照孤儿保障 child;
- ``每月走访`` (monthly) when guardianship is 一般;
- ``每三个月走访`` (every three months) when guardianship is 良好 or unknown.

Guardianship, special situations and self-declared need come from the latest
home visit (:mod:`taizhang.rules.visits`); the school status from the latest
school record.
"""

from __future__ import annotations

import polars as pl

from taizhang.rules.evidence import EVENTS, REFS, events_of, evidence_json, refs_of
from taizhang.rules.row_refs import ref
from taizhang.rules.where_flagged import where_flagged

KEY_GUARDIANSHIP = ("监护不足", "监护不当", "监护缺失", "监护侵害")
KEY_SPECIAL = ("无户籍", "失辍学", "重病", "残疾", "心理行为异常", "流浪经历")
DROPOUT = ("辍学", "疑似辍学")
KEY = "重点关爱"
MONTHLY = "每月走访"
QUARTERLY = "每三个月走访"

_LONG = {"child_id": pl.Utf8(), "reason": pl.Utf8(), "refs": REFS, "events": EVENTS}


def latest_school(linked: pl.DataFrame) -> pl.DataFrame:
    """``child_id, school_name, school_status, school_ref`` of the most recent school record."""
    return (
        linked.filter(pl.col("source") == "school_enrollment")
        .with_columns(school_ref=ref())
        .sort(
            ["child_id", "enrol_month", "file", "row_number"],
            descending=[False, True, False, False],
            nulls_last=True,
        )
        .group_by("child_id", maintain_order=True)
        .first()
        .select("child_id", "school_name", "school_status", "school_ref")
    )


def child_conditions(events: pl.DataFrame, child_matches: pl.DataFrame) -> pl.DataFrame:
    """The child's own 重病 / 重残 events in force (any grade): ``child_id, reason, refs, events``."""
    ev = child_matches.join(events, on="event_id").filter(
        pl.col("in_force") & pl.col("status").is_in(["重病", "重残"])
    )
    return ev.select(
        child_id="person_id",
        reason=pl.when(pl.col("status") == "重病").then(pl.lit("重病")).otherwise(pl.lit("残疾")),
        refs=pl.lit([], dtype=REFS),
        events=pl.concat_list(pl.col("event")).cast(EVENTS),
    )


def care_levels(
    profiles: pl.DataFrame,
    visits: pl.DataFrame,
    school: pl.DataFrame,
    conditions: pl.DataFrame,
    status_flags: pl.DataFrame,
) -> pl.DataFrame:
    """``child_id, care_level, key_reasons, care_reason, care_evidence`` for every profile.

    ``status_flags`` holds ``child_id, suspected_orphan, suspected_unsupported, refer_orphan`` and
    the evidence behind them, ``status_refs`` (rows naming the parents) and ``status_events``.
    """
    visit_ref = pl.concat_list(pl.col("visit_ref")).cast(REFS)
    no_events = pl.lit([], dtype=EVENTS)
    parts = [
        visits.filter(pl.col("guardianship").is_in(list(KEY_GUARDIANSHIP))).select(
            "child_id", reason="guardianship", refs=visit_ref, events=no_events
        ),
        visits.explode("special")
        .filter(pl.col("special").is_in(list(KEY_SPECIAL)))
        .select("child_id", reason="special", refs=visit_ref, events=no_events),
        visits.filter(pl.col("self_apply")).select(
            "child_id", reason=pl.lit("主动申请救助"), refs=visit_ref, events=no_events
        ),
        school.filter(pl.col("school_status").is_in(list(DROPOUT))).select(
            "child_id",
            reason=pl.lit("失辍学"),
            refs=pl.concat_list(pl.col("school_ref")).cast(REFS),
            events=no_events,
        ),
        conditions,
    ]
    for col, label in (
        ("suspected_orphan", "疑似孤儿"),
        ("suspected_unsupported", "疑似事实无人抚养儿童"),
        ("refer_orphan", "参照孤儿保障对象"),
    ):
        parts.append(
            status_flags.filter(pl.col(col)).select(
                "child_id", reason=pl.lit(label), refs="status_refs", events="status_events"
            )
        )
    long = pl.concat([p.select(list(_LONG)).cast(_LONG) for p in parts])
    reasons = long.group_by("child_id").agg(
        key_reasons=pl.col("reason").unique().sort(),
        _refs=pl.col("refs").list.explode(keep_nulls=False, empty_as_null=False),
        _events=pl.col("events").list.explode(keep_nulls=False, empty_as_null=False),
    )
    p = (
        profiles.select("child_id")
        .join(reasons, on="child_id", how="left")
        .join(visits.select("child_id", "guardianship", "visit_ref"), on="child_id", how="left")
    )
    has_key = pl.col("key_reasons").list.len().fill_null(0) > 0
    level = (
        pl.when(has_key)
        .then(pl.lit(KEY))
        .when(pl.col("guardianship") == "一般")
        .then(pl.lit(MONTHLY))
        .otherwise(pl.lit(QUARTERLY))
    )
    key_text = pl.concat_str(pl.lit("重点关爱："), pl.col("key_reasons").list.join("、"))
    return (
        where_flagged(
            p.select(
                "child_id",
                "_refs",
                "_events",
                "visit_ref",
                care_level=level,
                key_reasons=pl.col("key_reasons").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
                _key=has_key,
                _monthly=pl.col("guardianship") == "一般",
            ),
            pl.col("_key") | pl.col("_monthly"),
            care_reason=pl.when(pl.col("_key")).then(key_text).otherwise(pl.lit("监护状况一般，每月走访")),
            care_evidence=pl.when(pl.col("_key"))
            .then(evidence_json(refs_of(pl.col("_refs")), events_of(pl.col("_events"))))
            .otherwise(evidence_json(refs_of(pl.concat_list(pl.col("visit_ref"))))),
        )
        .select("child_id", "care_level", "key_reasons", "care_reason", "care_evidence")
        .sort("child_id")
    )
