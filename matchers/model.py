"""Fellegi–Sunter model: m and u estimated without ground truth, then every pair scored.

* u ("how often do two different records agree at this level by chance") is
  measured on deterministic pseudo-random record pairs, almost all of which are
  non-matches.
* m ("how often do two records of the same person agree at this level") and the
  share of matches among the candidate pairs are estimated by EM over the
  candidate pairs. EM runs on the distinct comparison vectors with their counts
  (a few thousand rows, whatever the number of pairs), so it is cheap and exact.
  By default u is re-estimated too, starting from the random-pair u: candidate
  non-matches agree far more often than random pairs on the fields they were
  blocked on (siblings share guardians, pairs blocked on birth date share it),
  and a u fixed at the random-pair value would read that agreement as evidence
  of a match.
* Term-frequency adjustment: an exact match on a value is worth
  ``log2(u_random_exact / tf(value))`` bits more (or less) than on an average
  value, so 张伟 counts less than 欧阳婧.

Initialisation is fixed (the m guesses in the configuration, random-pair u),
iterations and tolerance are fixed, and all sums run in a fixed order, so the
model is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from matchers.comparisons import Comparison
from sql import render_sql

_FLOOR = 1e-6


@dataclass
class ModelParameters:
    """Estimated parameters; ``frame()`` lays them out for a person to read."""

    comparisons: tuple[Comparison, ...]
    match_share: float  # share of matches among candidate pairs (the prior)
    m: list[np.ndarray]
    u: list[np.ndarray]
    u_random: list[np.ndarray]
    iterations: int
    converged: bool
    n_random_pairs: int
    n_candidate_pairs: int

    def log2_bf(self, j: int) -> np.ndarray:
        """Bayes factor (bits) of each level of comparison ``j``."""
        return np.log2(np.maximum(self.m[j], _FLOOR) / np.maximum(self.u[j], _FLOOR))

    def frame(self) -> pl.DataFrame:
        """One row per comparison level: m, u, random-pair u and the Bayes factor in bits."""
        rows = []
        for j, comp in enumerate(self.comparisons):
            bf = self.log2_bf(j)
            for g in range(comp.n_levels):
                rows.append(
                    {
                        "comparison": comp.name,
                        "gamma": g,
                        "level": comp.label(g),
                        "m": float(self.m[j][g]),
                        "u": float(self.u[j][g]),
                        "u_random": float(self.u_random[j][g]),
                        "log2_bayes_factor": float(bf[g]),
                    }
                )
        return pl.DataFrame(rows)


def level_frequencies(patterns: pl.DataFrame, comparisons: tuple[Comparison, ...]) -> list[np.ndarray]:
    """Share of each non-null level per comparison, from (gamma columns, ``n``) pattern counts."""
    counts = patterns["n"].to_numpy().astype(np.float64)
    out = []
    for comp in comparisons:
        g = patterns[comp.column].to_numpy()
        freq = np.array([counts[g == k].sum() for k in range(comp.n_levels)], dtype=np.float64)
        # Add-one smoothing: a level never seen among random pairs is rare, not impossible.
        freq = freq + 1.0
        out.append(freq / freq.sum())
    return out


def random_pair_patterns(
    con: duckdb.DuckDBPyConnection,
    records: str,
    comparisons: tuple[Comparison, ...],
    target_pairs: int,
    seed: int,
) -> pl.DataFrame:
    """Comparison-vector counts over deterministic pseudo-random pairs of records.

    Records are ordered by a seeded hash; the first ``m`` are each paired with
    the next ``k`` in that order, so about ``target_pairs`` pairs result.
    """
    n = con.sql(f"SELECT count(*) FROM {records}").fetchall()[0][0]
    if n < 2:
        return pl.DataFrame()
    k = max(1, min(n - 1, -(-target_pairs // n)))
    m = min(n, -(-target_pairs // k))
    con.execute(
        render_sql("link_random_pairs", out="lk_random_pairs", records=records),
        {"seed": seed, "k": k, "m": m},
    )
    patterns = gamma_patterns(con, "lk_random_pairs", records, comparisons)
    con.execute("DROP TABLE IF EXISTS lk_random_pairs")
    return patterns


def gamma_patterns(
    con: duckdb.DuckDBPyConnection, pairs: str, records: str, comparisons: tuple[Comparison, ...]
) -> pl.DataFrame:
    """Distinct comparison vectors of a pair table (``l``, ``r``) with their counts."""
    cols = ", ".join(c.column for c in comparisons)
    gammas = ",\n       ".join(c.gamma_sql() for c in comparisons)
    return con.sql(
        render_sql("link_gamma_patterns", pairs=pairs, records=records, gammas=gammas, gamma_columns=cols)
    ).pl()


def _loglik(
    patterns: pl.DataFrame, comparisons: tuple[Comparison, ...], probs: list[np.ndarray]
) -> np.ndarray:
    total = np.zeros(patterns.height)
    for j, comp in enumerate(comparisons):
        g = patterns[comp.column].to_numpy().astype(np.int64)
        p = np.log(np.maximum(probs[j], _FLOOR))
        total += np.where(g >= 0, p[np.clip(g, 0, None)], 0.0)
    return total


def estimate(
    patterns: pl.DataFrame,
    random_patterns: pl.DataFrame,
    comparisons: tuple[Comparison, ...],
    match_share_init: float = 0.2,
    max_iter: int = 60,
    tol: float = 1e-6,
    fix_u: bool = False,
) -> ModelParameters:
    """EM over candidate-pair comparison vectors (``patterns``: gamma columns + ``n``)."""
    u_random = (
        level_frequencies(random_patterns, comparisons)
        if random_patterns.height
        else [np.full(c.n_levels, 1.0 / c.n_levels) for c in comparisons]
    )
    m = [np.array(c.initial_m()) for c in comparisons]
    u = [x.copy() for x in u_random]
    lam = match_share_init
    counts = patterns["n"].to_numpy().astype(np.float64)
    gammas = [patterns[c.column].to_numpy().astype(np.int64) for c in comparisons]
    converged = False
    it = 0
    for step in range(1, max_iter + 1):
        it = step
        lm = _loglik(patterns, comparisons, m) + np.log(lam)
        lu = _loglik(patterns, comparisons, u) + np.log(1 - lam)
        w = 1.0 / (1.0 + np.exp(np.clip(lu - lm, -700, 700)))
        cw, cu = counts * w, counts * (1 - w)
        new_lam = float(np.clip(cw.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        new_m, new_u = [], []
        for j, comp in enumerate(comparisons):
            g = gammas[j]
            mj = np.array([cw[g == k].sum() for k in range(comp.n_levels)]) + 1e-3
            new_m.append(mj / mj.sum())
            if fix_u:
                new_u.append(u[j])
            else:
                uj = np.array([cu[g == k].sum() for k in range(comp.n_levels)]) + 1e-3
                new_u.append(uj / uj.sum())
        delta = max(
            abs(new_lam - lam),
            max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
            max(float(np.abs(a - b).max()) for a, b in zip(new_u, u, strict=True)),
        )
        lam, m, u = new_lam, new_m, new_u
        if delta < tol:
            converged = True
            break
    return ModelParameters(
        comparisons=comparisons,
        match_share=lam,
        m=m,
        u=u,
        u_random=u_random,
        iterations=it,
        converged=converged,
        n_random_pairs=int(random_patterns["n"].sum()) if random_patterns.height else 0,
        n_candidate_pairs=int(counts.sum()),
    )


def pattern_weights(patterns: pl.DataFrame, params: ModelParameters) -> pl.DataFrame:
    """Each distinct comparison vector with its match weight (bits) and a compact explanation.

    The weight is the prior log-odds plus the Bayes factor of every comparison;
    the explanation lists ``comparison:level(+bits)`` for each comparison, so a
    reviewer sees which evidence carried the decision.
    """
    prior = float(np.log2(params.match_share / (1 - params.match_share)))
    weight = np.full(patterns.height, prior)
    parts = []
    for j, comp in enumerate(params.comparisons):
        g = patterns[comp.column].to_numpy().astype(np.int64)
        bf = params.log2_bf(j)
        contrib = np.where(g >= 0, bf[np.clip(g, 0, None)], 0.0)
        weight += contrib
        labels = np.array([comp.label(k) for k in range(-1, comp.n_levels)], dtype=object)
        text = [f"{comp.name}:{lab}({c:+.1f})" for lab, c in zip(labels[g + 1], contrib, strict=True)]
        parts.append(text)
    explanation = [" ".join(row) for row in zip(*parts, strict=True)] if parts else []
    return patterns.select([c.column for c in params.comparisons]).with_columns(
        pl.Series("base_weight", weight), pl.Series("explanation", explanation, dtype=pl.Utf8)
    )
