"""What a person reads of a linkage: the kept pairs, the pairs nearest the threshold, and the pairs a
veto kept apart that ended as two persons."""

from __future__ import annotations

import numpy as np
import polars as pl

from matchers.constraints import FLAGGED, flag_floor, guard_sql, veto_sql
from matchers.session import RECORDS, LinkSession
from matchers.settings import LinkageConfig


def kept_pairs(session: LinkSession, config: LinkageConfig) -> pl.DataFrame:
    """The scored pairs at least ``keep_pairs_above`` likely, with their flags, gammas and weights, in
    ``(l, r)`` order."""
    return session.frame("link_kept_pairs", {"floor": config.keep_pairs_above}, flagged=FLAGGED)


def review_sample(session: LinkSession, config: LinkageConfig, scored: str) -> pl.DataFrame:
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
    return session.frame(
        "link_review_sample",
        {"t": t, "n": config.review_size, "flag_floor": flag_floor(config)},
        flagged=FLAGGED,
        scored=scored,
        records=RECORDS,
        sides=", ".join(side),
        cannot_link=guard_sql(config),
        vetoed=veto_sql(config),
    )


def vetoed_apart(pairs: pl.DataFrame, record_child: pl.DataFrame, threshold: float) -> pl.DataFrame:
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
