"""Fellegi–Sunter model: m and u estimated without ground truth, then every pair scored.

* u ("how often do two different records agree at this level by chance") is
  measured on deterministic pseudo-random record pairs, almost all of which are
  non-matches.
* m ("how often do two records of the same person agree at this level") and the
  share of matches among the candidate pairs are estimated by EM over the
  candidate pairs, u held fixed. EM runs on the distinct comparison vectors
  with their counts (a few thousand rows, whatever the number of pairs), so it
  is cheap and exact.
* The scoring prior is the chance that two random records match (expected
  matches over all possible pairs), so a pair's weight is the evidence against
  a random pair, as in Fellegi–Sunter; letting EM also re-estimate u on the
  candidates (``fix_u=False``) makes the "non-match" class absorb whatever the
  blocking rules selected for, and was measured to confuse the classes.
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
    match_share: float  # share of matches among candidate pairs (EM's prior)
    prior: float  # probability that two records drawn at random match (the scoring prior)
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
    n = con.sql(render_sql("link_count", table=records)).fetchall()[0][0]
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


def _em(
    patterns: pl.DataFrame,
    comparisons: tuple[Comparison, ...],
    active: list[bool],
    m: list[np.ndarray],
    u: list[np.ndarray],
    lam: float,
    update_m: bool,
    update_u: bool,
    max_iter: int,
    tol: float,
) -> tuple[float, list[np.ndarray], list[np.ndarray], int, bool]:
    """EM over pattern counts; inactive comparisons are left out of the likelihood and not updated."""
    counts = patterns["n"].to_numpy().astype(np.float64)
    gammas = [patterns[c.column].to_numpy().astype(np.int64) for c in comparisons]
    used = tuple(c for c, a in zip(comparisons, active, strict=True) if a)
    m, u = [x.copy() for x in m], [x.copy() for x in u]
    it, converged = 0, False
    if counts.sum() == 0:
        # No pair to learn from (a county's corrected sheet of a few rows, say): the
        # parameters stay as given rather than becoming 0/0.
        return lam, m, u, it, True
    for step in range(1, max_iter + 1):
        it = step
        lm = _loglik(patterns, used, [m[j] for j, a in enumerate(active) if a]) + np.log(lam)
        lu = _loglik(patterns, used, [u[j] for j, a in enumerate(active) if a]) + np.log(1 - lam)
        w = 1.0 / (1.0 + np.exp(np.clip(lu - lm, -700, 700)))
        cw, cu = counts * w, counts * (1 - w)
        new_lam = float(np.clip(cw.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        delta = abs(new_lam - lam)
        for j, comp in enumerate(comparisons):
            if not active[j]:
                continue
            g = gammas[j]
            if update_m:
                mj = np.array([cw[g == k].sum() for k in range(comp.n_levels)]) + 1e-3
                mj = mj / mj.sum()
                delta = max(delta, float(np.abs(mj - m[j]).max()))
                m[j] = mj
            if update_u:
                uj = np.array([cu[g == k].sum() for k in range(comp.n_levels)]) + 1e-3
                uj = uj / uj.sum()
                delta = max(delta, float(np.abs(uj - u[j]).max()))
                u[j] = uj
        lam = new_lam
        if delta < tol:
            converged = True
            break
    return lam, m, u, it, converged


def estimate(
    patterns: pl.DataFrame,
    random_patterns: pl.DataFrame,
    comparisons: tuple[Comparison, ...],
    sessions: tuple[tuple[pl.DataFrame, tuple[str, ...]], ...] = (),
    match_share_init: float = 0.2,
    max_iter: int = 60,
    tol: float = 1e-6,
    fix_u: bool = True,
    total_pairs: int | None = None,
) -> ModelParameters:
    """Estimate m (and the prior) from candidate-pair comparison vectors (gamma columns + ``n``).

    ``sessions`` are training sessions as in Splink: the patterns of the pairs
    one blocking rule produced, with the comparisons that rule blocks on left
    out (inside the session they agree by construction, so they say nothing
    about m). Each comparison's m is the average over the sessions that
    estimate it; a comparison no session estimates keeps its configured guess,
    unless there are no sessions, when EM runs over all candidates.

    The scoring prior is the expected number of matches (EM's match share over
    all candidates, m and u held) over ``total_pairs``: weights then mean what
    Fellegi–Sunter says, evidence against a random pair.
    """
    u_random = (
        level_frequencies(random_patterns, comparisons)
        if random_patterns.height
        else [np.full(c.n_levels, 1.0 / c.n_levels) for c in comparisons]
    )
    m0 = [np.array(c.initial_m()) for c in comparisons]
    names = [c.name for c in comparisons]
    iterations, converged = 0, True
    if sessions:
        sums = [np.zeros(c.n_levels) for c in comparisons]
        seen = [0] * len(comparisons)
        for session_patterns, excluded in sessions:
            if session_patterns.height == 0:
                continue
            active = [n not in excluded for n in names]
            _, m_s, _, it, ok = _em(
                session_patterns, comparisons, active, m0, u_random, 0.5, True, False, max_iter, tol
            )
            iterations += it
            converged = converged and ok
            for j, a in enumerate(active):
                if a:
                    sums[j] += m_s[j]
                    seen[j] += 1
        m = [sums[j] / seen[j] if seen[j] else m0[j] for j in range(len(comparisons))]
        u = [x.copy() for x in u_random]
    else:
        _, m, u, iterations, converged = _em(
            patterns,
            comparisons,
            [True] * len(comparisons),
            m0,
            u_random,
            match_share_init,
            True,
            not fix_u,
            max_iter,
            tol,
        )
    # The match share among candidates, m and u held fixed.
    lam, _, _, it, ok = _em(
        patterns, comparisons, [True] * len(comparisons), m, u, match_share_init, False, False, max_iter, tol
    )
    iterations += it
    converged = converged and ok
    counts = patterns["n"].to_numpy().astype(np.float64)
    n_candidates = float(counts.sum())
    prior = float(np.clip(lam * n_candidates / total_pairs, 1e-12, 0.5)) if fix_u and total_pairs else lam
    return ModelParameters(
        comparisons=comparisons,
        match_share=lam,
        prior=prior,
        m=m,
        u=u,
        u_random=u_random,
        iterations=iterations,
        converged=converged,
        n_random_pairs=int(random_patterns["n"].sum()) if random_patterns.height else 0,
        n_candidate_pairs=int(n_candidates),
    )


def pattern_weights(patterns: pl.DataFrame, params: ModelParameters) -> pl.DataFrame:
    """Each distinct comparison vector with its match weight (bits) and a compact explanation.

    The weight is the prior log-odds plus the Bayes factor of every comparison;
    the explanation lists ``comparison:level(+bits)`` for each comparison, so a
    reviewer sees which evidence carried the decision.
    """
    prior = float(np.log2(params.prior / (1 - params.prior)))
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
