"""The pipeline's stages as Prefect tasks, shared by the three flows.

Each task calls the same stage function the direct runner calls
(:mod:`taizhang.stages`). A cached stage's task is also cached by Prefect: its
cache key is ``INPUTS + TASK_SOURCE`` over the stage's content key (a sha256
chained from the extract files' bytes, see :func:`taizhang.stage_cache.stage_keys`)
with the path arguments excluded, so copying the extracts elsewhere still hits
the cache and changing one byte misses it. Results are persisted under
``<out>/.prefect-results`` so a rerun in a new process, after a crash, resumes
at the first unfinished stage.

Only counts and codes are logged; a task never logs a record's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.logging import get_run_logger

from taizhang import progress, stages
from taizhang.errors import PipelineError
from taizhang.period import Period
from taizhang.pipeline import PeriodPlan
from taizhang.stage_cache import StageResult, run_stage
from taizhang.stage_summary import STAGE_DESCRIPTIONS, summarize_counts

RESULTS_DIR_NAME = ".prefect-results"

# Path arguments (and the ingest key validation is handed over under) are excluded: the content
# key already covers what they hold.
CONTENT_CACHE = (
    INPUTS - "extracts" - "previous_registry" - "ingest_dir" - "std_dir" - "link_dir" - "validation_key"
) + TASK_SOURCE


def _no_retry_on_expected_errors(task: Any, task_run: Any, state: Any) -> bool:
    """Retry I/O hiccups, not a missing source or a bad input (retrying cannot fix those)."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return True
    return not isinstance(exc, PipelineError | ValueError | KeyError | TypeError)


def _log(result: StageResult) -> StageResult:
    counts = ", ".join(f"{k}={v}" for k, v in result.counts.items())
    get_run_logger().info("stage %s finished in %.1f s: %s", result.stage, result.seconds, counts)
    return result


@task(
    name="ingest",
    cache_policy=CONTENT_CACHE,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_no_retry_on_expected_errors,
)
def ingest_task(key: str, cache_root: str, extracts: str, validation_key: str | None = None) -> StageResult:
    """Read the extract files (I/O: retried), quarantine bad rows, hand each source to validation."""
    return _log(
        run_stage(
            Path(cache_root),
            "ingest",
            key,
            stages.ingest,
            extracts=Path(extracts),
            validation_key=validation_key,
        )
    )


@task(name="validate", cache_policy=CONTENT_CACHE, persist_result=True)
def validate_task(
    key: str, cache_root: str, ingest_dir: str, validation_key: str | None = None
) -> StageResult:
    """Write the liaisons' validation reports of the staged sources."""
    return _log(
        run_stage(
            Path(cache_root),
            "validate",
            key,
            stages.validate,
            ingest_dir=Path(ingest_dir),
            validation_key=validation_key,
        )
    )


@task(name="standardize", cache_policy=CONTENT_CACHE, persist_result=True)
def standardize_task(key: str, cache_root: str, ingest_dir: str, period: Period) -> StageResult:
    return _log(
        run_stage(
            Path(cache_root),
            "standardize",
            key,
            stages.standardize,
            ingest_dir=Path(ingest_dir),
            period=period,
        )
    )


@task(name="link", cache_policy=CONTENT_CACHE, persist_result=True)
def link_task(key: str, cache_root: str, std_dir: str, previous_registry: str | None) -> StageResult:
    return _log(
        run_stage(
            Path(cache_root),
            "link",
            key,
            stages.link,
            std_dir=Path(std_dir),
            previous_registry=Path(previous_registry) if previous_registry else None,
        )
    )


@task(name="decide", cache_policy=CONTENT_CACHE, persist_result=True)
def decide_task(
    key: str, cache_root: str, std_dir: str, link_dir: str, period: Period, previous_ledger: str | None = None
) -> StageResult:
    return _log(
        run_stage(
            Path(cache_root),
            "decide",
            key,
            stages.decide,
            std_dir=Path(std_dir),
            link_dir=Path(link_dir),
            period=period,
            previous_ledger=Path(previous_ledger) if previous_ledger else None,
        )
    )


@task(
    name="emit",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_no_retry_on_expected_errors,
)
def emit_task(
    decide_dir: str,
    out_period_dir: str,
    period: Period,
    previous_dir: str | None,
    counties: list[str] | None = None,
) -> dict[str, int]:
    """Write ledgers and workbooks (I/O: retried; not cached, it writes into the run's folder)."""
    counts = stages.emit(
        decide_dir=Path(decide_dir),
        out_period_dir=Path(out_period_dir),
        period=period,
        previous_dir=Path(previous_dir) if previous_dir else None,
        counties=counties,
    )
    get_run_logger().info("stage emit finished: %s", counts)
    return counts


@task(
    name="summarize",
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_no_retry_on_expected_errors,
)
def summarize_task(out_period_dir: str, period: Period) -> dict[str, int]:
    """Write the province summary workbook and page (I/O: retried; not cached, like emit)."""
    counts = stages.summarize(out_period_dir=Path(out_period_dir), period=period)
    get_run_logger().info("stage summarize finished: %s", counts)
    return counts


def cached(stage_task: Task, stage: str, key: str, cache_root: Path, out: Path, **inputs: Any) -> StageResult:
    """Run one cached stage's task, its results persisted under ``<out>/.prefect-results``.

    A stage Prefect remembers but whose folder was deleted since is computed again.
    """
    args = _as_text(inputs)
    base = stage_task.with_options(result_storage=Path(out).resolve() / RESULTS_DIR_NAME)
    state = base(key=key, cache_root=str(cache_root), return_state=True, **args)
    result: StageResult = state.result()  # raises the stage's own error on failure
    if state.name == "Cached":
        if not result.path.is_dir():
            state = base.with_options(refresh_cache=True)(
                key=key, cache_root=str(cache_root), return_state=True, **args
            )
            result = state.result()
        else:
            result.cached = True
    if state.name == "Cached":
        reporter = progress.current()
        reporter.stage_started(stage, STAGE_DESCRIPTIONS.get(stage, stage))
        reporter.stage_finished(stage, summarize_counts(result.counts, stage), cached=True)
    return result


def planned_stage(plan: PeriodPlan, stage_task: Task, stage: str, **inputs: Any) -> StageResult:
    """One cached stage of a half-year's run as its task (:func:`cached` with the plan's key)."""
    return cached(stage_task, stage, plan.keys[stage], plan.cache_root, plan.out, **inputs)


def _as_text(inputs: dict[str, Any]) -> dict[str, Any]:
    """Task arguments with paths as text: task parameters are kept as JSON."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in inputs.items()}


def emit(**kwargs: Any) -> dict[str, int]:
    """The emit task called with paths as text."""
    return emit_task(**_as_text(kwargs))


def summarize(**kwargs: Any) -> dict[str, int]:
    """The summarize task called with paths as text."""
    return summarize_task(**_as_text(kwargs))
