"""Stage 4: apply every policy rule to the linked records and assemble the decision tables.

``decide`` is pure: frames in, frames out, nothing logged. The tables:

- ``profiles``: every linked child, its survivorship profile (with sources),
  and every decision with its check code (``migrant_check``) or reason;
- ``ledger``: migrant children only, in the columns of docs/outputs.md
  plus the optional ledger columns the emit stage knows;
- ``flags``: one row per flag raised (``suspected_orphan``,
  ``suspected_unsupported``, ``refer_orphan``, ``urgent``, ``key_care``,
  ``service_gap``) with a Chinese reason and JSON evidence naming the rows and
  status events behind it; ``in_ledger`` says whether the child is on the
  migrant ledger;
- ``review``: children the data cannot decide (reason code, Chinese reason,
  evidence when there is any);
- ``parents``: each child's resolved father and mother with their counting
  statuses (sensitive statuses masked) and evidence;
- ``candidates``: children the extracts suggest are migrant children but cannot
  confirm (初步筛查), with what is missing and where to look; not in ``ledger``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from taizhang.period import Period
from taizhang.rules._frames import (
    GUARDIAN_COLUMNS,
    RECORD_CHILD_COLUMNS,
    RECORD_COLUMNS,
    conform,
    where_flagged,
)
from taizhang.rules.candidates import migrant_candidates
from taizhang.rules.care_level import care_levels, child_conditions, latest_school
from taizhang.rules.evidence import events_of, evidence_json, refs_of
from taizhang.rules.migrant import migrant_decisions, migrant_review
from taizhang.rules.orphan import ADULT_AGE, parents_not_findable, suspected_orphans
from taizhang.rules.parent_status import (
    SLIP_MATCHES,
    accepted,
    child_people,
    evaluate_events,
    match_events,
    parent_states,
    person_states,
    status_row_matches,
    unmatched_name_hits,
)
from taizhang.rules.parents import Resolver, link_parents
from taizhang.rules.profile import build_profiles, link_records, with_evidence_dates
from taizhang.rules.renamed_or_twin import renamed_or_twin_review
from taizhang.rules.service_gaps import gaps_per_child, service_gap_items
from taizhang.rules.unsupported import suspected_unsupported
from taizhang.rules.urgent import urgent_cases
from taizhang.rules.visits import latest_visits

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


@dataclass
class Decisions:
    """The decide stage's tables (see the module docstring)."""

    profiles: pl.DataFrame
    ledger: pl.DataFrame
    flags: pl.DataFrame
    review: pl.DataFrame
    parents: pl.DataFrame
    candidates: pl.DataFrame


def main_guardian(guardians: pl.DataFrame, dated: pl.DataFrame) -> pl.DataFrame:
    """``child_id, guardian_name, guardian_phone, guardian_relation``: the guardian the county calls.

    From the most recent record naming a guardian with a phone (then without
    one), first guardian before second, parents named on birth certificates
    only when nothing else names anyone.
    """
    g = conform(guardians, GUARDIAN_COLUMNS).filter(pl.col("name").is_not_null())
    rec = dated.select("record_id", "child_id", "evidence_date", "_rank")
    role_rank = pl.col("role").replace_strict(
        {"guardian1": 0, "guardian2": 1, "mother": 2, "father": 3}, default=4, return_dtype=pl.Int32
    )
    return (
        g.join(rec, on="record_id", how="inner")
        .with_columns(_phone=pl.col("phone").is_null().cast(pl.Int8), _role=role_rank)
        .sort(
            ["child_id", "_phone", "evidence_date", "_rank", "_role", "file", "row_number"],
            descending=[False, False, True, False, False, False, False],
            nulls_last=True,
        )
        .group_by("child_id", maintain_order=True)
        .first()
        .select(
            "child_id",
            guardian_name="name",
            guardian_phone="phone",
            guardian_relation=pl.coalesce(
                pl.col("relation"),
                pl.col("parent_role").replace_strict({"father": "父亲", "mother": "母亲"}, default=None),
            ),
        )
    )


