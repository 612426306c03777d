"""Service gaps (服务缺口) against the basic service list for migrant children.

Basis: the 2024 行动方案 promises migrant children a 《流动儿童在居住地享有关爱服务基础清单》
(幼有所育、学有所教、病有所医、住有所居、弱有所扶…), and the 2024 monitoring collects
"入学入园情况、健康管理情况、参加城乡居民医保情况、残疾情况，以及流动儿童办理居住证情况"
(docs/policy.md §2.1, §2.3). A gap is a service the child should have at the as-of
date and the extracts show it does not:

- ``无在读学籍``: aged 6–15 (compulsory schooling) with no school record 在读 or 休学;
- ``辍学或疑似辍学``: the latest school record says 辍学 or 疑似辍学;
- ``疫苗应种未种``: the latest vaccination record has 应种未种剂次 > 0;
- ``未参保``: no insurance record 参保缴费 for the as-of year;
- ``无有效居住证``: no residence permit, or every permit expired before the as-of
  date (a permit without an end date is taken as valid);
- ``健康管理失访``: the latest child-health record is 失访;
- ``残疾儿童未见康复记录``: a disability (visit 特殊情况 残疾, or the child's own 重残
  status in force) and no record mentioning 康复 (rehabilitation): a follow-up
  item, since no rehabilitation extract is received.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.rules.evidence import REFS, evidence_json, refs_of
from taizhang.rules.row_refs import ref, refs_by

SCHOOL_AGE = (6, 15)
IN_SCHOOL = ("在读", "休学")
DROPOUT = ("辍学", "疑似辍学")
GAP_ORDER = (
    "无在读学籍",
    "辍学或疑似辍学",
    "疫苗应种未种",
    "未参保",
    "无有效居住证",
    "健康管理失访",
    "残疾儿童未见康复记录",
)


def _latest(linked: pl.DataFrame, source: str, order: list[str]) -> pl.DataFrame:
    return (
        linked.filter(pl.col("source") == source)
        .with_columns(_ref=ref())
        .sort(
            ["child_id", *order, "file", "row_number"],
            descending=[False] + [True] * len(order) + [False, False],
            nulls_last=True,
        )
        .group_by("child_id", maintain_order=True)
        .first()
    )


def service_gap_items(
    profiles: pl.DataFrame, linked: pl.DataFrame, disabled: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """``child_id, gap, evidence (JSON)``: one row per gap of a profile, in :data:`GAP_ORDER`.

    ``disabled`` lists ``child_id`` of children with a disability.
    """
    ids = profiles.select("child_id", "age")
    school = linked.filter(pl.col("source") == "school_enrollment")
    in_school = school.filter(pl.col("school_status").is_in(list(IN_SCHOOL))).select("child_id").unique()
    last_school = _latest(linked, "school_enrollment", ["enrol_month"])
    last_vacc = _latest(linked, "vaccination", ["last_dose", "card_opened"])
    last_health = _latest(linked, "child_health", ["last_followup", "record_opened"])
    insured = (
        linked.filter(
            (pl.col("source") == "insurance")
            & (pl.col("insurance_status") == "参保缴费")
            & (pl.col("insurance_year") == as_of.year)
        )
        .select("child_id")
        .unique()
    )
    permits = linked.filter(pl.col("source") == "residence_permits").with_columns(_ref=ref())
    valid_permit = (
        permits.filter(pl.col("valid_until").is_null() | (pl.col("valid_until") >= as_of))
        .select("child_id")
        .unique()
    )
    expired = refs_by(permits, ["child_id"]).rename({"_ref": "_expired"})
    rehab = linked.filter(pl.col("remarks").fill_null("").str.contains("康复")).select("child_id").unique()

    # A gap shown by an absence is evidenced by the rows that were searched: all the child's rows.
    searched = refs_by(linked.select("child_id", _ref=ref()), ["child_id"]).rename({"_ref": "_all"})

    def one(frame: pl.DataFrame, gap: str, refs: pl.Expr | None = None) -> pl.DataFrame:
        if refs is None:
            frame, refs = frame.join(searched, on="child_id", how="left"), pl.col("_all")
        return frame.select("child_id", gap=pl.lit(gap), refs=refs.cast(REFS))

    age = pl.col("age")
    school_age = ids.filter(age.is_between(*SCHOOL_AGE))
    dropout = last_school.filter(pl.col("school_status").is_in(list(DROPOUT)))
    parts = [
        one(
            school_age.join(in_school, on="child_id", how="anti").join(dropout, on="child_id", how="anti"),
            "无在读学籍",
        ),
        one(dropout, "辍学或疑似辍学", pl.concat_list(pl.col("_ref"))),
        one(last_vacc.filter(pl.col("missed_doses") > 0), "疫苗应种未种", pl.concat_list(pl.col("_ref"))),
        one(ids.join(insured, on="child_id", how="anti"), "未参保"),
        one(
            ids.join(valid_permit, on="child_id", how="anti")
            .join(expired, on="child_id", how="left")
            .join(searched, on="child_id", how="left"),
            "无有效居住证",
            pl.coalesce(pl.col("_expired"), pl.col("_all")),
        ),
        one(
            last_health.filter(pl.col("management_status") == "失访"),
            "健康管理失访",
            pl.concat_list(pl.col("_ref")),
        ),
        one(
            disabled.select("child_id").unique().join(rehab, on="child_id", how="anti"),
            "残疾儿童未见康复记录",
        ),
    ]
    order = {g: i for i, g in enumerate(GAP_ORDER)}
    return (
        pl.concat(parts)
        .join(ids.select("child_id"), on="child_id", how="semi")
        .with_columns(_o=pl.col("gap").replace_strict(order, return_dtype=pl.Int32))
        .sort("child_id", "_o")
        .select("child_id", "gap", evidence=evidence_json(refs_of(pl.col("refs"))))
    )


def gaps_per_child(profiles: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """``child_id, service_gaps``: the gaps of :func:`service_gap_items` as one list per profile."""
    agg = items.group_by("child_id", maintain_order=True).agg(service_gaps=pl.col("gap"))
    return (
        profiles.select("child_id")
        .join(agg, on="child_id", how="left")
        .with_columns(pl.col("service_gaps").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        .sort("child_id")
    )
