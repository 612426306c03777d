"""The status of each parent (and of the child itself) as of the period's as-of date.

What counts is defined beside the rule that uses it: dead or declared missing in
:mod:`taizhang.rules.orphan`, the eight situations (with their severity and duration tests) in
:mod:`taizhang.rules.unsupported`, the five situations of the Jilin group in
:mod:`taizhang.rules.refer_orphan`. This module applies them to the status rows and ties the
rows to people.

An event is in force when ``start <= as_of`` and (``end`` is empty or ``end >
as_of``). A reported event without a start date (departments often leave the
date of death empty) is taken as in force: the extract reports it as of its
compilation; the evidence shows the empty start for the county to check.
失联 and the custodial terms need their start: 失联's 6 months run from the
police report, and a term can only be shown to have begun by its date.
Each event gets:

- ``kind``: ``dead_or_missing`` (死亡, 宣告死亡, 宣告失踪, 失踪 by a court),
  ``s8`` (the eight situations, after the severity and duration tests), ``hiv``
  (艾滋病病毒感染: only of the child, for the Jilin 参照孤儿保障 group), or null;
- ``r5``: the five situations of the Jilin notice's 参照孤儿保障 group
  (遣送出境, 服刑在押, 强制隔离戒毒, 限制人身自由, 撤销监护资格);
- ``counts`` and, when it does not, ``not_counted`` (a code saying why).

``status_label`` is what may be shown: 艾滋病病毒感染 becomes 特殊疾病（已脱敏）.

Events are matched to resolved people by ``sql/decide_status_matches.sql``, as
set operations (blocked on the name, then the numbers compared): the same
normalised number (a 15-digit number is already in its 18-digit form); or, under
the same name, a number one slip away (one digit, two adjacent digits swapped,
or a birth date that cannot exist such as month 13) when one of the two numbers
is invalid. Such a match counts, says so in the evidence (``match``) and is
listed for review; a row whose slips name two people is matched to neither and
listed for review. A namesake with another valid number, even one digit off,
never matches: a valid number is a person.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.masking import MASKED_TERM, SENSITIVE_TERM
from taizhang.parsers.id_numbers import check_digit, clean_id_text
from taizhang.rules.columns import STATUS_COLUMNS, conform
from taizhang.rules.orphan import DEAD_OR_MISSING, dead_or_missing, declared_by_court
from taizhang.rules.refer_orphan import FIVE_SITUATIONS
from taizhang.rules.run_model import run_sql
from taizhang.rules.sorted_lists import sorted_values
from taizhang.rules.unsupported import (
    EIGHT_SITUATION_STATUSES,
    TERM_STATUSES,
    eight_situations,
    long_term,
    lost_long,
    severe_disability,
)
from taizhang.rules.usable_ids import usable_id

# Matches by a slip of the number (same name): counted, shown in the evidence and listed for review.
SLIP_MATCHES = ("one_digit", "transposition", "impossible_date")


def mask_status(status: pl.Expr) -> pl.Expr:
    """The status as it may be shown: the one sensitive category replaced by the masked label."""
    return pl.when(status == SENSITIVE_TERM).then(pl.lit(MASKED_TERM)).otherwise(status)


def evaluate_events(status: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Every status event with ``event_id``, ``status_label``, ``kind``, ``r5``, ``counts``, ``not_counted``
    and ``event`` (the evidence struct ``{file, row_number, status, start, end}``, status masked)."""
    ev = conform(status, STATUS_COLUMNS).sort("file", "row_number")
    # The standardizer keeps the sensitive category only as a Boolean beside the masked term.
    sensitive = pl.col("status_sensitive").fill_null(False) | pl.col("status").is_in(
        [SENSITIVE_TERM, MASKED_TERM]
    )
    ev = ev.with_columns(status=pl.when(sensitive).then(pl.lit(MASKED_TERM)).otherwise(pl.col("status")))
    ev = ev.with_row_index("event_id").with_columns(pl.col("event_id").cast(pl.Int64))
    start, end, st = pl.col("start_date"), pl.col("end_date"), pl.col("status")
    severe = severe_disability().fill_null(False)
    court = declared_by_court()
    term_ok, lost_ok = long_term(), lost_long(as_of)
    dm = dead_or_missing()
    s8 = eight_situations(as_of)
    kind = (
        pl.when(dm)
        .then(pl.lit("dead_or_missing"))
        .when(s8)
        .then(pl.lit("s8"))
        .when(st == MASKED_TERM)
        .then(pl.lit("hiv"))
    )
    not_counted = (
        pl.when(start.is_null() & st.is_in(["失联", *TERM_STATUSES]))
        .then(pl.lit("no_start_date"))
        .when(start > as_of)
        .then(pl.lit("starts_after_as_of"))
        .when(end.is_not_null() & (end <= as_of))
        .then(pl.lit("ended_before_as_of"))
        .when((st == "失踪") & ~court)
        .then(pl.lit("missing_not_declared_by_court"))
        .when((st == "重残") & ~severe)
        .then(pl.lit("disability_not_severe"))
        .when(st.is_in(list(TERM_STATUSES)) & ~term_ok)
        .then(pl.lit("term_under_6_months"))
        .when((st == "失联") & ~lost_ok)
        .then(pl.lit("lost_contact_under_6_months"))
        .when(kind.is_null())
        .then(pl.lit("not_a_policy_status"))
    )
    return ev.with_columns(
        status_label=mask_status(st),
        kind=kind,
        r5=st.is_in(list(FIVE_SITUATIONS)) & s8,
        not_counted=not_counted,
    ).with_columns(
        counts=pl.col("not_counted").is_null(),
        in_force=(start.is_null() | (start <= as_of)) & (end.is_null() | (end > as_of)),
        event=pl.struct(
            pl.col("file"),
            pl.col("row_number"),
            pl.col("status_label").alias("status"),
            pl.col("start_date").alias("start"),
            pl.col("end_date").alias("end"),
            pl.lit(None, dtype=pl.Utf8).alias("match"),
        ),
    )


