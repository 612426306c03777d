"""Emit stage: ledger and flags parquet, county workbooks, change and push lists, province summary.

``emit_period`` writes a half-year's outputs, the province's counts per county
included; ``summarize_period`` then writes the province summary workbook and
page, which also show the run's validation summary. They are the two entry
points the pipeline, the flows and ``taizhang rerun-county`` call. Everything it writes is masked
(``taizhang.masking.mask_sensitive``), sorted, atomic, and byte-identical on a rerun with the
same decisions.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from taizhang.emit.candidates import candidate_rows, candidates_table, write_candidates
from taizhang.emit.changes import CHANGE_LABELS, change_list
from taizhang.emit.county_workbook import write_county_workbooks
from taizhang.emit.keep_other_counties import merge_candidates, merge_counties
from taizhang.emit.ledger_display import people_frame
from taizhang.emit.province_counts import province_counts
from taizhang.emit.province_summary import write_province_counts, write_province_summary
from taizhang.emit.public_tables import flags_table, ledger_table, review_table, write_tables
from taizhang.emit.push_lists import write_push_lists
from taizhang.emit.review_sheet import case_people
from taizhang.masking import mask_sensitive
from taizhang.period import Period

__all__ = [
    "DecisionsLike",
    "change_list",
    "emit_period",
    "mask_sensitive",
    "read_previous_ledger",
    "summarize_period",
]


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digests(files: dict[str, Path], out_dir: Path) -> dict[str, str]:
    """The sha256 of each file written, by its path relative to ``out_dir``."""
    return {str(p.relative_to(out_dir)): _sha256(p) for p in sorted(set(files.values()))}


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
    ``push/<code>_<name>.xlsx``, ``province_summary.parquet`` (the workbook and page of the
    province summary are :func:`summarize_period`'s).
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
        ledger_in, flags_in, review_in = merge_counties(ledger_in, flags_in, review_in, out_dir, counties)

    previous = read_previous_ledger(previous_dir)
    changes = change_list(ledger_in, previous, period.as_of, getattr(decisions, "merged_ids", None))
    ledger = ledger_table(ledger_in, changes)
    flags = flags_table(flags_in)
    del ledger_in, flags_in  # the tables are sorted copies: hold the province's flags once
    review = review_table(review_in)

    candidates = candidates_table(getattr(decisions, "candidates", None))
    if counties is not None:
        candidates = merge_candidates(candidates, out_dir, counties)

    files: dict[str, Path] = dict(write_tables(ledger, flags, changes, review, out_dir))
    flag_rows = flags.height
    del flags  # the province's flags are written: free them before the workbooks
    files["candidates"] = write_candidates(candidates, out_dir)
    people = people_frame(ledger, changes)
    everyone = case_people(people, getattr(decisions, "profiles", None))
    county_files = write_county_workbooks(
        out_dir,
        period,
        people,
        changes,
        review,
        everyone,
        counties,
        candidates=candidate_rows(candidates),
    )
    push_files = write_push_lists(out_dir, period, people)
    placed = review.join(everyone.select("child_id", "residence_county"), on="child_id", how="left")
    summary = province_counts(ledger, changes, placed["residence_county"])
    files.update(write_province_counts(out_dir, summary))
    files.update({f"county:{c}": p for c, p in county_files.items()})
    files.update({f"push:{c}": p for c, p in push_files.items()})

    change_counts = dict(changes.group_by("change").len().sort("change").iter_rows())
    return {
        "period": str(period),
        "ledger_rows": ledger.height,
        "flag_rows": flag_rows,
        "review_rows": review.height,
        "candidate_rows": candidates.height,
        **{f"change_{kind}": change_counts.get(kind, 0) for kind in CHANGE_LABELS},
        "county_workbooks_written": len(county_files),
        "push_lists": len(push_files),
        "counties_written": sorted(county_files),
        "files": _digests(files, out_dir),
    }


def summarize_period(out_period_dir: Path, period: Period | str) -> dict[str, Any]:
    """Write ``province_summary.{xlsx,html}`` into ``out_period_dir``, from the counts
    :func:`emit_period` wrote there and its ``validation/summary.json``.

    Returns the sha256 of the files written (paths relative to ``out_period_dir``).
    """
    period = Period.parse(period) if isinstance(period, str) else period
    out_dir = Path(out_period_dir)
    return {"files": _digests(write_province_summary(out_dir, period), out_dir)}
