"""Constraints: what the score alone may not decide.

* Guards (cannot-links): two records a guard holds for are never one person. Vetoes: a pair a veto
  holds for is no link of its own, whatever it scores (the records may still meet through others).
* Flags: guards and vetoes are evaluated once, on the scored pairs with a real chance of being one
  person; every later step reads its pairs there (``lk_flagged``).
* Edges: the pairs clustering starts from. Cannot-links: inside a connected component of the
  edges, the pairs a guard or a very low weight keeps apart, scored or not (unscored guards).
* Siblings: records of one floater key (birth date) kept apart, whose floating records cannot
  tell which of them they are.

All of it is SQL over the pairs and records in the session; nothing here loops over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from matchers.clustering import component_frame
from matchers.guards import Guard
from matchers.session import RECORDS, LinkSession
from matchers.settings import LinkageConfig

FLAGGED = "lk_flagged"


def _any_of(conditions: list[str]) -> str:
    """SQL true when any condition holds (a null counts as false); FALSE for none.

    A CASE, not an OR of the conditions: DuckDB evaluates every operand of an OR or AND in a
    select list over the whole vector, but a CASE's WHEN as a filter, so a condition stops at its
    first false conjunct and the next condition runs only where no earlier one held.
    """
    if not conditions:
        return "FALSE"
    return "CASE " + " ".join(f"WHEN ({c}) THEN TRUE" for c in conditions) + " ELSE FALSE END"


def veto_sql(config: LinkageConfig) -> str:
    """SQL over ``l``, ``r``: true when a veto keeps the pair from being a link of its own."""
    return _any_of([v.condition for v in config.vetoes])


def _guards_named(config: LinkageConfig, names: tuple[str, ...] | None) -> list[Guard]:
    """The configuration's guards of ``names`` in the configuration's order (all when None); a name
    the configuration does not declare is an error in it."""
    unknown = set(names or ()) - {g.name for g in config.guards}
    if unknown:
        raise ValueError(f"configuration {config.name}: no guard named {sorted(unknown)}")
    return [g for g in config.guards if names is None or g.name in names]


def guard_sql(config: LinkageConfig, names: tuple[str, ...] | None = None) -> str:
    """SQL over ``l``, ``r``: true when any guard (of ``names``, default all) forbids the two records
    to be one person."""
    return _any_of([g.condition for g in _guards_named(config, names)])


def uncompared_columns(config: LinkageConfig) -> tuple[str, ...]:
    """The columns of the guards left uncompared (``uncompared_guards``): blocking never pairs two
    records whose values there are both present and differ.

    Only a guard declared as one column's values differing (:meth:`Guard.values_differ`) can be
    applied by blocking, which sees each record alone, never the pair.
    """
    guards = _guards_named(config, config.uncompared_guards)
    for g in guards:
        if g.differs is None:
            raise ValueError(
                f"configuration {config.name}: guard {g.name} cannot be left uncompared: blocking applies"
                " only a guard of one column's values differing (Guard.values_differ)"
            )
    return tuple(g.differs for g in guards if g.differs is not None)


def flag_floor(config: LinkageConfig) -> float:
    """The match probability from which pairs are flagged: every kept pair, every possible edge."""
    return min(config.keep_pairs_above, config.threshold)


def weight_floor(config: LinkageConfig) -> float:
    """Pairs below this many bits cannot link (``cannot_link_below``; none when unset).

    A pair the model finds far more likely two people than one keeps its two records apart like a
    guard does, so that a chain of weaker links through a third record (a namesake's birth
    certificate) cannot join them.
    """
    return config.cannot_link_below if config.cannot_link_below is not None else float("-inf")


def flag_pairs(session: LinkSession, config: LinkageConfig, scored: str) -> str:
    """Table ``lk_flagged``: the scored pairs at least ``flag_floor`` likely, with guard and veto flags."""
    return session.create(
        FLAGGED,
        "link_pair_flags",
        {"floor": flag_floor(config)},
        scored=scored,
        records=RECORDS,
        cannot_link=guard_sql(config),
        vetoed=veto_sql(config),
    )


@dataclass
class Constraints:
    """What clustering reads: accepted edges and cannot-links, the components, floaters and siblings."""

    record_ids: np.ndarray
    edges: pl.DataFrame  # l, r, match_probability, match_weight, cannot_link
    components: pl.DataFrame  # record_id, component
    floaters: pl.DataFrame | None  # record_id, floater, key
    siblings: pl.DataFrame | None  # l, r, key


def record_values(session: LinkSession, columns: str, required: str) -> pl.DataFrame:
    """Per-record values (SQL over ``r``) for the records where ``required`` is known."""
    return session.frame("link_record_values", columns=columns, records=RECORDS, required=required)


def constraints(session: LinkSession, config: LinkageConfig, scored: str) -> Constraints:
    """Edges, the cannot-links inside their components (scored or not), floaters and siblings."""
    floor = weight_floor(config)
    accepted = session.frame("link_edges", {"threshold": config.threshold, "floor": floor}, flagged=FLAGGED)
    ids = session.frame("link_record_ids", records=RECORDS)["record_id"].to_numpy()
    components = component_frame(ids, accepted)
    with session.registered("lk_components", components) as comps:
        cannot = session.frame(
            "link_cannot_in_component",
            {"floor": floor, "flag_floor": flag_floor(config)},
            scored=scored,
            flagged=FLAGGED,
            components=comps,
            records=RECORDS,
            guards=guard_sql(config),
        )
        unscored = session.frame(
            "link_cannot_unscored",
            {"max_size": config.max_block_size},
            scored=scored,
            components=comps,
            records=RECORDS,
            guards=guard_sql(config, config.component_guards),
        )
    edges = pl.concat([accepted, cannot, unscored.cast(cannot.schema)])
    floaters = siblings = None
    if config.conflict_floaters:
        floats, key = config.conflict_floaters
        floats = f"coalesce(({floats}), FALSE)"
        floaters = record_values(
            session,
            f"{floats} AS floater, {key} AS key",
            f"CASE WHEN {floats} OR ({key}) IS NOT NULL THEN 1 END",
        )
        with session.registered("lk_floater_keys", floaters) as keys:
            siblings = session.frame(
                "link_sibling_pairs", {"threshold": config.threshold}, flagged=FLAGGED, keys=keys
            )
    return Constraints(ids, edges, components, floaters, siblings)


def forbidden_rejoins(
    session: LinkSession, config: LinkageConfig, clusters: pl.DataFrame, candidates: pl.DataFrame
) -> pl.DataFrame:
    """Rejoin candidates (``cluster_id``, ``winner``) that this run's rejoin guards keep apart."""
    with (
        session.registered("lk_rejoin_candidates", candidates) as cands,
        session.registered("lk_members", clusters.select("record_id", "cluster_id")) as members,
    ):
        apart = session.frame(
            "link_forbidden_rejoins",
            candidates=cands,
            members=members,
            records=RECORDS,
            forbidden=guard_sql(config, config.rejoin_guards),
        )
    return apart.cast(candidates.schema)