def _event_numbers(events: pl.DataFrame) -> pl.Expr:
    """The number of each event as 18 characters: the standardized one, or, for a number whose birth
    date cannot exist (``malformed``), its cleaned digits (a 15-digit one in its 18-digit form)."""
    text = clean_id_text(pl.col("id_raw"))
    body15 = text.str.slice(0, 6) + pl.lit("19") + text.str.slice(6, 9)
    raw18 = (
        pl.when(text.str.contains(r"^\d{17}[\dX]$"))
        .then(text)
        .when(text.str.contains(r"^\d{15}$"))
        .then(body15 + check_digit(body15))
    )
    usable = pl.col("id_status").is_in(["valid", "bad_check"])
    return pl.when(usable).then(pl.col("id_number")).when(pl.col("id_status") == "malformed").then(raw18)


def status_row_matches(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """``event_id, person_id, match``: every person each event may be about, with how it was tied
    (``exact``, a slip in :data:`SLIP_MATCHES`, or ``ambiguous`` when slips name two people)."""
    if events.is_empty() or people.is_empty():
        return pl.DataFrame(schema={"event_id": pl.Int64, "person_id": pl.Utf8, "match": pl.Utf8})
    ev = events.select("event_id", id_number=_event_numbers(events), id_status="id_status", name="name")
    ppl = people.select("person_id", "id_status", "names", "ids")
    out = run_sql("decide_status_matches", events=ev, people=ppl)
    return out.with_columns(
        pl.col("event_id").cast(pl.Int64), pl.col("person_id").cast(pl.Utf8), pl.col("match").cast(pl.Utf8)
    )


def accepted(matches: pl.DataFrame) -> pl.DataFrame:
    """The matches that tie an event to its person (all but ``ambiguous``)."""
    return matches.filter(pl.col("match") != "ambiguous")


def match_events(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """``event_id, person_id, match``: the resolved person each event is about (exact or one slip)."""
    return accepted(status_row_matches(events, people))


def person_states(events: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """Per matched person: ``dead_or_missing``, ``s8`` (and not dead or missing), ``r5``, ``hiv``,
    the counting statuses, their evidence structs by kind (in event order), and the events seen but
    not counted (``ignored``)."""
    # Sorted by event so every aggregated list is in event (file, row) order; the evidence of each
    # event says how it was tied to the person.
    ev = (
        matches.join(events, on="event_id", how="inner")
        .with_columns(event=pl.col("event").struct.with_fields(pl.col("match")))
        .sort("person_id", "event_id")
    )
    counting = pl.col("counts") & pl.col("kind").is_not_null()
    agg = ev.group_by("person_id", maintain_order=True).agg(
        dead_or_missing=(counting & (pl.col("kind") == "dead_or_missing")).any(),
        s8=(counting & (pl.col("kind") == "s8")).any(),
        r5=(counting & pl.col("r5")).any(),
        hiv=(counting & (pl.col("kind") == "hiv")).any(),
        statuses=pl.col("status_label").filter(counting).unique().sort(),
        dm_events=pl.col("event").filter(counting & (pl.col("kind") == "dead_or_missing")),
        s8_events=pl.col("event").filter(counting & (pl.col("kind") == "s8")),
        hiv_events=pl.col("event").filter(counting & (pl.col("kind") == "hiv")),
        ignored=pl.col("event").filter(~counting),
    )
    return agg.with_columns(
        s8=pl.col("s8") & ~pl.col("dead_or_missing"),
        r5=pl.col("r5") & ~pl.col("dead_or_missing"),
    ).sort("person_id")


def parent_states(child_parents: pl.DataFrame, states: pl.DataFrame) -> pl.DataFrame:
    """``child_parents`` with ``<role>_dead_or_missing``, ``_s8``, ``_r5``, ``_statuses``,
    ``_dm_events`` and ``_s8_events`` (evidence structs of the counting events)."""
    out = child_parents
    for role in ("father", "mother"):
        part = states.select(
            pl.col("person_id").alias(f"{role}_person_id"),
            *(
                pl.col(c).alias(f"{role}_{c}")
                for c in ("dead_or_missing", "s8", "r5", "statuses", "dm_events", "s8_events")
            ),
        )
        out = out.join(part, on=f"{role}_person_id", how="left").with_columns(
            pl.col(f"{role}_dead_or_missing", f"{role}_s8", f"{role}_r5").fill_null(False)
        )
    return out


def child_people(linked: pl.DataFrame) -> pl.DataFrame:
    """The children as people for event matching: person_id = child_id, with their numbers and names."""
    usable = usable_id()
    rows = linked.select("child_id", "id_status", "id_number", "name")
    # only the children with a usable number are people the status rows can name
    ids = sorted_values(rows.filter(usable), "child_id", "id_number", "ids")
    return (
        ids.join(
            rows.group_by("child_id").agg(valid=(pl.col("id_status") == "valid").any()),
            on="child_id",
            how="left",
        )
        .join(sorted_values(rows, "child_id", "name", "names"), on="child_id", how="left")
        .select(
            person_id="child_id",
            id_status=pl.when(pl.col("valid")).then(pl.lit("valid")).otherwise(pl.lit("bad_check")),
            names=pl.col("names").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            ids="ids",
        )
        .sort("person_id")
    )


# A name alone points at a parent only when few parents in the province carry it. A county
# analyst checks each listed child by hand; a status row under a name that more parents share
# than that identifies none of them (with common names, thousands of children would each be
# listed for one row). The row stays in the status extract, whose liaison sees its number
# problem in the validation report.
NAMESAKE_LIMIT = 5

_POLICY_STATUSES = [*DEAD_OR_MISSING, "失踪", *EIGHT_SITUATION_STATUSES]


def name_only_events(
    events: pl.DataFrame, matched: pl.DataFrame, child_parents: pl.DataFrame
) -> pl.DataFrame:
    """``name, usable, event``: the policy-relevant status rows no number tied to anyone
    (``matched``: ``event_id`` of the rows tied to a parent or child) that may still be a
    parent's, by name: a row without a usable number may be any parent of that name, one with a
    number only a parent known by name alone (a parent with a number is not that person). Only
    rows whose name at most :data:`NAMESAKE_LIMIT` such parents carry, counted over every child
    (``child_parents`` of the province): a parent known by number is one person however many
    children name him, one known by name alone is counted once per child.
    """
    usable = usable_id()
    ev = (
        events.join(matched.select("event_id"), on="event_id", how="anti")
        .filter(pl.col("name").is_not_null() & pl.col("status").is_in(_POLICY_STATUSES))
        .select("name", "event", usable=usable)
    )
    people = pl.concat(
        [
            child_parents.select(
                name=pl.col(f"{role}_name"),
                person=pl.coalesce(pl.col(f"{role}_person_id"), pl.lit(f"{role}:") + pl.col("child_id")),
                name_only=pl.col(f"{role}_known") == "name_only",
            )
            for role in ("father", "mother")
        ]
    ).filter(pl.col("name").is_not_null())
    namesakes = people.group_by("name").agg(
        any_parent=pl.col("person").n_unique(),
        name_only=pl.col("person").filter(pl.col("name_only")).n_unique(),
    )
    return (
        ev.join(namesakes, on="name", how="inner")
        .filter(
            pl.when(pl.col("usable"))
            .then(pl.col("name_only"))
            .otherwise(pl.col("any_parent"))
            .is_between(1, NAMESAKE_LIMIT)
        )
        .select("name", "usable", "event")
    )


def ambiguous_events(rows: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """``person_id, event``: the policy status rows whose number is one slip from two same-named
    people (``rows``: :func:`status_row_matches`, ``match = ambiguous``), under each of them."""
    return (
        rows.filter(pl.col("match") == "ambiguous")
        .join(events.filter(pl.col("kind").is_not_null()).select("event_id", "event"), on="event_id")
        .select("person_id", "event")
    )


def unmatched_name_hits(named: pl.DataFrame, child_parents: pl.DataFrame) -> pl.DataFrame:
    """Status rows that name a child's parent by name but cannot be tied by number
    (``named``: :func:`name_only_events`). They do not count, and go to review
    (``status_without_id_match``): ``child_id, parent_role, event``.
    """
    frames = []
    for role in ("father", "mother"):
        cp = child_parents.select(
            "child_id",
            pname=pl.col(f"{role}_name"),
            known=pl.col(f"{role}_known"),
        ).filter(pl.col("pname").is_not_null())
        for events_part, parents_part in (
            (named.filter(~pl.col("usable")), cp),
            (named.filter(pl.col("usable")), cp.filter(pl.col("known") == "name_only")),
        ):
            hit = events_part.join(parents_part, left_on="name", right_on="pname", how="inner")
            frames.append(hit.select("child_id", pl.lit(role).alias("parent_role"), "event"))
    return pl.concat(frames).sort("child_id", "parent_role")
