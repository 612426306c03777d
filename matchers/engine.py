"""The linkage engine: configuration in, record → person ids out.

``link`` runs the stages in order, each a small module: blocking
(``blocking.py``), comparison vectors (``comparisons.py``), Fellegi–Sunter with
EM (``model.py``), clustering under guards (``clustering.py``), stable ids
(``stable_ids.py``). Everything heavy runs in DuckDB over whole tables; the
configuration (``LinkageConfig``) says what to block on, what to compare and
which guards apply, so the same engine links children, parents and the FEBRL
benchmark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from matchers.blocking import BlockingRule, generate_candidates
from matchers.clustering import ClusterReport, cluster_pairs, component_frame
from matchers.comparisons import Comparison, Guard, Veto
from matchers.model import ModelParameters, estimate, pattern_weights, random_pair_patterns
from matchers.stable_ids import Anchor, assign_child_ids, cluster_anchors
from sql import render_sql

RECORDS = "lk_records"


@dataclass(frozen=True)
class LinkageConfig:
    """Everything that makes a linkage job specific.

    ``columns`` lists the input columns the SQL reads, with their types: a
    column missing from the input is added as nulls, so one configuration
    serves sources that lack some fields. ``derived`` adds computed columns
    (``name``, SQL expression over ``r``) before blocking.
    """

    name: str
    columns: dict[str, pl.DataType]
    blocking_rules: tuple[BlockingRule, ...]
    comparisons: tuple[Comparison, ...]
    derived: tuple[tuple[str, str], ...] = ()
    guards: tuple[Guard, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    anchor_guard: str | None = None  # SQL over r: a value two records in one cluster may not differ on
    anchors: tuple[Anchor, ...] = ()
    id_fallback: str = "NULL"  # SQL over r seeding the id of a cluster with no anchor
    id_namespace: str = "taizhang-child-v1"
    id_prefix: str = "C"
    unique_id: str = "record_id"
    threshold: float = 0.9
    stricter_thresholds: tuple[float, ...] = (0.99, 0.999, 0.9999)
    max_cluster_size: int = 30
    # A record of a conflict component whose link to another cluster is within this many bits of
    # its best link into its own is left on its own (0 = always take the stronger).
    ambiguity_margin: float = 0.0
    max_block_size: int = 300
    link_only_column: str | None = None
    match_share_init: float = 0.2
    em_max_iter: int = 60
    em_tol: float = 1e-6
    fix_u: bool = True
    # Training sessions: (blocking rule name, comparisons that rule blocks on).
    training: tuple[tuple[str, tuple[str, ...]], ...] = ()
    random_pairs: int = 300_000
    seed: int = 20260630
    tf_bounds: tuple[float, float] = (-4.0, 4.0)
    strong_claim: float = 20.0
    review_size: int = 50
    # SQL over r: a name and its sound. Inside a conflict component (two people linked), groups
    # whose names are all unrelated (not equal in sound, not one edit apart) are not joined.
    conflict_labels: tuple[str, str] | None = None
    # SQL over r: (when a record floats, its birth date). Inside a conflict component a floating
    # record (known by a placeholder name alone) joins the one cluster of its birth date it is
    # linked to, and none when two clusters share that date (twins); never the cluster its
    # strongest family link happens to point at.
    conflict_floaters: tuple[str, str] | None = None
    # Guards that keep a fragment from rejoining a previous child's id (None: all; () : none).
    # Guards that only weigh against one noisy pair (a birth date far off) are better left out:
    # the registry's shared number outweighs them.
    rejoin_guards: tuple[str, ...] | None = None
    # Guards also checked on the pairs of a component that no blocking rule compared (None: all;
    # (): none). Guards that weigh a typo-prone field are better left out: unscored pairs are the
    # ones whose fields disagree most, typos included.
    component_guards: tuple[str, ...] | None = None
    # Pairs scored below this many bits cannot link, like a guard (None: only the guards).
    cannot_link_below: float | None = None
    # Scored pairs returned to the caller: those at least this likely (the rest are plain non-matches).
    keep_pairs_above: float = 0.001
    review_mask_column: str | None = "name"
    review_columns: tuple[str, ...] = ("source", "file", "row_number")
    threads: int = 2
    memory_limit: str = "2GB"


@dataclass
class LinkResult:
    """What ``link`` returns: ids, scored pairs, review sample, registry and reports."""

    record_child: pl.DataFrame  # record_id, child_id
    # Scored pairs with match probability >= keep_pairs_above: l, r, rules, gamma columns,
    # match_weight, match_probability, explanation, cannot_link, vetoed.
    pairs: pl.DataFrame
    review_sample: pl.DataFrame
    registry: pl.DataFrame
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


def guard_sql(config: LinkageConfig, names: tuple[str, ...] | None = None) -> str:
    """SQL over ``l``, ``r``: true when any guard (of ``names``, default all) forbids the two records
    to be one person."""
    unknown = set(names or ()) - {g.name for g in config.guards}
    if unknown:
        raise ValueError(f"configuration {config.name}: no guard named {sorted(unknown)}")
    return _any_of([g.condition for g in config.guards if names is None or g.name in names])


def _prepare(con: duckdb.DuckDBPyConnection, records: pl.DataFrame, config: LinkageConfig) -> None:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in config.columns.items() if c not in records.columns]
    keep = [c for c in config.columns if c in records.columns and c != config.unique_id]
    frame = records.select(pl.col(config.unique_id).cast(pl.Int64).alias("record_id"), *keep).with_columns(
        missing
    )
    con.register("lk_input", frame)
    derived = "".join(f", {expr} AS {name}" for name, expr in config.derived)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT r.*{derived} FROM lk_input AS r")
    con.unregister("lk_input")


def _tf_parts(con: duckdb.DuckDBPyConnection, config: LinkageConfig) -> dict[str, str]:
    """SQL pieces for the term-frequency adjustment of every comparison that has one."""
    tf_select, tf_joins, adjustments, sums = [], [], [], []
    lo, hi = config.tf_bounds
    for comp in config.comparisons:
        if not comp.tf_column:
            continue
        table = f"lk_tf_{comp.name}"
        con.execute(render_sql("link_tf", out=table, records=RECORDS, column=comp.tf_column))
        # The chance two random records share a value: the average value's frequency. Summed in
        # value order: a float sum in whatever order the threads deliver differs in the last bits,
        # and the outputs must be the same on a rerun.
        u_exact = con.sql(f"SELECT sum(tf * tf ORDER BY value) FROM {table}").fetchall()[0][0] or 1.0
        top = len(comp.levels)
        tf_select.append(
            f",\n       CASE WHEN {comp.column} = {top}"
            f" THEN greatest(tfl_{comp.name}.tf, tfr_{comp.name}.tf) END AS tf_{comp.name}"
        )
        tf_joins.append(
            f"LEFT JOIN {table} AS tfl_{comp.name} ON tfl_{comp.name}.value = l.{comp.tf_column}\n"
            f"LEFT JOIN {table} AS tfr_{comp.name} ON tfr_{comp.name}.value = r.{comp.tf_column}"
        )
        # No adjustment unless the values are equal (tf is null then); greatest() ignores nulls, so
        # the null must be caught before the clamp, or every other pair would get the lower bound.
        adj = (
            f"CASE WHEN tf_{comp.name} IS NULL THEN 0.0"
            f" ELSE least(greatest(log2({float(u_exact)!r} / tf_{comp.name}), {lo!r}), {hi!r}) END"
        )
        adjustments.append(f"{adj} AS tfa_{comp.name}")
        sums.append(f"tfa_{comp.name}")
    # The gamma query refers to the gamma column inside CASE, so select it by expression, not alias.
    return {
        "tf_select": "".join(tf_select),
        "tf_joins": "\n".join(tf_joins),
        "tf_adjustments": ", ".join(adjustments) or "0.0 AS tfa_none",
        "tf_sum": "(" + (" + ".join(sums) or "0.0") + ")",
    }


def _total_pairs(con: duckdb.DuckDBPyConnection, config: LinkageConfig) -> int:
    """The number of pairs that could be formed: within the file, or across groups when linking only."""
    if config.link_only_column:
        q = (
            f"SELECT (sum(n) * sum(n) - sum(n * n)) / 2"
            f" FROM (SELECT count(*) AS n FROM {RECORDS} GROUP BY {config.link_only_column})"
        )
    else:
        q = f"SELECT count(*) * (count(*) - 1) / 2 FROM {RECORDS}"
    return int(con.sql(q).fetchall()[0][0] or 0)


def _review_sample(
    con: duckdb.DuckDBPyConnection, config: LinkageConfig, scored: str, flagged: str, flag_floor: float
) -> pl.DataFrame:
    """The pairs nearest the threshold, for a person to check: levels and masked names only."""
    t = float(np.log2(config.threshold / (1 - config.threshold)))
    cols = [c for c in config.review_columns if c in config.columns]
    side = []
    for s in ("l", "r"):
        side += [f"{s}.{c} AS {c}_{s}" for c in cols]
        if config.review_mask_column:
            mc = config.review_mask_column
            side.append(
                f"CASE WHEN {s}.{mc} IS NULL THEN NULL"
                f" ELSE left({s}.{mc}, 1) || repeat('*', length({s}.{mc}) - 1) END AS {mc}_masked_{s}"
            )
    q = render_sql(
        "link_review_sample",
        flagged=flagged,
        scored=scored,
        records=RECORDS,
        sides=", ".join(side),
        cannot_link=guard_sql(config),
        vetoed=veto_sql(config),
    )
    return con.sql(q, params={"t": t, "n": config.review_size, "flag_floor": flag_floor}).pl()


def _vetoed_apart(pairs: pl.DataFrame, record_child: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Vetoed pairs at or above the threshold, not guarded, whose two records are two persons."""
    child = record_child.select("record_id", "child_id")
    return (
        pairs.filter(pl.col("vetoed") & ~pl.col("cannot_link") & (pl.col("match_probability") >= threshold))
        .select("l", "r", "match_weight")
        .join(child.rename({"record_id": "l", "child_id": "child_id_l"}), on="l")
        .join(child.rename({"record_id": "r", "child_id": "child_id_r"}), on="r")
        .filter(pl.col("child_id_l") != pl.col("child_id_r"))
        .sort("l", "r")
    )


