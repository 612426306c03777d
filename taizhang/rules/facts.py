"""The facts the policy rules read: each child's profile, its parents and their statuses, its visits.

Step one of the decide stage. Nothing here is policy: the records are joined to their
children and dated (:mod:`taizhang.rules.profile`), the parents resolved as people
(:mod:`taizhang.rules.parents`), the status rows evaluated and tied to parents and children
(:mod:`taizhang.rules.parent_status`), and the latest visit, school record, own conditions and the
guardian the county calls are taken per child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from taizhang.rules.buckets import sorted_rows_of
from taizhang.rules.care_level import child_conditions, latest_school
from taizhang.rules.columns import GUARDIAN_COLUMNS, RECORD_CHILD_COLUMNS, RECORD_COLUMNS, conform
from taizhang.rules.parent_status import (
    accepted,
    ambiguous_events,
    child_people,
    evaluate_events,
    match_events,
    name_only_events,
    parent_states,
    person_states,
    status_row_matches,
)
from taizhang.rules.parents import Resolver, link_parents
from taizhang.rules.profile import build_profiles, clinic_divisions, link_records, with_evidence_dates
from taizhang.rules.visits import latest_visits


@dataclass
class Facts:
    """What the records say of each child, as of the as-of date."""

    linked: pl.DataFrame  # every linked record with its child_id and dates (with_evidence_dates)
    record_refs: pl.DataFrame  # record_id, source, file, row_number of every record
    profiles: pl.DataFrame  # build_profiles: one row per child
    child_parents: pl.DataFrame  # link_parents, one row per profile (unknown parents filled in)
    parents: pl.DataFrame  # child_parents with each parent's counting statuses (parent_states)
    named_events: pl.DataFrame  # name_only_events: status rows a parent's name alone may point at
    ambiguous_events: pl.DataFrame  # ambiguous_events: status rows one slip from two people
    child_states: pl.DataFrame  # person_states of the children (person_id = child_id)
    visits: pl.DataFrame  # latest_visits
    school: pl.DataFrame  # latest_school
    conditions: pl.DataFrame  # child_conditions: the child's own 重病 / 重残 in force
    guardian: pl.DataFrame  # main_guardian


def main_guardian(guardians: pl.DataFrame, dated: pl.DataFrame) -> pl.DataFrame:
    """``child_id, guardian_name, guardian_phone, guardian_relation``: the guardian the county calls.

    From the most recent record naming a guardian with a phone (then without
    one), first guardian before second, parents named on birth certificates
    only when nothing else names anyone.
    """
    g = (
        conform(guardians, GUARDIAN_COLUMNS)
        .select("record_id", "file", "row_number", "role", "relation", "parent_role", "name", "phone")
        .filter(pl.col("name").is_not_null())
    )
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


@dataclass
class SharedFacts:
    """The facts that cross children, found once over the province before its children are taken
    bucket by bucket: a parent is a person of several children (siblings), a number with a typo is
    resolved against every mention of the number, and a status row is tied to one person among all
    the parents and children (a row one slip from two people is tied to neither)."""

    child_parents: pl.DataFrame  # link_parents: every child with a parent mention, by child_id
    named_events: pl.DataFrame  # name_only_events: status rows a parent's name alone may point at
    ambiguous_events: pl.DataFrame  # ambiguous_events: status rows one slip from two people
    parent_person_states: pl.DataFrame  # person_states of the parents
    child_states: pl.DataFrame  # person_states of the children (person_id = child_id)
    conditions: pl.DataFrame  # child_conditions of every child
    clinics: pl.DataFrame  # clinic_divisions of every clinic on the records


def shared_facts(
    records: pl.DataFrame,
    guardians: pl.DataFrame | pl.LazyFrame,
    status: pl.DataFrame,
    record_child: pl.DataFrame,
    as_of: date,
    *,
    resolver: Resolver | None = None,
    buckets: pl.DataFrame | None = None,
) -> SharedFacts:
    """The :class:`SharedFacts` (arguments as :func:`taizhang.rules.decide.decide`); of the records
    only ``record_id, id_status, id_number, name, clinic`` are read. ``buckets`` (``record_id,
    _bucket``) takes the children's parents a bucket at a time
    (:func:`taizhang.rules.parents.link_parents`)."""
    record_child = conform(record_child, RECORD_CHILD_COLUMNS)
    child_parents, people = link_parents(guardians, record_child, resolver, buckets)
    events = evaluate_events(status, as_of)
    parent_rows = status_row_matches(events, people)
    del people
    # The children as people: every linked record's number and name (the same rows as the records
    # joined to their children, without their other columns).
    identities = (
        records.select("record_id", "id_status", "id_number", "name")
        .join(record_child.select("record_id", "child_id"), on="record_id", how="inner")
        .filter(pl.col("child_id").is_not_null())
    )
    child_matches = match_events(events, child_people(identities))
    del identities
    matched = pl.concat([parent_rows.select("event_id"), child_matches.select("event_id")])
    return SharedFacts(
        child_parents=child_parents,
        named_events=name_only_events(events, matched, child_parents),
        ambiguous_events=ambiguous_events(parent_rows, events),
        parent_person_states=person_states(events, accepted(parent_rows)),
        child_states=person_states(events, child_matches),
        conditions=child_conditions(events, child_matches),
        clinics=clinic_divisions(records["clinic"]),
    )


def children_facts(
    shared: SharedFacts,
    records: pl.DataFrame,
    guardians: pl.DataFrame,
    record_child: pl.DataFrame,
    as_of: date,
    *,
    previous_ledger: pl.DataFrame | None = None,
) -> Facts:
    """The :class:`Facts` of the children of ``record_child`` (all of them, or one bucket), from
    their own records and guardians and the facts they share with other children."""
    record_child = conform(record_child, RECORD_CHILD_COLUMNS)
    # The records with their child and the dates each row gives: one copy of the records.
    linked = with_evidence_dates(link_records(records, record_child), as_of, shared.clinics)
    record_refs = conform(records, RECORD_COLUMNS).select("record_id", "source", "file", "row_number")
    del records
    profiles = build_profiles(record_refs, record_child, as_of, previous=previous_ledger, dated=linked)
    children = profiles.select("child_id")

    # the bucket's rows of the province's table (sorted by child): a slice, not a join over all
    child_parents = children.join(
        sorted_rows_of(shared.child_parents, "child_id", children["child_id"]), on="child_id", how="left"
    )
    for role in ("father", "mother"):
        child_parents = child_parents.with_columns(
            pl.col(f"{role}_known").fill_null("unknown"), pl.col(f"{role}_conflict").fill_null(False)
        )
    own = children.rename({"child_id": "person_id"})
    return Facts(
        linked=linked,
        record_refs=record_refs,
        profiles=profiles,
        child_parents=child_parents,
        parents=parent_states(child_parents, shared.parent_person_states),
        named_events=shared.named_events,
        ambiguous_events=shared.ambiguous_events,
        child_states=shared.child_states.join(own, on="person_id", how="semi"),
        visits=latest_visits(linked, as_of),
        school=latest_school(linked),
        conditions=shared.conditions.join(children, on="child_id", how="semi"),
        guardian=main_guardian(guardians, linked),
    )
