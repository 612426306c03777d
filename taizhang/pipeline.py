"""The runner: one half-year's stages in order, published atomically; and validation alone.

:func:`run_period` reads as the pipeline does: ingest, validate,
standardize, link, decide (each a cached stage, :mod:`taizhang.stage_cache`),
then emit into a temporary period folder that is published whole
(:mod:`taizhang.publish`). The Prefect flow ``semiannual_ledger`` runs the same
stage functions (:mod:`taizhang.stages`) as tasks, between the same
:func:`plan_period` and :func:`publishing`.

A run is assembled in ``<out>/.<period>.tmp-*`` and renamed to
``<out>/<period>`` only when every stage succeeded; the previous folder of that
period is renamed aside first and deleted last, so a reader sees either the old
or the new complete folder, never a half-written one.

Nothing here logs or raises a value from a record: messages carry stage names,
file names, row numbers and counts.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taizhang import peak_memory, sealed, stages
from taizhang.errors import PipelineError
from taizhang.period import Period
from taizhang.private_folders import private_dir
from taizhang.publish import link_or_copy, publish, work_dir_for
from taizhang.run_guard import guarded, record_outcome
from taizhang.run_report import RunOutcome, write_run_report
from taizhang.stage_cache import (
    STAGE_MARKER,
    StageResult,
    cache_root_for,
    extracts_digest,
    ingest_key,
    release_freed_memory,
    run_stage,
    stage_keys,
    validate_key,
)
from taizhang.stage_public_tables import write_public_tables, write_validation_reports
from taizhang.versions import versions

# --------------------------------------------------------------------------- previous half-year


def is_complete_period_dir(path: Path) -> bool:
    return (path / "state" / "registry.parquet").is_file()


def find_previous(out: Path, period: Period) -> Path | None:
    """The latest earlier half-year published in ``out`` (with a registry to carry child ids)."""
    if not out.is_dir():
        return None
    earlier = []
    for child in out.iterdir():
        try:
            p = Period.parse(child.name)
        except ValueError:
            continue
        if p < period and child.is_dir() and is_complete_period_dir(child):
            earlier.append((p, child))
    return max(earlier)[1] if earlier else None


def resolve_previous(out: Path, period: Period, previous: Path | None) -> Path | None:
    if previous is None:
        return find_previous(out, period)
    if not is_complete_period_dir(previous):
        raise PipelineError(
            "previous_missing",
            f"上期文件夹 {previous} 不是一次完整的运行结果（缺少 state/registry.parquet）。",
            f"the previous half-year folder {previous} is not a complete run (no state/registry.parquet).",
        )
    return previous


# --------------------------------------------------------------------------- one half-year


@dataclass(frozen=True)
class PeriodPlan:
    """What a half-year's run reads and where its stages are cached, fixed before any stage runs."""

    extracts: Path
    period: Period
    out: Path
    extracts_key: str
    previous_dir: Path | None
    keys: dict[str, str]
    cache_root: Path
    started: float

    @property
    def previous_registry(self) -> Path | None:
        return self.previous_dir / "state" / "registry.parquet" if self.previous_dir else None

    @property
    def previous_ledger(self) -> Path | None:
        return self.previous_dir / "ledger.parquet" if self.previous_dir else None

    def stage(self, name: str, fn: Callable[..., dict[str, int]], **inputs: Any) -> StageResult:
        """Run the cached stage ``name`` in this process (or take it from the cache)."""
        return run_stage(self.cache_root, name, self.keys[name], fn, **inputs)


def plan_period(extracts: Path, period: Period, out: Path, previous: Path | None = None) -> PeriodPlan:
    """Hash the extracts, find last half-year's folder and key every stage of this run."""
    started = time.perf_counter()
    extracts, out = Path(extracts), Path(out)
    extracts_key = extracts_digest(extracts)
    previous_dir = resolve_previous(out, period, Path(previous) if previous else None)
    registry = previous_dir / "state" / "registry.parquet" if previous_dir else None
    ledger = previous_dir / "ledger.parquet" if previous_dir else None
    return PeriodPlan(
        extracts=extracts,
        period=period,
        out=out,
        extracts_key=extracts_key,
        previous_dir=previous_dir,
        keys=stage_keys(extracts_key, period, registry, ledger),
        cache_root=private_dir(cache_root_for(out)),
        started=started,
    )


def run_period(extracts: Path, period: Period | str, out: Path, previous: Path | None = None) -> RunOutcome:
    """Run the stages for one half-year and publish ``<out>/<period>`` atomically.

    One run at a time per output folder (:func:`guarded`).
    """
    period = Period.of(period)
    with guarded(Path(out), "run", period=str(period), extracts=str(extracts)) as entry:
        plan = plan_period(extracts, period, out, previous)
        outcome = build_period(plan, plan.stage, stage_functions(), stages.emit, stages.summarize)
        return record_outcome(entry, outcome)


