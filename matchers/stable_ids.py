"""Stable child ids carried from one half-year to the next.

The registry holds, for every child id, its *anchors*: salted sha256 hashes of
values that identify a person across runs (valid identity numbers, birth
certificate, pupil, permit, health record, immunisation and insurance numbers,
a name + birth date key), each with a weight (an identity number outweighs a
name + birth date). Values are never stored in clear.

A new run maps each cluster to a previous id:

* A cluster *claims* every previous id it shares anchors with; the claim's
  weight is the sum of the shared anchors' weights. Claims at or above
  ``strong_claim`` are strong.
* The cluster takes its heaviest strong claim (ties: the smallest id; one
  cluster claiming two ids is a merge: the other ids are logged as
  ``merged``), or its heaviest weak claim when it has no strong one. A weak
  claim (name and birth date alone) is void when both sides hold a number of
  one kind with different values: a namesake born the same day.
* Two clusters taking one id: the heavier claim keeps it (ties: the smaller
  cluster seed). The other, when its claim is strong and its identity numbers
  do not contradict the winner's, is a fragment of the same child (the
  registry ties their anchors to one child) and shares the id (``rejoined``);
  otherwise it is logged ``conflict_lost`` and gets a new id. A fragment that
  this run's guards keep apart from the winner (a record of each may not link)
  does not rejoin either.
* A cluster with no claim gets a new id: ``C`` + 12 Crockford base-32
  characters from sha256 of the namespace and the cluster's sorted anchor
  hashes. The same inputs always give the same ids.

Children absent this run keep their registry rows, so they get their id back
when they reappear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from sql import render_sql

REGISTRY_SCHEMA = {"child_id": pl.Utf8, "anchor_type": pl.Utf8, "anchor_key": pl.Utf8, "weight": pl.Float64}
EVENT_SCHEMA = {
    "event": pl.Utf8,
    "child_id": pl.Utf8,
    "related_child_id": pl.Utf8,
    "claim_weight": pl.Float64,
}


@dataclass(frozen=True)
class Anchor:
    """An anchor type: a SQL expression over the records (alias ``r``) and its weight."""

    name: str
    expr: str
    weight: float


RECORD_ANCHORS = "lk_record_anchors"


def cluster_anchors(
    con: duckdb.DuckDBPyConnection,
    records: str,
    anchors: tuple[Anchor, ...],
    namespace: str,
    fallback: str,
    clusters: pl.DataFrame,
) -> pl.DataFrame:
    """``cluster_id, anchor_type, anchor_key, weight`` for every cluster and anchor one of its records has.

    The per-record anchors (millions of hashes at province scale) stay in DuckDB; only their
    grouping by cluster comes back. ``fallback`` (SQL over ``r``) is a record's row key: every row
    key of a cluster that has no real anchor, and the smallest one of a cluster whose real anchors
    another cluster may hold too, are anchors of type ``fallback`` (see
    ``sql/link_cluster_anchors.sql``); ``clusters`` maps ``record_id`` to ``cluster_id``.
    """
    con.execute(render_sql("link_record_anchors", out=RECORD_ANCHORS))
    for a in anchors:
        con.execute(
            render_sql("link_anchor_keys", out=RECORD_ANCHORS, records=records, expr=a.expr),
            {"anchor_type": a.name, "namespace": namespace, "weight": a.weight},
        )
    con.register("lk_clusters", clusters.select("record_id", "cluster_id"))
    frame = con.sql(
        render_sql(
            "link_cluster_anchors",
            anchors=RECORD_ANCHORS,
            clusters="lk_clusters",
            records=records,
            fallback=fallback,
        ),
        params={"namespace": namespace},
    ).pl()
    con.unregister("lk_clusters")
    con.execute(f"DROP TABLE {RECORD_ANCHORS}")
    return frame


class IdSchemeError(RuntimeError):
    """An invariant of the child-id scheme does not hold (the message carries no value from the data)."""


# Far more probing rounds than a 60-bit hash can ever need; past them the scheme itself is broken.
MAX_PROBES = 64


def _new_ids(
    con: duckdb.DuckDBPyConnection, seeds: pl.DataFrame, namespace: str, taken: pl.Series, prefix: str
) -> pl.DataFrame:
    """``cluster_id, child_id`` for clusters needing a new id.

    Seeds are distinct (see :func:`_seeds`), so two fresh ids are equal only by a collision of
    60 hash bits, and a fresh id can otherwise only meet an id already taken (a previous child's,
    or one kept this run). Such a cluster probes ``seed#1``, ``seed#2``, ... until its id is free.
    Every round settles the first holder of each free id, and the same inputs probe in the same
    order, so the ids are the same on a rerun.
    """
    result = pl.DataFrame(schema={"cluster_id": pl.Int64, "child_id": pl.Utf8})
    pending = seeds.select("cluster_id", "seed", pl.lit(0, dtype=pl.Int64).alias("probe"))
    used = taken
    for _ in range(MAX_PROBES):
        if pending.height == 0:
            return result
        probed = pending.select(
            "cluster_id",
            pl.when(pl.col("probe") == 0)
            .then(pl.col("seed"))
            .otherwise(pl.format("{}#{}", "seed", "probe"))
            .alias("seed"),
        )
        con.register("lk_seeds", probed)
        ids = con.sql(
            render_sql("link_new_child_ids", seeds="lk_seeds"),
            params={"namespace": namespace, "prefix": prefix},
        ).pl()
        con.unregister("lk_seeds")
        ids = ids.select("cluster_id", "child_id").join(pending, on="cluster_id")
        # The first holder of a free id keeps it (the smallest seed, then cluster); the others
        # probe on. Only the ids drawn twice this round need that order: sorting every seed (a
        # million long strings at province scale) for the few that collide is not.
        drawn_twice = pl.col("child_id").is_duplicated()
        first = pl.concat(
            [
                ids.filter(~drawn_twice),
                ids.filter(drawn_twice)
                .sort("seed", "cluster_id")
                .filter(pl.int_range(pl.len()).over("child_id") == 0),
            ]
        )
        ok = first.filter(~pl.col("child_id").is_in(used.implode()))
        result = pl.concat([result, ok.select("cluster_id", "child_id")])
        used = pl.concat([used, ok["child_id"]])
        pending = ids.join(ok.select("cluster_id"), on="cluster_id", how="anti").select(
            "cluster_id", "seed", pl.col("probe") + 1
        )
    if pending.height == 0:
        return result
    raise IdSchemeError(f"{pending.height} child ids could not be made unique after {MAX_PROBES} probes")


def _seed_parts(cluster_anchors: pl.DataFrame) -> pl.DataFrame:
    """``cluster_id, real, rows, first_row``: each cluster's distinct real anchor keys and its distinct
    fallback keys, each sorted and joined by commas (null when it has none), and its smallest
    fallback key.

    One sort of the anchors by cluster and key, then a grouping that keeps that order: at
    1,000,000 children this took 2.7 s where DuckDB's ordered ``string_agg`` per cluster took 6.8 s.
    """
    fallback = pl.col("anchor_type") == "fallback"
    key = pl.col("anchor_key")
    return (
        cluster_anchors.lazy()
        .select("cluster_id", "anchor_key", fallback.alias("fallback"))
        .sort("cluster_id", "anchor_key")
        # Each key once per cluster (a key is the hash of its type and value, so one type's key
        # never equals another's): sorted, a repeat follows its first.
        .filter(pl.col("cluster_id").ne_missing(pl.col("cluster_id").shift()) | key.ne_missing(key.shift()))
        .group_by("cluster_id", maintain_order=True)
        .agg(
            key.filter(~pl.col("fallback")).str.join(",").alias("real"),
            key.filter(pl.col("fallback")).str.join(",").alias("rows"),
            key.filter(pl.col("fallback")).first().alias("first_row"),
        )
        .with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in ("real", "rows"))
        .collect()
    )


def _seeds(cluster_anchors: pl.DataFrame, all_clusters: pl.DataFrame) -> pl.DataFrame:
    """``cluster_id, seed``: the string a cluster's new id is hashed from, distinct for every cluster.

    The seed is the cluster's sorted real anchor keys. Two clusters can hold the same anchors
    (namesakes born the same day, neither with a number): their seeds then also carry the
    smallest row key of each (the hashed ``source|file|row`` of a record, and a record is in one
    cluster only), so equal evidence still gives distinct, deterministic seeds. A cluster with no
    real anchor is seeded by all its row keys.
    """
    per_cluster = _seed_parts(cluster_anchors)
    return (
        all_clusters.join(per_cluster.cast({"cluster_id": pl.Int64}), on="cluster_id", how="left")
        .with_columns(
            pl.when(pl.col("real").is_null())
            .then(pl.coalesce("rows", pl.format("cluster-{}", "cluster_id")))
            .when(pl.col("real").is_duplicated() & pl.col("first_row").is_not_null())
            .then(pl.format("{}|{}", "real", "first_row"))
            .otherwise(pl.col("real"))
            .alias("seed")
        )
        .select("cluster_id", "seed")
    )


def _settle(claims: pl.DataFrame, seeds: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(choice, winners)``: the claim each cluster makes, and the cluster each claimed id goes to.

    A cluster takes its heaviest strong claim, or its heaviest weak one when it has no strong one
    (then the smallest id); an id claimed by several clusters goes to the heaviest claim (then the
    smallest seed, which is distinct for every cluster).
    """
    has_strong = claims.group_by("cluster_id").agg(pl.col("strong").any().alias("any_strong"))
    choice = (
        claims.join(has_strong, on="cluster_id")
        .filter(pl.col("strong") | ~pl.col("any_strong"))
        # The heaviest claim wins (then the smallest id): when a child split last half-year is
        # whole again, it keeps the id of the part that shares the most evidence with it, which is
        # the part the counties saw (the birth certificate alone is not the ledger's child).
        .sort(["cluster_id", "claim_weight", "child_id"], descending=[False, True, False])
        .group_by("cluster_id", maintain_order=True)
        .first()
        .join(seeds, on="cluster_id")
    )
    winners = (
        choice.sort(["child_id", "claim_weight", "seed"], descending=[False, True, False])
        .group_by("child_id", maintain_order=True)
        .first()
        .select("cluster_id", "child_id", "claim_weight")
    )
    return choice, winners