def _ambiguous_rows(rows: pl.DataFrame, events: pl.DataFrame, child_parents: pl.DataFrame) -> pl.DataFrame:
    """``child_id, event``: policy status rows whose number is one slip from two same-named people,
    one of them this child's parent (matched to neither)."""
    amb = rows.filter(pl.col("match") == "ambiguous").join(
        events.filter(pl.col("kind").is_not_null()).select("event_id", "event"), on="event_id"
    )
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


def decide(
    records: pl.DataFrame,
    guardians: pl.DataFrame,
    status: pl.DataFrame,
    record_child: pl.DataFrame,
    as_of: date | None = None,
    *,
    period: Period | None = None,
    resolver: Resolver | None = None,
    divisions: pl.DataFrame | None = None,
    previous_ledger: pl.DataFrame | None = None,
    vetoed_apart: pl.DataFrame | None = None,
) -> Decisions:
    """All policy decisions as of ``as_of`` (or ``period.as_of``) over the linked Stage 2 tables.

    ``resolver`` swaps the parent-resolution seam (see :mod:`taizhang.rules.parents`);
    ``divisions`` replaces the province's division list (central urban districts);
    ``previous_ledger`` (``child_id``, ``birth_date``, optionally ``residence_county``,
    ``residence_since``) is last half-year's ledger: its birth dates stand in for children seen
    again whose records no longer carry one, and it dates the presence of a child still living in
    the same county. ``vetoed_apart``
    (``l, r, child_id_l, child_id_r``: pairs of records the linker's rename veto kept apart) lists
    both children for review.
    """
    if as_of is None:
        if period is None:
            raise ValueError("decide needs as_of or period")
        as_of = period.as_of
    record_child = conform(record_child, RECORD_CHILD_COLUMNS)
    guardians = conform(guardians, GUARDIAN_COLUMNS).select(list(GUARDIAN_COLUMNS))
    # ``linked``: the records with their child and the dates each row gives (one copy of them)
    linked = dated = with_evidence_dates(link_records(records, record_child), as_of)
    record_refs = conform(records, RECORD_COLUMNS).select("record_id", "source", "file", "row_number")
    del records
    profiles = build_profiles(record_refs, record_child, as_of, previous=previous_ledger, dated=dated)

    child_parents, people = link_parents(guardians, record_child, resolver)
    child_parents = profiles.select("child_id").join(child_parents, on="child_id", how="left")
    for role in ("father", "mother"):
        child_parents = child_parents.with_columns(
            pl.col(f"{role}_known").fill_null("unknown"), pl.col(f"{role}_conflict").fill_null(False)
        )
    events = evaluate_events(status, as_of)
    parent_rows = status_row_matches(events, people)
    parent_matches = accepted(parent_rows)
    states = person_states(events, parent_matches)
    parents = parent_states(child_parents, states)
    child_matches = match_events(events, child_people(linked))
    child_states = person_states(events, child_matches)

    orphans = suspected_orphans(parents, profiles)
    unsup = suspected_unsupported(parents, profiles, orphans, child_states)
    migrant = migrant_decisions(profiles, as_of, divisions)
    visits = latest_visits(linked, as_of)
    school = latest_school(linked)
    conditions = child_conditions(events, child_matches)
    # The rows and events behind a status flag, for the key-care reasons of the flagged children.
    status_flags = where_flagged(
        orphans.join(unsup, on="child_id")
        .join(
            parents.select(
                "child_id",
                "father_evidence",
                "mother_evidence",
                "father_dm_events",
                "father_s8_events",
                "mother_dm_events",
                "mother_s8_events",
            ),
            on="child_id",
            how="left",
        )
        .join(child_states.select(child_id="person_id", _hiv_events="hiv_events"), on="child_id", how="left"),
        pl.col("suspected_orphan") | pl.col("suspected_unsupported") | pl.col("refer_orphan"),
        status_refs=refs_of(pl.col("father_evidence"), pl.col("mother_evidence")),
        status_events=events_of(
            pl.col("father_dm_events"),
            pl.col("father_s8_events"),
            pl.col("mother_dm_events"),
            pl.col("mother_s8_events"),
            pl.col("_hiv_events"),
        ),
    ).select(*orphans.columns, *unsup.columns[1:], "status_refs", "status_events")
    care = care_levels(profiles, visits, school, conditions, status_flags)
    urgent = urgent_cases(profiles, visits)
    disabled = pl.concat(
        [
            visits.filter(pl.col("special").list.contains("残疾")).select("child_id"),
            conditions.filter(pl.col("reason") == "残疾").select("child_id"),
        ]
    )
    gap_items = service_gap_items(profiles, linked, disabled, as_of)
    gaps = gaps_per_child(profiles, gap_items)
    guardian = main_guardian(guardians, dated)

    full = (
        profiles.join(migrant, on="child_id", how="left")
        .join(status_flags.drop("status_refs", "status_events"), on="child_id", how="left")
        .join(care, on="child_id", how="left")
        .join(urgent, on="child_id", how="left")
        .join(gaps, on="child_id", how="left")
        .join(school.drop("school_ref"), on="child_id", how="left")
        .join(guardian, on="child_id", how="left")
        .sort("child_id")
    )
    ledger = (
        full.filter(pl.col("is_migrant"))
        .with_columns(id_number=pl.when(pl.col("id_status") == "valid").then(pl.col("id_number")))
        .select(LEDGER_COLUMNS)
    )

    in_ledger = ledger.select("child_id", in_ledger=pl.lit(True))
    flag_parts = [
        full.filter(pl.col(col)).select(
            "child_id", flag=pl.lit(flag), reason=pl.col(reason), evidence=pl.col(evidence)
        )
        for col, flag, reason, evidence in (
            ("suspected_orphan", "suspected_orphan", "orphan_reason", "orphan_evidence"),
            ("suspected_unsupported", "suspected_unsupported", "unsupported_reason", "unsupported_evidence"),
            ("refer_orphan", "refer_orphan", "refer_orphan_reason", "refer_orphan_evidence"),
            ("urgent", "urgent", "urgent_reason", "urgent_evidence"),
        )
    ]
    flag_parts.append(
        full.filter(pl.col("care_level") == "重点关爱").select(
            "child_id",
            flag=pl.lit("key_care"),
            reason=pl.col("care_reason"),
            evidence=pl.col("care_evidence"),
        )
    )
    flag_parts.append(
        gap_items.select(
            "child_id",
            flag=pl.lit("service_gap"),
            reason=pl.concat_str(pl.lit("服务缺口："), pl.col("gap")),
            evidence="evidence",
        )
    )
    flags = (
        pl.concat([f.cast(FLAG_SCHEMA) for f in flag_parts])
        .join(in_ledger, on="child_id", how="left")
        .with_columns(pl.col("in_ledger").fill_null(False))
        .sort("child_id", "flag", "reason", "evidence", nulls_last=True)
    )

    review_parts = [
        migrant_review(profiles, migrant).with_columns(evidence=pl.lit(None, dtype=pl.Utf8)),
        parents_not_findable(profiles, child_parents, visits),
        _parent_review(
            parents,
            profiles,
            unmatched_name_hits(
                events,
                pl.concat([parent_rows.select("event_id"), child_matches.select("event_id")]),
                child_parents,
            ),
            _ambiguous_rows(parent_rows, events, child_parents),
        ),
        profiles.filter(pl.col("n_valid_ids") > 1).select(
            "child_id",
            reason_code=pl.lit("conflicting_child_ids"),
            reason=pl.lit("同一儿童关联到两个不同的有效身份证号：请核实匹配结果"),
            evidence=pl.lit(None, dtype=pl.Utf8),
        ),
    ]
    if vetoed_apart is not None:
        review_parts.append(renamed_or_twin_review(vetoed_apart, record_refs))
    review = (
        pl.concat([r.select(list(REVIEW_SCHEMA)).cast(REVIEW_SCHEMA) for r in review_parts])
        .unique(subset=["child_id", "reason_code"], keep="first", maintain_order=True)
        .sort("child_id", "reason_code")
    )
    return Decisions(
        profiles=full,
        ledger=ledger,
        flags=flags,
        review=review,
        parents=parents.sort("child_id"),
        candidates=migrant_candidates(profiles, migrant, vetoed_apart),
    )