def stage_functions() -> dict[str, Callable[..., dict[str, int]]]:
    """The cached stages of a half-year, by name, run in this process (the flow wraps each as a task).

    Looked up when a run starts, so a test that replaces a function of ``taizhang.stages`` is heard.
    """
    return {
        "ingest": stages.ingest,
        "validate": stages.validate,
        "standardize": stages.standardize,
        "link": stages.link,
        "decide": stages.decide,
    }


def build_period(
    plan: PeriodPlan,
    run_stage: Callable[..., StageResult],
    stage_fns: dict[str, Any],
    emit: Callable[..., dict[str, int]],
    summarize: Callable[..., dict[str, int]],
) -> RunOutcome:
    """The stages of ``plan`` in order, then the period published whole.

    ``run_stage(name, fn, **inputs)`` runs one cached stage: ``PeriodPlan.stage`` here, the flow's
    task runner in Prefect; ``stage_fns``, ``emit`` and ``summarize`` are the stage functions or
    their tasks.

    Ingest hands each source to the validation worker as it reads it. On small extracts the
    validate stage, which waits for the worker's answers and writes the liaison reports, runs
    beside standardize, link, decide and emit (:func:`validating_beside`): there the worker's start
    (GX's import, about 2 s of a core) is longer than the reading, and the rest of the run need not
    wait for it. Only the province summary (``summarize``), which shows the validation summary,
    waits. On larger extracts validate runs straight after ingest, so the worker's memory is given
    back before standardize takes the most.
    """
    from expectations import in_flight
    from expectations.validation_process import stop_early

    period = plan.period
    validation_key = plan.keys["ingest"]
    ingest = run_stage("ingest", stage_fns["ingest"], extracts=plan.extracts, validation_key=validation_key)

    def validate() -> StageResult:
        try:
            return run_stage(
                "validate", stage_fns["validate"], ingest_dir=ingest.path, validation_key=validation_key
            )
        finally:
            # Workers nobody needs now: those the command started when both stages came from the
            # cache, or those ingest started when only the validate stage was still in the cache.
            in_flight.abandon(validation_key)
            stop_early()

    try:
        with validating_beside(plan.extracts) as beside:
            validated = beside(validate)
            stages.check_required_sources(ingest.path)
            std = run_stage("standardize", stage_fns["standardize"], ingest_dir=ingest.path, period=period)
            linked = run_stage(
                "link", stage_fns["link"], std_dir=std.path, previous_registry=plan.previous_registry
            )
            decided = run_stage(
                "decide",
                stage_fns["decide"],
                std_dir=std.path,
                link_dir=linked.path,
                period=period,
                previous_ledger=plan.previous_ledger,
            )
            with publishing(plan, [ingest, std, linked, decided]) as work:
                emitted = measured(
                    "emit",
                    emit,
                    decide_dir=decided.path,
                    out_period_dir=work,
                    period=period,
                    previous_dir=plan.previous_dir,
                )
                validation = validated.result()
                add_validation(validation, work)
                summarized = measured("summarize", summarize, out_period_dir=work, period=period)
                return publish_period(
                    plan, [ingest, validation, std, linked, decided, emitted, summarized], work
                )
    finally:
        in_flight.abandon(validation_key)  # a failed run's validations nobody collected


@contextlib.contextmanager
def validating_beside(extracts: Path) -> Iterator[Callable[[Callable[[], StageResult]], Future[StageResult]]]:
    """``beside(stage)``: the validate stage, run in a thread of its own on small extracts
    (:func:`expectations.validation_process.small_extracts`), at once on others.

    The thread runs in a copy of this thread's context, so a Prefect flow's task there belongs to
    the flow as a task submitted to Prefect's own thread pool does. When the block ends, even by an
    error, the thread is waited for. Beside the others, the validate stage's peak memory in the run
    report is the process's while it ran, theirs included (the process has one peak).
    """
    from expectations.validation_process import small_extracts

    if not small_extracts(extracts):
        yield _done
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="validate") as pool:
        yield lambda stage: pool.submit(contextvars.copy_context().run, stage)


def _done(stage: Callable[[], StageResult]) -> Future[StageResult]:
    future: Future[StageResult] = Future()
    future.set_result(stage())
    return future


