"""One county of a finished half-year decided and emitted again, without relinking the province.

For a county analyst whose child director handed in a corrected field-visit
sheet, or who wants the county's workbook rebuilt. :func:`rerun_county` reads
as the rerun does: prepare the county's work folder (and link the corrected
sheet against this period's registry), decide, emit that county's files,
record the rerun. The ``county-rerun`` flow runs the same steps with emit as
a Prefect task. Only that county's files are rewritten; every other output of
the period stays byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from taizhang import audit, sealed, stages
from taizhang.division_reference import county_names
from taizhang.errors import PipelineError
from taizhang.period import Period
from taizhang.pipeline import find_previous, is_complete_period_dir
from taizhang.private_folders import owner_only
from taizhang.publish import clean_stale, move_into_place, work_dir_for
from taizhang.run_guard import guarded
from taizhang.run_report import RunOutcome
from taizhang.stage_cache import file_digest
from taizhang.versions import versions


def check_county(county: str) -> str:
    """The county's 6-digit code, or a clear error when it is not a Jilin county-level division."""
    code = county.strip()
    if code not in county_names():
        raise PipelineError(
            "bad_county",
            f"「{county}」不是吉林省的县级区划代码（6 位，如 220102）。",
            f"{county!r} is not a Jilin county-level division code (6 digits, e.g. 220102).",
        )
    return code


def corrected_field_visits(
    state: Path, county: str, sheet: Path, period: Period, into: Path
) -> dict[str, int]:
    """Replace one county's field-visit records in the linked state by a corrected sheet.

    The corrected rows are standardized and linked against this period's
    registry only, so the rest of the province is not relinked; their new
    ``record_id`` values follow the largest existing one. Rows of another
    county (a prefecture's whole sheet, say) are left out: they are not this
    county's to correct, and keeping them would duplicate that county's records.
    """
    # Read, standardized and linked only when a sheet is given: a rerun without one loads none of these.
    from matchers.configs.children import children_config
    from matchers.engine import link as link_records
    from taizhang.ingest import read_extracts
    from transforms.standardize import standardize_records

    if not sheet.is_file():
        raise PipelineError(
            "field_visits_missing",
            f"找不到走访表 {sheet}。",
            f"the field-visit sheet {sheet} does not exist.",
        )
    with tempfile.TemporaryDirectory(prefix=".field-visits-", dir=into) as tmp:
        staging = Path(tmp)
        shutil.copy2(sheet, staging / f"field_visits_{county}{sheet.suffix.lower()}")
        staged = read_extracts(staging).staged.get("field_visits")
    if staged is not None:
        # The copy's name tells the reader which source the sheet is; the evidence names the sheet
        # the county analyst gave, which is the file they will open.
        staged = staged.with_columns(pl.lit(sheet.name).alias("file"))
    if staged is None or staged.height == 0:
        raise PipelineError(
            "field_visits_unreadable",
            f"走访表 {sheet.name} 中没有可读的行（表头应与 field_visits 来源一致）。",
            f"the field-visit sheet {sheet.name} has no readable row (its headers must match field_visits).",
        )
    records = sealed.read_frame(state / "std_records.parquet")
    record_child = sealed.read_frame(state / "record_child.parquet")
    fresh = standardize_records({"field_visits": staged}, today=period.as_of)
    elsewhere = pl.col("residence_county").is_not_null() & (pl.col("residence_county") != county)
    counts = {
        "field_visit_rows": fresh.height,
        "field_visit_rows_of_other_counties": fresh.filter(elsewhere).height,
    }
    fresh = fresh.filter(~elsewhere)
    if fresh.height == 0:
        raise PipelineError(
            "field_visits_other_county",
            f"走访表 {sheet.name} 中没有 {county} 的行（居住地区划代码）。",
            f"the field-visit sheet {sheet.name} has no row of county {county} (residence county column).",
        )
    fresh = fresh.with_columns(pl.col("record_id") + (records["record_id"].max() or 0) + 1)
    fresh_links = link_records(
        fresh, children_config(), sealed.read_frame(state / "registry.parquet")
    ).record_child
    stale = records.filter(
        (pl.col("source") == "field_visits") & (pl.col("residence_county") == county)
    ).select("record_id")
    records = pl.concat([records.join(stale, on="record_id", how="anti"), fresh], how="diagonal_relaxed")
    record_child = pl.concat(
        [record_child.join(stale, on="record_id", how="anti"), fresh_links.select(record_child.columns)]
    )
    stages.write_sorted(records, into / "std_records.parquet", ("record_id",))
    stages.write_sorted(record_child, into / "record_child.parquet", ("record_id",))
    for name in ("std_guardians.parquet", "std_status.parquet", "registry.parquet"):
        shutil.copy2(state / name, into / name)
    # The pairs a rename veto kept apart are the linker's, and the linker did not run again: a pair
    # whose record the sheet replaced finds no record and drops out of review by itself.
    if (state / "link_vetoed_apart.parquet").exists():
        shutil.copy2(state / "link_vetoed_apart.parquet", into / "link_vetoed_apart.parquet")
    return counts