def link(
    records: pl.DataFrame,
    config: LinkageConfig,
    previous_registry: pl.DataFrame | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> LinkResult:
    """Link ``records`` (one row per record, ``config.unique_id`` unique) into persons with stable ids."""
    own = con is None
    con = con or duckdb.connect()
    if own:
        # A caller that passes its connection has sized it (memory limit, spill folder) itself.
        con.execute(f"SET threads={int(config.threads)}")
        con.execute("SET memory_limit=$m", {"m": config.memory_limit})
    con.execute("SET preserve_insertion_order=false")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 3)
        clock = now

    try:
        _prepare(con, records, config)
        lap("prepare")
        report = generate_candidates(
            con, RECORDS, list(config.blocking_rules), config.max_block_size, config.link_only_column
        )
        lap("blocking")

        comps = config.comparisons
        gammas = ",\n       ".join(c.gamma_sql() for c in comps)
        gamma_cols = ", ".join(c.column for c in comps)
        tf = _tf_parts(con, config)
        con.execute(
            render_sql(
                "link_gamma",
                out="lk_gamma",
                pairs="lk_candidates",
                records=RECORDS,
                gammas=gammas,
                tf_select=tf["tf_select"],
                tf_joins=tf["tf_joins"],
            )
        )
        lap("comparisons")

        patterns = con.sql(f"SELECT {gamma_cols}, count(*) AS n FROM lk_gamma GROUP BY ALL ORDER BY ALL").pl()
        random_patterns = random_pair_patterns(con, RECORDS, comps, config.random_pairs, config.seed)
        bits = dict(zip(report["rule"], report["bit"], strict=True))
        sessions = tuple(
            (
                con.sql(
                    f"SELECT {gamma_cols}, count(*) AS n FROM lk_gamma"
                    " WHERE (rules & $bit) <> 0 GROUP BY ALL ORDER BY ALL",
                    params={"bit": bits[rule]},
                ).pl(),
                excluded,
            )
            for rule, excluded in config.training
        )
        model = estimate(
            patterns,
            random_patterns,
            comps,
            sessions=sessions,
            match_share_init=config.match_share_init,
            max_iter=config.em_max_iter,
            tol=config.em_tol,
            fix_u=config.fix_u,
            total_pairs=_total_pairs(con, config),
        )
        weights = pattern_weights(patterns, model)
        con.register("lk_weights_in", weights)
        con.execute("CREATE OR REPLACE TEMP TABLE lk_weights AS SELECT * FROM lk_weights_in")
        con.unregister("lk_weights_in")
        # Millions of pairs share a few thousand explanations: an ENUM keeps one copy of each.
        con.execute("DROP TYPE IF EXISTS lk_explanation")
        con.execute(
            "CREATE TYPE lk_explanation AS ENUM (SELECT DISTINCT explanation FROM lk_weights ORDER BY 1)"
        )
        con.execute(
            render_sql(
                "link_score",
                out="lk_scored",
                gammas="lk_gamma",
                weights="lk_weights",
                gamma_columns=gamma_cols,
                tf_adjustments=tf["tf_adjustments"],
                tf_sum=tf["tf_sum"],
            )
        )
        con.execute("DROP TABLE lk_weights")
        con.execute("DROP TABLE lk_gamma")
        # Guards and vetoes on the pairs with a real chance only (edges, siblings, kept pairs).
        flag_floor = min(config.keep_pairs_above, config.threshold)
        con.execute(
            render_sql(
                "link_pair_flags",
                out="lk_flagged",
                scored="lk_scored",
                records=RECORDS,
                cannot_link=guard_sql(config),
                vetoed=veto_sql(config),
            ),
            {"floor": flag_floor},
        )
        lap("model")

        # Millions of candidate pairs are plain non-matches: clustering needs only the accepted
        # edges and the cannot-link pairs, and a reader only the pairs with a real chance.
        n_candidates = con.sql("SELECT count(*) FROM lk_scored").fetchall()[0][0]
        # A pair the model finds far more likely two people than one (below cannot_link_below bits)
        # keeps its two records apart like a guard does, so that a chain of weaker links through a
        # third record (a namesake's birth certificate) cannot join them.
        floor = config.cannot_link_below if config.cannot_link_below is not None else float("-inf")
        accepted = con.sql(
            render_sql("link_edges", flagged="lk_flagged"),
            params={"threshold": config.threshold, "floor": floor},
        ).pl()
        ids = con.sql(f"SELECT record_id FROM {RECORDS}").pl()["record_id"].to_numpy()
        components = component_frame(ids, accepted)
        con.register("lk_components", components)
        cannot = con.sql(
            render_sql(
                "link_cannot_in_component",
                scored="lk_scored",
                flagged="lk_flagged",
                components="lk_components",
                records=RECORDS,
                guards=guard_sql(config),
            ),
            params={"floor": floor, "flag_floor": flag_floor},
        ).pl()
        unscored = con.sql(
            render_sql(
                "link_cannot_unscored",
                scored="lk_scored",
                components="lk_components",
                records=RECORDS,
                guards=guard_sql(config, config.component_guards),
            ),
            params={"max_size": config.max_block_size},
        ).pl()
        con.unregister("lk_components")
        edges = pl.concat([accepted, cannot, unscored.cast(cannot.schema)])
        pairs = con.sql(
            render_sql("link_kept_pairs", flagged="lk_flagged"), params={"floor": config.keep_pairs_above}
        ).pl()
        review = _review_sample(con, config, "lk_scored", "lk_flagged", flag_floor)

        def record_values(columns: str, required: str) -> pl.DataFrame:
            sql = render_sql("link_record_values", columns=columns, records=RECORDS, required=required)
            return con.sql(sql).pl()

        floaters = None
        siblings = None
        if config.conflict_floaters:
            floats, key = config.conflict_floaters
            floats = f"coalesce(({floats}), FALSE)"
            floaters = record_values(
                f"{floats} AS floater, {key} AS key", f"CASE WHEN {floats} OR ({key}) IS NOT NULL THEN 1 END"
            )
            con.register("lk_floater_keys", floaters)
            siblings = con.sql(
                render_sql("link_sibling_pairs", flagged="lk_flagged", keys="lk_floater_keys"),
                params={"threshold": config.threshold},
            ).pl()
            con.unregister("lk_floater_keys")
        # Everything the scored pairs are needed for is read: give their memory to the id stage.
        con.execute("DROP TABLE lk_scored")
        con.execute("DROP TABLE lk_flagged")
        con.execute("DROP TABLE IF EXISTS lk_candidates")
        lap("pairs_and_review")

        guard_anchor = config.anchor_guard or "NULL"
        anchors = record_values(f"CAST({guard_anchor} AS VARCHAR) AS anchor", guard_anchor)
        names = None
        if config.conflict_labels:
            label, sound = config.conflict_labels
            names = record_values(f"{label} AS label, {sound} AS sound", label)
        clusters, cluster_report = cluster_pairs(
            ids,
            anchors,
            edges,
            config.threshold,
            config.stricter_thresholds,
            config.max_cluster_size,
            config.ambiguity_margin,
            names,
            floaters,
            components,
            siblings,
        )
        lap("clustering")

        seed_anchors = cluster_anchors(
            con, RECORDS, config.anchors, config.id_namespace, config.id_fallback, clusters
        )

        def forbidden(candidates: pl.DataFrame) -> pl.DataFrame:
            con.register("lk_rejoin_candidates", candidates)
            con.register("lk_members", clusters.select("record_id", "cluster_id"))
            apart = con.sql(
                render_sql(
                    "link_forbidden_rejoins",
                    candidates="lk_rejoin_candidates",
                    members="lk_members",
                    records=RECORDS,
                    forbidden=guard_sql(config, config.rejoin_guards),
                )
            ).pl()
            con.unregister("lk_rejoin_candidates")
            con.unregister("lk_members")
            return apart.cast(candidates.schema)

        cluster_child, registry, events = assign_child_ids(
            con,
            seed_anchors,
            clusters["cluster_id"],
            previous_registry,
            config.id_namespace,
            config.strong_claim,
            config.id_prefix,
            forbidden=forbidden,
        )
        record_child = (
            clusters.join(cluster_child, on="cluster_id").select("record_id", "child_id").sort("record_id")
        )
        lap("stable_ids")
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
            timings=timings,
            n_candidate_pairs=int(n_candidates),
            vetoed_apart=_vetoed_apart(pairs, record_child, config.threshold),
        )
    finally:
        for t in ("lk_scored", "lk_flagged", "lk_candidates", RECORDS):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        if own:
            con.close()