def measured(stage: str, fn: Callable[..., dict[str, int]], **kwargs: Any) -> StageResult:
    """Run an uncached stage (emit) and keep its seconds and peak memory as a cached stage's are kept."""
    started = time.perf_counter()
    peak_memory.reset_peak()
    counts = fn(**kwargs)
    seconds = round(time.perf_counter() - started, 3)
    peak = peak_memory.peak_rss_mb()
    release_freed_memory()
    return StageResult(stage, "", "", counts, seconds, cached=False, peak_rss_mb=peak)


@contextlib.contextmanager
def publishing(plan: PeriodPlan, finished: Sequence[StageResult]) -> Iterator[Path]:
    """The temporary period folder, with the stages' state and the public tables, for emit to write into.

    ``finished``: the ingest, standardize, link and decide stages, in that order (the validate
    stage's files come with :func:`add_validation`).
    """
    with work_dir_for(plan.out, str(plan.period)) as work:
        link_stage_files(finished, work / "state")
        ingest, std, linked = finished[:3]
        write_public_tables(ingest, std, linked, work)
        yield work


def add_validation(validation: StageResult, work: Path) -> None:
    """The validate stage's files into the period's ``state/``, its reports into ``validation/``."""
    link_stage_files([validation], work / "state")
    write_validation_reports(validation, work)


def publish_period(plan: PeriodPlan, results: Sequence[StageResult], work: Path) -> RunOutcome:
    """Write the run report into ``work`` and publish it as ``<out>/<period>``."""
    report = {
        "period": str(plan.period),
        "as_of": plan.period.as_of.isoformat(),
        "extracts_digest": plan.extracts_key,
        "previous": plan.previous_dir.name if plan.previous_dir else None,
        "stages": {
            r.stage: {
                "counts": r.counts,
                "seconds": r.seconds,
                "cached": r.cached,
                "peak_rss_mb": r.peak_rss_mb,
            }
            for r in results
        },
        "total_seconds": round(time.perf_counter() - plan.started, 3),
        # The run's peak resident memory: the largest stage peak (see taizhang/peak_memory.py).
        "peak_rss_mb": max(r.peak_rss_mb for r in results),
        "versions": versions(),
    }
    write_run_report(work, report)
    final = plan.out / str(plan.period)
    publish(work, final)
    return RunOutcome(str(plan.period), final, report)


def link_stage_files(results: Sequence[StageResult], state: Path) -> None:
    """Every stage's sealed files into ``state/``, as links to the cache's (which stays intact)."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    for result in results:
        for path in sorted(result.path.iterdir()):
            if path.name != STAGE_MARKER:
                link_or_copy(path, state / path.name)


# --------------------------------------------------------------------------- validation only


def validate_only(extracts: Path, out: Path) -> RunOutcome:
    """Ingest and validate, and publish the liaison reports alone into ``<out>/validation``.

    Missing or unreadable files do not stop this run: they are what the
    liaison reports are for.
    """
    with guarded(Path(out), "validate", extracts=str(extracts)) as entry:
        extracts_key, cache_root = validation_plan(Path(extracts), Path(out))
        key = ingest_key(extracts_key)
        try:
            ingest = run_stage(
                cache_root, "ingest", key, stages.ingest, extracts=Path(extracts), validation_key=key
            )
            validation = run_stage(
                cache_root,
                "validate",
                validate_key(key),
                stages.validate,
                ingest_dir=ingest.path,
                validation_key=key,
            )
        finally:
            from expectations import in_flight

            in_flight.abandon(key)
        return record_outcome(entry, publish_validation(Path(out), extracts_key, ingest, validation))


def validation_plan(extracts: Path, out: Path) -> tuple[str, Path]:
    """The extracts' content key and the stage cache of a validation-only run."""
    return extracts_digest(extracts), private_dir(cache_root_for(out))


def publish_validation(
    out: Path, extracts_key: str, ingest: StageResult, validation: StageResult
) -> RunOutcome:
    """Publish ``<out>/validation``: the reports, quarantine and file errors, in clear for the liaisons."""
    with work_dir_for(out, "validation") as work:
        if (validation.path / "validation").is_dir():
            sealed.unseal_tree(validation.path / "validation", work)
        sealed.read_frame(ingest.path / "quarantine.parquet").write_parquet(
            work / "quarantine.parquet", statistics=False
        )
        for name in ("file_reports.json", "errors.json"):
            (work / name).write_text(
                json.dumps(sealed.read_json(ingest.path / name), ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
        report = {
            "extracts_digest": extracts_key,
            "stages": {
                r.stage: {"counts": r.counts, "seconds": r.seconds, "cached": r.cached}
                for r in (ingest, validation)
            },
            "versions": versions(),
        }
        write_run_report(work, report)
        publish(work, out / "validation")
    return RunOutcome("validation", out / "validation", report)
