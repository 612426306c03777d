"""Prediction: comparison vectors, term frequencies, the model's training and every pair's score.

Four steps over the candidate pairs, each one pass in DuckDB:

1. ``compare``: the comparison vector (gamma levels) of every candidate pair, with the term
   frequencies the exact-match adjustment needs;
2. ``train``: Fellegi–Sunter m and u (``model.py``), from the distinct vectors and their counts
   (all candidates, each training session's pairs, deterministic random pairs), never per pair;
3. ``score``: every pair's match weight and probability, the pattern's weight plus its
   term-frequency adjustment, with the pattern's explanation kept once (an ENUM).

Guards and vetoes are no part of prediction: see ``constraints.py``.
"""

from __future__ import annotations

import polars as pl

from matchers.model import ModelParameters, estimate, pattern_weights, random_pair_patterns
from matchers.session import RECORDS, LinkSession
from matchers.settings import LinkageConfig

CANDIDATES = "lk_candidates"
GAMMAS = "lk_gamma"
WEIGHTS = "lk_weights"
SCORED = "lk_scored"


def gamma_columns(config: LinkageConfig) -> str:
    return ", ".join(c.column for c in config.comparisons)


def term_frequencies(session: LinkSession, config: LinkageConfig) -> dict[str, str]:
    """Term-frequency tables of every comparison that has one, and the SQL pieces that use them."""
    tf_select, tf_joins, adjustments, sums = [], [], [], []
    lo, hi = config.tf_bounds
    for comp in config.comparisons:
        if not comp.tf_column:
            continue
        table = session.create(f"lk_tf_{comp.name}", "link_tf", records=RECORDS, column=comp.tf_column)
        # The chance two random records share a value: the average value's frequency. Summed in
        # value order: a float sum in whatever order the threads deliver differs in the last bits,
        # and the outputs must be the same on a rerun.
        u_exact = session.scalar("link_tf_expected", table=table) or 1.0
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


def compare(session: LinkSession, config: LinkageConfig, tf: dict[str, str]) -> str:
    """The comparison vector of every candidate pair (table ``lk_gamma``); the pair list is dropped."""
    session.create(
        GAMMAS,
        "link_gamma",
        pairs=CANDIDATES,
        records=RECORDS,
        gammas=",\n       ".join(c.gamma_sql() for c in config.comparisons),
        tf_select=tf["tf_select"],
        tf_joins=tf["tf_joins"],
    )
    # The comparison vectors hold every candidate pair: the pair list itself is done with.
    session.drop(CANDIDATES)
    return GAMMAS


def _total_pairs(session: LinkSession, config: LinkageConfig) -> int:
    """The number of pairs that could be formed: within the file, or across groups when linking only."""
    if config.link_only_column:
        total = session.scalar("link_total_pairs_across", records=RECORDS, group=config.link_only_column)
    else:
        total = session.scalar("link_total_pairs", records=RECORDS)
    return int(total or 0)


def train(
    session: LinkSession, config: LinkageConfig, rule_bits: dict[str, int]
) -> tuple[ModelParameters, pl.DataFrame]:
    """The model's parameters, and the distinct comparison vectors of the candidates with their counts.

    Each training session is the pairs one blocking rule produced (``rule_bits``: rule name to its
    bit in a pair's ``rules``), with the comparisons that rule blocks on left out.
    """
    cols = gamma_columns(config)
    patterns = session.frame("link_pattern_counts", {"bit": -1}, gammas=GAMMAS, gamma_columns=cols)
    random_patterns = random_pair_patterns(
        session.con, RECORDS, config.comparisons, config.random_pairs, config.seed
    )
    sessions = tuple(
        (
            session.frame("link_pattern_counts", {"bit": rule_bits[rule]}, gammas=GAMMAS, gamma_columns=cols),
            excluded,
        )
        for rule, excluded in config.training
    )
    model = estimate(
        patterns,
        random_patterns,
        config.comparisons,
        sessions=sessions,
        match_share_init=config.match_share_init,
        max_iter=config.em_max_iter,
        tol=config.em_tol,
        fix_u=config.fix_u,
        total_pairs=_total_pairs(session, config),
    )
    return model, patterns


def score(
    session: LinkSession,
    config: LinkageConfig,
    model: ModelParameters,
    patterns: pl.DataFrame,
    tf: dict[str, str],
) -> str:
    """Every candidate pair's weight and probability (table ``lk_scored``); the vectors are dropped."""
    session.table_from(WEIGHTS, pattern_weights(patterns, model))
    # Millions of pairs share a few thousand explanations: an ENUM keeps one copy of each.
    session.execute("link_explanation_type", weights=WEIGHTS)
    session.create(
        SCORED,
        "link_score",
        gammas=GAMMAS,
        weights=WEIGHTS,
        gamma_columns=gamma_columns(config),
        tf_adjustments=tf["tf_adjustments"],
        tf_sum=tf["tf_sum"],
    )
    session.drop(WEIGHTS, GAMMAS)
    return SCORED