def assign_child_ids(
    con: duckdb.DuckDBPyConnection,
    cluster_anchors: pl.DataFrame,
    clusters: pl.Series,
    previous: pl.DataFrame | None,
    namespace: str,
    strong_claim: float,
    prefix: str = "C",
    id_anchor: str = "id_number",
    forbidden: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Map clusters to child ids.

    ``cluster_anchors``: ``cluster_id, anchor_type, anchor_key, weight`` (distinct);
    ``clusters``: every cluster id. Returns ``(cluster_child, registry, id_events)``.
    """
    previous = (
        previous.select(list(REGISTRY_SCHEMA)).cast(REGISTRY_SCHEMA)
        if previous is not None
        else pl.DataFrame(schema=REGISTRY_SCHEMA)
    )
    all_clusters = pl.DataFrame({"cluster_id": clusters.unique().sort()}).cast({"cluster_id": pl.Int64})
    seeds = _seeds(cluster_anchors, all_clusters)
    if seeds["seed"].is_duplicated().any():
        raise IdSchemeError("two clusters have the same id seed")

    claims = (
        cluster_anchors.join(
            previous.select("child_id", "anchor_type", "anchor_key").unique(),
            on=["anchor_type", "anchor_key"],
        )
        .group_by("cluster_id", "child_id")
        .agg(pl.col("weight").sum().alias("claim_weight"))
        .with_columns((pl.col("claim_weight") >= strong_claim).alias("strong"))
    )
    # A weak claim (a name and birth date, no number in common) is a namesake, not the same child,
    # when both sides hold a number of one kind that differs: a strong anchor type they share
    # without sharing its value (another insurance or identity number).
    # (Fallback keys weigh 0, so they are never such a number.)
    typed = pl.col("weight") >= strong_claim
    contradicted = (
        claims.filter(~pl.col("strong"))
        .join(cluster_anchors.filter(typed).select("cluster_id", "anchor_type").unique(), on="cluster_id")
        .join(
            previous.filter(typed).select("child_id", "anchor_type").unique(),
            on=["child_id", "anchor_type"],
        )
        .select("cluster_id", "child_id")
        .unique()
    )
    claims = claims.join(contradicted, on=["cluster_id", "child_id"], how="anti")
    choice, winners = _settle(claims, seeds)
    losers = choice.join(winners.select("cluster_id"), on="cluster_id", how="anti")

    # A losing cluster with a strong claim is a fragment of the winner's child (they share a source
    # number or identity number the registry tied to one child): it rejoins that child, unless the two
    # hold different identity-number anchors.
    strong_losers = losers.filter(pl.col("strong")).select("cluster_id", "child_id", "claim_weight")
    # The identity numbers of those losers and of the winners of their ids only (none on a first
    # run): grouping every cluster's numbers cost a second at 1,000,000 children.
    involved = pl.concat(
        [
            strong_losers["cluster_id"],
            winners.join(strong_losers.select("child_id").unique(), on="child_id")["cluster_id"],
        ]
    )
    id_sets = (
        cluster_anchors.filter(
            (pl.col("anchor_type") == id_anchor) & pl.col("cluster_id").is_in(involved.implode())
        )
        .group_by("cluster_id")
        .agg(pl.col("anchor_key").unique().sort().str.join(",").alias("ids"))
    )
    rejoined = (
        strong_losers.join(id_sets, on="cluster_id", how="left")
        .join(
            winners.select(pl.col("cluster_id").alias("winner"), "child_id").join(
                id_sets.rename({"cluster_id": "winner", "ids": "winner_ids"}), on="winner", how="left"
            ),
            on="child_id",
        )
        .filter(
            pl.col("ids").is_null() | pl.col("winner_ids").is_null() | (pl.col("ids") == pl.col("winner_ids"))
        )
    )
    if forbidden is not None and rejoined.height:
        # Clusters this run's guards keep apart (twins one of whom the registry mixed up last
        # half-year) must not be made one child again through that old id.
        apart = forbidden(rejoined.select("cluster_id", "winner"))
        rejoined = rejoined.join(apart, on=["cluster_id", "winner"], how="anti")
    losers = losers.join(rejoined.select("cluster_id"), on="cluster_id", how="anti")
    # A cluster that lost its first choice takes the next previous id it claims that no other
    # cluster took: namesakes born the same day with no number (equal claims on each other's ids)
    # keep one id each from one half-year to the next instead of one of them getting a new id.
    while losers.height:
        free = claims.join(losers.select("cluster_id"), on="cluster_id").filter(
            ~pl.col("child_id").is_in(winners["child_id"].implode())
        )
        if free.height == 0:
            break
        _, more = _settle(free, seeds)
        winners = pl.concat([winners, more])
        losers = losers.join(more.select("cluster_id"), on="cluster_id", how="anti")
    kept_ids = winners["child_id"]
    merged = (
        claims.filter(pl.col("strong"))
        .join(winners.select("cluster_id", pl.col("child_id").alias("into")), on="cluster_id")
        .filter((pl.col("child_id") != pl.col("into")) & ~pl.col("child_id").is_in(kept_ids.implode()))
        .sort("child_id", "claim_weight", "into", descending=[False, True, False])
        .group_by("child_id", maintain_order=True)
        .first()
    )
    need_new = seeds.join(winners.select("cluster_id"), on="cluster_id", how="anti").join(
        rejoined.select("cluster_id"), on="cluster_id", how="anti"
    )
    taken = pl.concat([previous["child_id"], kept_ids]).unique()
    new = _new_ids(con, need_new.select("cluster_id", "seed"), namespace, taken, prefix)
    cluster_child = pl.concat(
        [winners.select("cluster_id", "child_id"), rejoined.select("cluster_id", "child_id"), new]
    ).sort("cluster_id")

    events = (
        pl.concat(
            [
                new.join(
                    losers.select("cluster_id", pl.col("child_id").alias("lost")), on="cluster_id", how="left"
                ).select(
                    pl.when(pl.col("lost").is_null())
                    .then(pl.lit("new"))
                    .otherwise(pl.lit("conflict_lost"))
                    .alias("event"),
                    "child_id",
                    pl.col("lost").alias("related_child_id"),
                    pl.lit(None, dtype=pl.Float64).alias("claim_weight"),
                ),
                rejoined.select(
                    pl.lit("rejoined").alias("event"),
                    "child_id",
                    pl.lit(None, dtype=pl.Utf8).alias("related_child_id"),
                    "claim_weight",
                ),
                merged.select(
                    pl.lit("merged").alias("event"),
                    pl.col("into").alias("child_id"),
                    pl.col("child_id").alias("related_child_id"),
                    "claim_weight",
                ),
            ]
        )
        .cast(EVENT_SCHEMA)
        .sort("event", "child_id", "related_child_id", nulls_last=True)
    )

    # One row per (child, anchor): a cluster's anchors are distinct already, so only the children
    # several clusters share (rejoined fragments) need their rows merged.
    shared = pl.col("child_id").is_in(
        cluster_child.filter(pl.col("child_id").is_duplicated())["child_id"].implode()
    )
    anchored = cluster_anchors.join(cluster_child, on="cluster_id").select(list(REGISTRY_SCHEMA))
    current = pl.concat(
        [
            anchored.filter(~shared),
            anchored.filter(shared)
            .group_by("child_id", "anchor_type", "anchor_key")
            .agg(pl.col("weight").max()),
        ]
    )
    gone = pl.concat([cluster_child["child_id"], merged["child_id"]])
    carried = previous.filter(~pl.col("child_id").is_in(gone.implode()))
    # current holds one row per (child, anchor) and none of carried's children: only carried (the
    # previous registry as given) may repeat a row.
    registry = pl.concat([current.cast(REGISTRY_SCHEMA), carried.unique()]).sort(
        "child_id", "anchor_type", "anchor_key"
    )
    return cluster_child, registry, events
