"""What a county rerun keeps: the other counties' rows exactly as they were last emitted.

``taizhang rerun-county`` decides one county again; the province-level files it
rewrites (ledger, flags, review, candidates) take that county's fresh rows and
every other county's rows from the files already published, so a rerun never
changes what another county was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from taizhang.emit.candidates import candidates_table


def merge_counties(
    fresh_ledger: pl.DataFrame,
    fresh_flags: pl.DataFrame,
    fresh_review: pl.DataFrame,
    out_dir: Path,
    counties: Sequence[str],
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """For a county rerun: fresh rows of ``counties``, the last emitted rows of every other county.

    A rerun must not change what other counties were given, even when the
    fresh decisions differ for them, so their ledger, flag and review rows are
    read back from the files already in ``out_dir``.
    """
    paths = {n: out_dir / f"{n}.parquet" for n in ("ledger", "flags", "review")}
    if not paths["ledger"].is_file():
        return fresh_ledger, fresh_flags, fresh_review
    wanted = pl.col("residence_county").is_in(list(counties))
    fresh = fresh_ledger.filter(wanted)
    old = pl.read_parquet(paths["ledger"]).drop("change", strict=False)
    kept = old.filter(~wanted & ~pl.col("child_id").is_in(fresh["child_id"].implode()))
    kept_ids = kept["child_id"].implode()

    def merged(name: str, fresh_rows: pl.DataFrame) -> pl.DataFrame:
        old_rows = pl.read_parquet(paths[name]) if paths[name].is_file() else fresh_rows.clear()
        return pl.concat(
            [
                old_rows.filter(pl.col("child_id").is_in(kept_ids)),
                fresh_rows.filter(~pl.col("child_id").is_in(kept_ids)),
            ],
            how="diagonal_relaxed",
        )

    ledger = pl.concat([kept, fresh], how="diagonal_relaxed")
    return ledger, merged("flags", fresh_flags), merged("review", fresh_review)


def merge_candidates(fresh: pl.DataFrame, out_dir: Path, counties: Sequence[str]) -> pl.DataFrame:
    """For a county rerun: fresh candidates of ``counties``, the last emitted ones of every other county."""
    path = out_dir / "candidates.parquet"
    if not path.is_file():
        return fresh
    wanted = pl.col("residence_county").is_in(list(counties))
    old = pl.read_parquet(path).filter(~wanted)
    return candidates_table(pl.concat([old, fresh.filter(wanted)], how="diagonal_relaxed"))
