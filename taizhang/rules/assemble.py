"""The decide stage's tables assembled from the facts and the rulings: ledger, flags and review.

Step three of the decide stage; see :mod:`taizhang.rules.decide` for the tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from taizhang.rules.candidates import migrant_candidates
from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.facts import Facts
from taizhang.rules.migrant import migrant_review
from taizhang.rules.orphan import ADULT_AGE, parents_not_findable
from taizhang.rules.parent_status import SLIP_MATCHES, unmatched_name_hits
from taizhang.rules.renamed_or_twin import renamed_or_twin_review

REVIEW_SCHEMA = {"child_id": pl.Utf8(), "reason_code": pl.Utf8(), "reason": pl.Utf8(), "evidence": pl.Utf8()}
FLAG_SCHEMA = {"child_id": pl.Utf8(), "flag": pl.Utf8(), "reason": pl.Utf8(), "evidence": pl.Utf8()}

LEDGER_COLUMNS = (
    "child_id",
    "name",
    "sex",
    "birth_date",
    "id_number",
    "hukou_county",
    "residence_county",
    "suspected_orphan",
    "suspected_unsupported",
    "care_level",
    "refer_orphan",
    "urgent",
    "key_reasons",
    "service_gaps",
    "urgent_reasons",
    "residence_since",
    "residence_basis",
    "age",
    "ethnicity",
    "school_name",
    "school_status",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "hukou_basis",
    "id_status",
)


# (column of the profile table, flag, its reason column, its evidence column)
STATUS_FLAGS = (
    ("suspected_orphan", "suspected_orphan", "orphan_reason", "orphan_evidence"),
    ("suspected_unsupported", "suspected_unsupported", "unsupported_reason", "unsupported_evidence"),
    ("refer_orphan", "refer_orphan", "refer_orphan_reason", "refer_orphan_evidence"),
    ("urgent", "urgent", "urgent_reason", "urgent_evidence"),
)


@dataclass
class Decisions:
    """The decide stage's tables (see :mod:`taizhang.rules.decide`)."""

    profiles: pl.DataFrame
    ledger: pl.DataFrame
    flags: pl.DataFrame
    review: pl.DataFrame
    parents: pl.DataFrame
    candidates: pl.DataFrame


@dataclass
class Rulings:
    """What the policy rules decided, one frame per rule (``taizhang.rules.decide.apply_rules``)."""

    migrant: pl.DataFrame
    status_flags: pl.DataFrame  # orphan, unsupported and refer_orphan columns
    care: pl.DataFrame
    urgent: pl.DataFrame
    gap_items: pl.DataFrame
    gaps: pl.DataFrame


def profile_table(facts: Facts, rulings: Rulings) -> pl.DataFrame:
    """Every child with its profile and every decision (``profiles``)."""
    return (
        facts.profiles.join(rulings.migrant, on="child_id", how="left")
        .join(rulings.status_flags, on="child_id", how="left")
        .join(rulings.care, on="child_id", how="left")
        .join(rulings.urgent, on="child_id", how="left")
        .join(rulings.gaps, on="child_id", how="left")
        .join(facts.school.drop("school_ref"), on="child_id", how="left")
        .join(facts.guardian, on="child_id", how="left")
        .sort("child_id")
    )


def ledger_table(full: pl.DataFrame) -> pl.DataFrame:
    """The migrant children in :data:`LEDGER_COLUMNS`; only a valid identity number is shown."""
    return (
        full.filter(pl.col("is_migrant"))
        .with_columns(id_number=pl.when(pl.col("id_status") == "valid").then(pl.col("id_number")))
        .select(LEDGER_COLUMNS)
    )


def flag_table(full: pl.DataFrame, gap_items: pl.DataFrame, ledger: pl.DataFrame) -> pl.DataFrame:
    """One row per flag raised, with ``in_ledger``."""
    parts = [
        full.filter(pl.col(col)).select(
            "child_id", flag=pl.lit(flag), reason=pl.col(reason), evidence=pl.col(evidence)
        )
        for col, flag, reason, evidence in STATUS_FLAGS
    ]
    parts.append(
        full.filter(pl.col("care_level") == "重点关爱").select(
            "child_id",
            flag=pl.lit("key_care"),
            reason=pl.col("care_reason"),
            evidence=pl.col("care_evidence"),
        )
    )
    parts.append(
        gap_items.select(
            "child_id",
            flag=pl.lit("service_gap"),
            reason=pl.concat_str(pl.lit("服务缺口："), pl.col("gap")),
            evidence="evidence",
        )
    )
    return (
        pl.concat([f.cast(FLAG_SCHEMA) for f in parts])
        .join(ledger.select("child_id", in_ledger=pl.lit(True)), on="child_id", how="left")
        .with_columns(pl.col("in_ledger").fill_null(False))
        .sort("child_id", "flag", "reason", "evidence", nulls_last=True)
    )


def review_table(facts: Facts, migrant: pl.DataFrame, vetoed_apart: pl.DataFrame | None) -> pl.DataFrame:
    """Children the data cannot decide, one row per child and reason code."""
    profiles, child_parents = facts.profiles, facts.child_parents
    parts = [
        migrant_review(profiles, migrant).with_columns(evidence=pl.lit(None, dtype=pl.Utf8)),
        parents_not_findable(profiles, child_parents, facts.visits),
        _parent_review(
            facts.parents,
            profiles,
            unmatched_name_hits(facts.named_events, child_parents),
            _ambiguous_rows(facts.ambiguous_events, child_parents),
        ),
        profiles.filter(pl.col("n_valid_ids") > 1).select(
            "child_id",
            reason_code=pl.lit("conflicting_child_ids"),
            reason=pl.lit("同一儿童关联到两个不同的有效身份证号：请核实匹配结果"),
            evidence=pl.lit(None, dtype=pl.Utf8),
        ),
    ]
    if vetoed_apart is not None:
        parts.append(renamed_or_twin_review(vetoed_apart, facts.record_refs))
    return (
        pl.concat([r.select(list(REVIEW_SCHEMA)).cast(REVIEW_SCHEMA) for r in parts])
        .unique(subset=["child_id", "reason_code"], keep="first", maintain_order=True)
        .sort("child_id", "reason_code")
    )


