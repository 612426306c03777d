"""Stage 4: the facts of each child, the policy rules over them, and the decision tables.

:func:`decide` reads as its three steps: the facts (no policy: what crosses children once,
:func:`taizhang.rules.facts.shared_facts`, then each bucket of children's profiles, parents and
their statuses, :func:`taizhang.rules.facts.children_facts`), :func:`apply_rules` (the policy
rules, one module each, citing their texts) and :func:`taizhang.rules.assemble.assemble` (ledger,
flags and review), the last two bucket by bucket.

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

from collections.abc import Callable
from datetime import date

import polars as pl

from taizhang.period import Period
from taizhang.rules.assemble import REVIEW_SCHEMA, Decisions, Rulings, assemble
from taizhang.rules.buckets import (
    bucket_of,
    by_bucket,
    child_buckets,
    concat_buckets,
    split_batches,
    take_bucket,
)
from taizhang.rules.candidates import settled_by_partner
from taizhang.rules.care_level import care_levels
from taizhang.rules.columns import GUARDIAN_COLUMNS, RECORD_CHILD_COLUMNS, RECORD_COLUMNS, conform
from taizhang.rules.evidence import events_of, refs_of
from taizhang.rules.facts import Facts, children_facts, shared_facts
from taizhang.rules.migrant import migrant_decisions
from taizhang.rules.orphan import suspected_orphans
from taizhang.rules.parents import Resolver
from taizhang.rules.refer_orphan import refer_orphans
from taizhang.rules.renamed_or_twin import renamed_or_twin_review
from taizhang.rules.service_gaps import gaps_per_child, service_gap_items
from taizhang.rules.unsupported import suspected_unsupported
from taizhang.rules.urgent import urgent_cases
from taizhang.rules.where_flagged import where_flagged

__all__ = ["BUCKET_CHILDREN", "Decisions", "apply_rules", "decide"]

# Children decided at once by the stage (``decide(bucket_children=...)``): the memory of a bucket's
# records, profiles and rules is bounded by it whatever the size of the province.
BUCKET_CHILDREN = 100_000

# Rows of the records and guardians read at a time into the buckets: each batch leaves a piece in
# every bucket, so the pieces grow with batches times buckets. The reader's own batches (a parquet
# row group, and the remainder of one: 53,000 rows on average) made 1,872 pieces of the records at
# 2,500,000 children; batches of this size make 390.
BATCH_ROWS = 500_000

# The tables with the rows of each child only (``decide(sink=...)`` takes them bucket by bucket).
PER_CHILD_TABLES = ("profiles", "ledger", "flags", "parents")

# The columns of the records the facts that cross children read (status rows tied to the children).
IDENTITY_COLUMNS = ("record_id", "id_status", "id_number", "name", "clinic")


def _status_flags(facts: Facts) -> pl.DataFrame:
    """The orphan, unsupported and 参照孤儿保障 decisions of every child, and for the flagged
    ones the rows and events behind them (``status_refs``, ``status_events``) for the care rule."""
    parents, profiles = facts.parents, facts.profiles
    orphans = suspected_orphans(parents, profiles)
    decided = (
        orphans.join(suspected_unsupported(parents, profiles, orphans), on="child_id")
        .join(refer_orphans(parents, profiles, facts.child_states), on="child_id")
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
        .join(
            facts.child_states.select(child_id="person_id", _hiv_events="hiv_events"),
            on="child_id",
            how="left",
        )
    )
    return where_flagged(
        decided,
        pl.col("suspected_orphan") | pl.col("suspected_unsupported") | pl.col("refer_orphan"),
        status_refs=refs_of(pl.col("father_evidence"), pl.col("mother_evidence")),
        status_events=events_of(
            pl.col("father_dm_events"),
            pl.col("father_s8_events"),
            pl.col("mother_dm_events"),
            pl.col("mother_s8_events"),
            pl.col("_hiv_events"),
        ),
    ).drop(
        "father_evidence",
        "mother_evidence",
        "father_dm_events",
        "father_s8_events",
        "mother_dm_events",
        "mother_s8_events",
        "_hiv_events",
    )


def apply_rules(facts: Facts, as_of: date, divisions: pl.DataFrame | None = None) -> Rulings:
    """Every policy rule over the facts: migrant, orphan, unsupported, 参照孤儿保障, care level,
    urgent cases and service gaps."""
    status_flags = _status_flags(facts)
    care = care_levels(facts.profiles, facts.visits, facts.school, facts.conditions, status_flags)
    disabled = pl.concat(
        [
            facts.visits.filter(pl.col("special").list.contains("残疾")).select("child_id"),
            facts.conditions.filter(pl.col("reason") == "残疾").select("child_id"),
        ]
    )
    gap_items = service_gap_items(facts.profiles, facts.linked, disabled, as_of)
    return Rulings(
        migrant=migrant_decisions(facts.profiles, as_of, divisions),
        status_flags=status_flags.drop("status_refs", "status_events"),
        care=care,
        urgent=urgent_cases(facts.profiles, facts.visits),
        gap_items=gap_items,
        gaps=gaps_per_child(facts.profiles, gap_items),
    )


def decide(
    records: pl.DataFrame | pl.LazyFrame,
    guardians: pl.DataFrame | pl.LazyFrame,
    status: pl.DataFrame,
    record_child: pl.DataFrame,
    as_of: date | None = None,
    *,
    period: Period | None = None,
    resolver: Resolver | None = None,
    divisions: pl.DataFrame | None = None,
    previous_ledger: pl.DataFrame | None = None,
    vetoed_apart: pl.DataFrame | None = None,
    bucket_children: int | None = None,
    sink: Callable[[str, pl.DataFrame], None] | None = None,
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

    ``bucket_children`` bounds the memory: the facts that cross children (parents, status rows,
    see :class:`taizhang.rules.facts.SharedFacts`) are found once, then the children are taken in
    buckets of at most that many, each bucket's records, profiles and rules held only while it is
    decided. Every rule decides a child from its own records and the shared facts, so the tables
    are the same whatever the bucket size; the two items that pair children (the rename veto's
    review and candidates) are settled over all children at the end.

    ``records`` and ``guardians`` may be lazy: only the records' identity columns are read before
    the parents are resolved, and both are then read batch by batch into their buckets.
    ``sink`` (a table name and a bucket's rows) takes the tables of :data:`PER_CHILD_TABLES` bucket
    by bucket, in child id order, as they are decided, so that they are not all held at once; the
    decisions returned then hold them empty.
    """
    if as_of is None:
        if period is None:
            raise ValueError("decide needs as_of or period")
        as_of = period.as_of
    record_child = conform(record_child, RECORD_CHILD_COLUMNS)
    records, guardians = records.lazy(), guardians.lazy()
    present = set(records.collect_schema().names())
    if not record_child["record_id"].is_unique().all():
        bucket_children = None  # a record of two children (not what the linker writes) stays whole
    buckets = child_buckets(record_child, bucket_children)
    # What crosses children first, from the records' identity columns only: the records themselves
    # are read (when ``records`` is lazy) once the parents are resolved; the guardians are read
    # there in parts, and again by bucket below.
    shared = shared_facts(
        _columns(records, present, IDENTITY_COLUMNS),
        guardians,
        status,
        record_child,
        as_of,
        resolver=resolver,
        buckets=buckets,
    )
    renamed, paired = None, None
    if vetoed_apart is not None:
        refs = _columns(records, present, ("record_id", "source", "file", "row_number"))
        renamed = renamed_or_twin_review(vetoed_apart, refs).select(list(REVIEW_SCHEMA)).cast(REVIEW_SCHEMA)
        del refs
        paired = pl.concat([vetoed_apart.select(child_id=c) for c in ("child_id_l", "child_id_r")]).cast(
            pl.Utf8
        )
    # The records and guardians read again batch by batch into their buckets: neither is held whole
    # beside its buckets, and a bucket's rows are let go once it is decided.
    record_parts = split_batches(
        records.collect_batches(maintain_order=True, chunk_size=BATCH_ROWS),
        bucket_of(records.select("record_id").collect()["record_id"], buckets),
    )
    guardian_parts = split_batches(
        guardians.collect_batches(maintain_order=True, chunk_size=BATCH_ROWS),
        bucket_of(guardians.select("record_id").collect()["record_id"], buckets),
    )
    del records, guardians
    child_parts = by_bucket(record_child, buckets)
    del record_child, buckets

    tables: dict[str, list[pl.DataFrame]] = {name: [] for name in Decisions.__dataclass_fields__}
    empty: dict[str, pl.DataFrame] = {}
    partners = []
    for key in sorted(child_parts):
        facts = children_facts(
            shared,
            conform(take_bucket(record_parts, key, pl.DataFrame(schema=RECORD_COLUMNS)), RECORD_COLUMNS),
            conform(
                take_bucket(guardian_parts, key, pl.DataFrame(schema=GUARDIAN_COLUMNS)), GUARDIAN_COLUMNS
            ).select(list(GUARDIAN_COLUMNS)),
            child_parts.pop(key),
            as_of,
            previous_ledger=previous_ledger,
        )
        rulings = apply_rules(facts, as_of, divisions)
        # The records joined to their children are read by the rules only: the assembly does not
        # hold them (the bucket's largest frame) beside the tables it builds.
        facts.linked = facts.linked.clear()
        decided = assemble(facts, rulings, None)
        del facts, rulings
        if paired is not None:
            partners.append(decided.profiles.join(paired, on="child_id", how="semi"))
        for name in tables:
            frame = getattr(decided, name)
            if sink is not None and name in PER_CHILD_TABLES:
                empty[name] = frame.clear()
                sink(name, frame)
            else:
                tables[name].append(frame)
        del decided, frame
    out = {name: concat_buckets(parts) if parts else empty[name] for name, parts in tables.items()}
    if vetoed_apart is not None and vetoed_apart.height:
        out["candidates"] = out["candidates"].join(
            settled_by_partner(concat_buckets(partners), vetoed_apart), on="child_id", how="anti"
        )
    if renamed is not None:
        out["review"] = pl.concat([out["review"], renamed]).sort("child_id", "reason_code")
    return Decisions(**out)


def _columns(records: pl.LazyFrame, present: set[str], names: tuple[str, ...]) -> pl.DataFrame:
    """The ``names`` columns of the records (typed as declared; nulls where the records lack one)."""
    declared = {c: RECORD_COLUMNS[c] for c in names}
    return conform(records.select([c for c in names if c in present]).collect(), declared).rechunk()