@dataclass
class CountyRerun:
    """One county's rerun in progress: where decide reads and writes, and what the sheet changed."""

    county: str
    period: Period
    period_dir: Path
    previous_dir: Path | None
    linked_state: Path  # the period's linked state, or a copy with the corrected sheet's records
    decided: Path
    field_visits: Path | None
    sheet_counts: dict[str, int] = field(default_factory=dict)
    started: float = 0.0

    @property
    def previous_ledger(self) -> Path | None:
        return self.previous_dir / "ledger.parquet" if self.previous_dir else None


@contextlib.contextmanager
def county_work(county: str, period: Period, out: Path, field_visits: Path | None) -> Iterator[CountyRerun]:
    """Check the county and the period, and hold a work folder for the rerun while it lasts."""
    county = check_county(county)
    period_dir = out / str(period)
    if not is_complete_period_dir(period_dir):
        raise PipelineError(
            "period_missing",
            f"{period_dir} 不是一次完整的运行结果，请先运行 taizhang run。",
            f"{period_dir} is not a complete run; run `taizhang run` for {period} first.",
        )
    state = period_dir / "state"
    previous_dir = find_previous(out, period)
    started = time.perf_counter()
    clean_stale(out, f"{period}-{county}")
    with work_dir_for(out, f"{period}-{county}") as work:
        linked_state = state
        sheet_counts: dict[str, int] = {}
        if field_visits is not None:
            linked_state = work / "linked"
            linked_state.mkdir()
            sheet_counts = corrected_field_visits(state, county, Path(field_visits), period, linked_state)
        decided = work / "decided"
        decided.mkdir()
        yield CountyRerun(
            county,
            period,
            period_dir,
            previous_dir,
            linked_state,
            decided,
            field_visits,
            sheet_counts,
            started,
        )


def record_rerun(
    run: CountyRerun, counts: dict[str, int], emit_counts: dict[str, int], summary_counts: dict[str, int]
) -> RunOutcome:
    """Keep the corrected records as the period's linked state and write the rerun's report."""
    state = run.period_dir / "state"
    report: dict[str, Any] = {
        "period": str(run.period),
        "county": run.county,
        "field_visits_digest": file_digest(Path(run.field_visits)) if run.field_visits else None,
        "field_visits": run.sheet_counts,
        "stages": {
            "decide": {"counts": counts},
            "emit": {"counts": emit_counts},
            "summarize": {"counts": summary_counts},
        },
        "total_seconds": round(time.perf_counter() - run.started, 3),
        "versions": versions(),
    }
    if run.field_visits is not None:
        # Keep the corrected records as the period's linked state, so a later rerun of
        # this or another county starts from them (each file replaced atomically).
        for name in ("std_records.parquet", "record_child.parquet"):
            move_into_place(run.linked_state / name, state / name)
    reruns = state / "county_reruns"
    reruns.mkdir(exist_ok=True)
    (reruns / f"{run.county}.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    owner_only(run.period_dir)
    return RunOutcome(str(run.period), run.period_dir, report)


@contextlib.contextmanager
def guarded_rerun(
    county: str, period: Period, out: Path, field_visits: Path | None
) -> Iterator[dict[str, Any]]:
    """The output folder's lock, key and audit line for one county's rerun (:func:`guarded`)."""
    fields = {"period": str(period), "county": county.strip()}
    with guarded(Path(out), "rerun-county", create_key=False, **fields) as entry:
        if field_visits is not None and Path(field_visits).is_file():
            entry["inputs_digest"] = file_digest(Path(field_visits))
        yield entry


def rerun_county(
    county: str, period: Period | str, out: Path, field_visits: Path | None = None
) -> RunOutcome:
    """Decide and emit one county again from the period's linked state, without relinking.

    Only that county's files are rewritten; every other output of the period
    stays byte for byte as it was. The audit line names who ran it.
    """
    period, out = Period.of(period), Path(out)
    with guarded_rerun(county, period, out, field_visits) as entry:
        with county_work(county, period, out, field_visits) as run:
            outcome = decide_and_emit(run, period, stages.emit, stages.summarize)
        entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    return outcome


def decide_and_emit(
    run: CountyRerun,
    period: Period,
    emit: Callable[..., dict[str, int]],
    summarize: Callable[..., dict[str, int]],
) -> RunOutcome:
    """The rerun's stages over the linked state: decide, emit the one county, then the province
    summary again (its counts changed where the county's did).

    ``emit`` and ``summarize`` are ``stages.emit`` and ``stages.summarize`` or, in the Prefect flow,
    the same functions wrapped as tasks.
    """
    counts = stages.decide(
        std_dir=run.linked_state,
        link_dir=run.linked_state,
        period=period,
        into=run.decided,
        previous_ledger=run.previous_ledger,
    )
    emit_counts = emit(
        decide_dir=run.decided,
        out_period_dir=run.period_dir,
        period=period,
        previous_dir=run.previous_dir,
        counties=[run.county],
    )
    return record_rerun(run, counts, emit_counts, summarize(out_period_dir=run.period_dir, period=period))
