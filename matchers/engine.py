"""The linkage engine: configuration in, record → person ids out.

``link`` runs the steps in order, each in a module of its own, cut where Splink cuts them:

1. settings (``settings.py``): the configuration, one frozen value;
2. the session (``session.py``): the DuckDB connection, the records and every temporary table;
3. blocking (``blocking.py``): which pairs are compared;
4. prediction (``prediction.py``, ``model.py``, ``comparisons.py``): comparison vectors, term
   frequencies, Fellegi–Sunter with EM, every pair's score;
5. constraints (``constraints.py``): guards and vetoes on the pairs with a chance, edges,
   cannot-links inside components, unscored guards, siblings;
6. graph and conflict resolution (``clustering.py``, with the name rule of ``name_relatedness.py``);
7. stable ids (``stable_ids.py``), and what a person reads (``review.py``).

Everything heavy runs in DuckDB over whole tables; the configuration says what to block on, what
to compare and which guards apply, so the same engine links children, parents and the FEBRL
benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from matchers import prediction
from matchers.blocking import generate_candidates
from matchers.clustering import ClusterReport, cluster_pairs
from matchers.constraints import (
    constraints,
    flag_pairs,
    forbidden_rejoins,
    guard_sql,
    record_values,
    uncompared_columns,
    veto_sql,
)
from matchers.model import ModelParameters
from matchers.review import kept_pairs, review_sample, vetoed_apart
from matchers.session import RECORDS, LinkSession, prepare_records
from matchers.settings import LinkageConfig
from matchers.stable_ids import assign_child_ids, cluster_anchors

__all__ = ["RECORDS", "LinkResult", "LinkageConfig", "guard_sql", "link", "prepare_records", "veto_sql"]


@dataclass
class LinkResult:
    """What ``link`` returns: ids, scored pairs, review sample, registry and reports."""

    record_child: pl.DataFrame  # record_id, child_id; by record_id
    # Scored pairs with match probability >= keep_pairs_above: l, r, rules, gamma columns,
    # match_weight, match_probability, explanation, cannot_link, vetoed.
    pairs: pl.DataFrame
    review_sample: pl.DataFrame
    registry: pl.DataFrame  # child_id, anchor_type, anchor_key, weight; in that order
    id_events: pl.DataFrame
    blocking_report: pl.DataFrame
    model: ModelParameters
    parameters: pl.DataFrame
    cluster_report: ClusterReport
    timings: dict[str, float] = field(default_factory=dict)
    n_candidate_pairs: int = 0  # all pairs the blocking rules produced and the model scored
    # Pairs the score alone would have linked, kept from linking by a veto, whose records ended with
    # two persons: l, r, match_weight, child_id_l, child_id_r (for a person to check).
    vetoed_apart: pl.DataFrame = field(default_factory=pl.DataFrame)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # processor seconds of each step


def _cluster(session: LinkSession, config: LinkageConfig, scored: str) -> tuple[pl.DataFrame, ClusterReport]:
    """Records to clusters: the constraints, then the graph with its conflicts resolved."""
    found = constraints(session, config, scored)
    guard_anchor = config.anchor_guard or "NULL"
    anchors = record_values(session, f"CAST({guard_anchor} AS VARCHAR) AS anchor", guard_anchor)
    names = None
    if config.conflict_labels:
        label, sound = config.conflict_labels
        names = record_values(session, f"{label} AS label, {sound} AS sound", label)
    return cluster_pairs(
        found.record_ids,
        anchors,
        found.edges,
        config.threshold,
        config.stricter_thresholds,
        config.max_cluster_size,
        config.ambiguity_margin,
        names,
        found.floaters,
        found.components,
        found.siblings,
    )


def _stable_ids(
    session: LinkSession,
    config: LinkageConfig,
    clusters: pl.DataFrame,
    previous_registry: pl.DataFrame | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``(record_child, registry, id_events)``: each cluster's id, carried from the previous registry."""
    seed_anchors = cluster_anchors(
        session.con, RECORDS, config.anchors, config.id_namespace, config.id_fallback, clusters
    )
    cluster_child, registry, events = assign_child_ids(
        session.con,
        seed_anchors,
        clusters["cluster_id"],
        previous_registry,
        config.id_namespace,
        config.strong_claim,
        config.id_prefix,
        forbidden=lambda candidates: forbidden_rejoins(session, config, clusters, candidates),
    )
    record_child = (
        clusters.join(cluster_child, on="cluster_id").select("record_id", "child_id").sort("record_id")
    )
    return record_child, registry, events


def link(
    records: pl.DataFrame,
    config: LinkageConfig,
    previous_registry: pl.DataFrame | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> LinkResult:
    """Link ``records`` (one row per record, ``config.unique_id`` unique) into persons with stable ids.

    With ``con``, the caller's connection (sized by the caller: memory limit, spill folder) is used
    and left open; its temporary tables are dropped either way.
    """
    session = LinkSession(con, config.threads, config.memory_limit)
    try:
        session.load_records(records, config)
        # The records live in DuckDB from here on (spilled with the rest when memory runs short):
        # dropping this reference frees the frame when the caller handed in its only one.
        del records
        session.lap("prepare")
        report = generate_candidates(
            session.con,
            RECORDS,
            list(config.blocking_rules),
            config.max_block_size,
            config.link_only_column,
            apart_by=uncompared_columns(config),
        )
        session.lap("blocking")

        tf = prediction.term_frequencies(session, config)
        prediction.compare(session, config, tf)
        session.lap("comparisons")
        model, patterns = prediction.train(
            session, config, dict(zip(report["rule"], report["bit"], strict=True))
        )
        session.lap("model")
        scored = prediction.score(session, config, model, patterns, tf)
        n_candidates = int(patterns["n"].sum())
        session.lap("scoring")

        flag_pairs(session, config, scored)
        pairs = kept_pairs(session, config)
        review = review_sample(session, config, scored)
        session.lap("pairs_and_review")
        clusters, cluster_report = _cluster(session, config, scored)
        # Everything the scored pairs are needed for is read: give their memory to the id stage.
        session.drop(scored, "lk_flagged")
        session.lap("clustering")

        record_child, registry, events = _stable_ids(session, config, clusters, previous_registry)
        session.lap("stable_ids")
        return LinkResult(
            record_child=record_child,
            pairs=pairs,
            review_sample=review,
            registry=registry.filter(pl.col("anchor_type") != "fallback"),
            id_events=events,
            blocking_report=report,
            model=model,
            parameters=model.frame(),
            cluster_report=cluster_report,
            timings=session.timings,
            n_candidate_pairs=n_candidates,
            vetoed_apart=vetoed_apart(pairs, record_child, config.threshold),
            cpu_seconds=session.cpu_seconds,
        )
    finally:
        session.close()