def assemble(facts: Facts, rulings: Rulings, vetoed_apart: pl.DataFrame | None) -> Decisions:
    """The stage's tables from the facts and the rulings."""
    full = profile_table(facts, rulings)
    ledger = ledger_table(full)
    return Decisions(
        profiles=full,
        ledger=ledger,
        flags=flag_table(full, rulings.gap_items, ledger),
        review=review_table(facts, rulings.migrant, vetoed_apart),
        parents=facts.parents.sort("child_id"),
        candidates=migrant_candidates(facts.profiles, rulings.migrant, vetoed_apart),
    )


def _ambiguous_rows(amb: pl.DataFrame, child_parents: pl.DataFrame) -> pl.DataFrame:
    """``child_id, event``: policy status rows whose number is one slip from two same-named people
    (``amb``: :func:`taizhang.rules.parent_status.ambiguous_events`), one of them this child's
    parent (matched to neither)."""
    frames = [
        amb.join(
            child_parents.select("child_id", person_id=f"{role}_person_id").drop_nulls("person_id"),
            on="person_id",
        ).select("child_id", "event")
        for role in ("father", "mother")
    ]
    return pl.concat(frames)


def _slip(events: pl.Expr) -> pl.Expr:
    """The events of a list that were tied to the parent by a slip of the number."""
    return events.list.eval(pl.element().filter(pl.element().struct.field("match").is_in(list(SLIP_MATCHES))))


def _uncounted_events(events: pl.DataFrame, minors: pl.DataFrame, code: str, reason: str) -> pl.DataFrame:
    """One review item per minor whose parents' status rows (``child_id, event``) were not counted."""
    return (
        events.join(minors, on="child_id", how="semi")
        .group_by("child_id")
        .agg(pl.col("event"))
        .select(
            "child_id",
            reason_code=pl.lit(code),
            reason=pl.lit(reason),
            evidence=evidence_json(pl.lit([]), events_of(pl.col("event"))),
        )
    )


def _parent_review(
    parents: pl.DataFrame, profiles: pl.DataFrame, name_hits: pl.DataFrame, ambiguous: pl.DataFrame
) -> pl.DataFrame:
    minors = profiles.filter(pl.col("age") < ADULT_AGE).select("child_id")
    p = parents.join(minors, on="child_id", how="semi")
    qualifies_f = pl.col("father_dead_or_missing") | pl.col("father_s8")
    qualifies_m = pl.col("mother_dead_or_missing") | pl.col("mother_s8")
    one_unknown = p.filter(
        (qualifies_f & pl.col("mother_person_id").is_null())
        | (qualifies_m & pl.col("father_person_id").is_null())
    ).select(
        "child_id",
        reason_code=pl.lit("one_parent_unknown"),
        reason=pl.lit("已知一方父母符合死亡、失踪或八类情形，另一方无法识别（无身份证号）：请补充核实"),
        evidence=evidence_json(
            refs_of(pl.col("father_evidence"), pl.col("mother_evidence")),
            events_of(
                pl.col("father_dm_events"),
                pl.col("father_s8_events"),
                pl.col("mother_dm_events"),
                pl.col("mother_s8_events"),
            ),
        ),
    )
    conflict = p.filter(pl.col("father_conflict") | pl.col("mother_conflict")).select(
        "child_id",
        reason_code=pl.lit("parent_conflict"),
        reason=pl.lit("不同来源记载的父亲或母亲身份证号不一致：请核实"),
        evidence=evidence_json(refs_of(pl.col("father_evidence"), pl.col("mother_evidence"))),
    )
    hits = _uncounted_events(
        name_hits,
        minors,
        "status_without_id_match",
        "有与父母同名的状态记录，但无法以身份证号确认为同一人：未计入，请核实",
    )
    slip_events = events_of(
        _slip(pl.col("father_dm_events")),
        _slip(pl.col("father_s8_events")),
        _slip(pl.col("mother_dm_events")),
        _slip(pl.col("mother_s8_events")),
    )
    any_event = pl.any_horizontal(
        pl.col(f"{role}_{kind}_events").list.len() > 0
        for role in ("father", "mother")
        for kind in ("dm", "s8")
    )
    slips = (
        p.filter(any_event)
        .with_columns(_slips=slip_events)
        .filter(pl.col("_slips").list.len() > 0)
        .select(
            "child_id",
            reason_code=pl.lit("status_matched_by_slip"),
            reason=pl.lit(
                "父母的状态记录身份证号与父母身份证号差一位（或相邻两位颠倒、出生日期不存在），姓名相同，"
                "已按同一人计入：请核实"
            ),
            evidence=evidence_json(
                refs_of(pl.col("father_evidence"), pl.col("mother_evidence")), pl.col("_slips")
            ),
        )
    )
    amb = _uncounted_events(
        ambiguous,
        minors,
        "status_ambiguous_match",
        "一条状态记录的身份证号与两位同名人员的身份证号都只差一位，无法确定是谁：未计入，请核实",
    )
    return pl.concat([one_unknown, conflict, hits, slips, amb])
