"""Emit stage: ledger and flags parquet, county workbooks, change and push lists, province summary.

``emit_period`` is the one entry point the pipeline, the flows and
``taizhang rerun-county`` call. Everything it writes is masked
(``taizhang.masking.mask_sensitive``), sorted, atomic, and byte-identical on a rerun with the
same decisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from taizhang.emit.candidates import candidate_rows, candidates_table, write_candidates
from taizhang.emit.changes import CHANGE_LABELS, change_list
from taizhang.emit.county_workbook import case_people, write_county_workbooks
from taizhang.emit.display import people_frame
from taizhang.emit.ledger import flags_table, ledger_table, review_table, write_tables
from taizhang.emit.province_summary import province_summary, write_province_summary
from taizhang.emit.push_lists import write_push_lists
from taizhang.masking import mask_sensitive
from taizhang.period import Period

__all__ = ["DecisionsLike", "change_list", "emit_period", "mask_sensitive", "read_previous_ledger"]


class DecisionsLike(Protocol):
    """What the decision stage hands over (``taizhang.rules`` ``Decisions``)."""

    ledger: pl.DataFrame
    flags: pl.DataFrame
    review: pl.DataFrame | None
    # Optional: ``previous_child_id, child_id`` of last half-year's ids linkage merged into others.


def read_previous_ledger(previous_dir: Path | None) -> pl.DataFrame | None:
    """The previous half-year's ``ledger.parquet``, or None when there is no previous run."""
    if previous_dir is None:
        return None
    path = Path(previous_dir) / "ledger.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"previous run folder {previous_dir} has no ledger.parquet")
    return pl.read_parquet(path)


def _merge_counties(
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


def _merge_candidates(fresh: pl.DataFrame, out_dir: Path, counties: Sequence[str]) -> pl.DataFrame:
    """For a county rerun: fresh candidates of ``counties``, the last emitted ones of every other county."""
    path = out_dir / "candidates.parquet"
    if not path.is_file():
        return fresh
    wanted = pl.col("residence_county").is_in(list(counties))
    old = pl.read_parquet(path).filter(~wanted)
    return candidates_table(pl.concat([old, fresh.filter(wanted)], how="diagonal_relaxed"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def emit_period(
    decisions: DecisionsLike,
    out_period_dir: Path,
    period: Period | str,
    previous_dir: Path | None,
    counties: list[str] | None = None,
) -> dict[str, Any]:
    """Write every output of one half-year into ``out_period_dir``.

    Files: ``ledger.parquet`` (with ``change``), ``flags.parquet``, ``candidates.parquet``,
    ``changes.parquet``, ``review.parquet``, ``counties/<code>_<name>.xlsx``,
    ``push/<code>_<name>.xlsx``, ``province_summary.{parquet,xlsx}``.
    ``previous_dir`` is the previous half-year's output folder (its
    ``ledger.parquet`` drives the change list); None makes every child ``new``.

    ``counties=None`` writes all county workbooks. A list of codes rewrites only
    those counties' workbooks; the ledger, flags and review rows of other
    counties are kept as last emitted, so their workbooks stay byte-identical
    and province-level files change only where the rerun counties did.

    Returns a report without personal information: integer counts
    (``ledger_rows``, ``flag_rows``, ``review_rows``, ``change_<kind>``,
    ``county_workbooks_written``, ``push_lists``), the counties written and the
    sha256 of every file written (paths relative to ``out_period_dir``).
    """
    period = Period.parse(period) if isinstance(period, str) else period
    out_dir = Path(out_period_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    review_in = review_table(getattr(decisions, "review", None))
    ledger_in, flags_in = decisions.ledger, decisions.flags
    if counties is not None:
        ledger_in, flags_in, review_in = _merge_counties(ledger_in, flags_in, review_in, out_dir, counties)

    previous = read_previous_ledger(previous_dir)
    changes = change_list(ledger_in, previous, period.as_of, getattr(decisions, "merged_ids", None))
    ledger = ledger_table(ledger_in, changes)
    flags = flags_table(flags_in)
    review = review_table(review_in)

    candidates = candidates_table(getattr(decisions, "candidates", None))
    if counties is not None:
        candidates = _merge_candidates(candidates, out_dir, counties)

    files: dict[str, Path] = dict(write_tables(ledger, flags, changes, review, out_dir))
    files["candidates"] = write_candidates(candidates, out_dir)
    people = people_frame(ledger, changes)
    county_files = write_county_workbooks(
        out_dir,
        period,
        people,
        changes,
        review,
        counties,
        profiles=getattr(decisions, "profiles", None),
        candidates=candidate_rows(candidates),
    )
    push_files = write_push_lists(out_dir, period, people)
    placed = review.join(
        case_people(people, getattr(decisions, "profiles", None)).select("child_id", "residence_county"),
        on="child_id",
        how="left",
    )
    summary = province_summary(ledger, changes, placed["residence_county"])
    files.update(write_province_summary(out_dir, period, summary))
    files.update({f"county:{c}": p for c, p in county_files.items()})
    files.update({f"push:{c}": p for c, p in push_files.items()})

    change_counts = dict(changes.group_by("change").len().sort("change").iter_rows())
    return {
        "period": str(period),
        "ledger_rows": ledger.height,
        "flag_rows": flags.height,
        "review_rows": review.height,
        "candidate_rows": candidates.height,
        **{f"change_{kind}": change_counts.get(kind, 0) for kind in CHANGE_LABELS},
        "county_workbooks_written": len(county_files),
        "push_lists": len(push_files),
        "counties_written": sorted(county_files),
        "files": {str(p.relative_to(out_dir)): _sha256(p) for p in sorted(set(files.values()))},
    }
