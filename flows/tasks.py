"""Prefect tasks around the pipeline's stages, shared by the three flows.

Each cached stage is one task. Its Prefect cache key is ``INPUTS + TASK_SOURCE``
over the stage's content key (a sha256 chained from the extract files' bytes,
see :func:`taizhang.pipeline.stage_keys`) with the path arguments excluded, so
copying the extracts elsewhere still hits the cache and changing one byte
misses it. Results are persisted under ``<out>/.prefect-results`` so a rerun
in a new process, after a crash, resumes at the first unfinished stage.

Only counts and codes are logged; a task never logs a record's value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.logging import get_run_logger

from taizhang import pipeline

RESULTS_DIR_NAME = ".prefect-results"

# Path arguments are excluded: the content key already covers what they hold.
CONTENT_CACHE = (
    INPUTS - "extracts" - "previous_registry" - "ingest_dir" - "std_dir" - "link_dir"
) + TASK_SOURCE


def _no_retry_on_expected_errors(task: Any, task_run: Any, state: Any) -> bool:
    """Retry I/O hiccups, not a missing source or an unavailable stage (retrying cannot fix those)."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return True
    return not isinstance(exc, pipeline.PipelineError | ValueError | KeyError | TypeError)


def _log(result: pipeline.StageResult) -> pipeline.StageResult:
    counts = ", ".join(f"{k}={v}" for k, v in result.counts.items())
    get_run_logger().info("stage %s finished in %.1f s: %s", result.stage, result.seconds, counts)
    return result


@task(
    name="ingest-and-validate",
    cache_policy=CONTENT_CACHE,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_no_retry_on_expected_errors,
)
def ingest_task(key: str, cache_root: str, extracts: str) -> pipeline.StageResult:
    """Read the extract files (I/O: retried), quarantine bad rows, write liaison reports."""
    return _log(
        pipeline.run_stage(
            Path(cache_root),
            "ingest_and_validate",
            key,
            pipeline.ingest_and_validate,
            extracts=Path(extracts),
        )
    )


@task(name="standardize", cache_policy=CONTENT_CACHE, persist_result=True)
def standardize_task(key: str, cache_root: str, ingest_dir: str, period: str) -> pipeline.StageResult:
    return _log(
        pipeline.run_stage(
            Path(cache_root),
            "standardize",
            key,
            pipeline.standardize,
            ingest_dir=Path(ingest_dir),
            period=period,
        )
    )


@task(name="link", cache_policy=CONTENT_CACHE, persist_result=True)
def link_task(key: str, cache_root: str, std_dir: str, previous_registry: str | None) -> pipeline.StageResult:
    return _log(
        pipeline.run_stage(
            Path(cache_root),
            "link",
            key,
            pipeline.link,
            std_dir=Path(std_dir),
            previous_registry=Path(previous_registry) if previous_registry else None,
        )
    )


@task(name="decide", cache_policy=CONTENT_CACHE, persist_result=True)
def decide_task(
    key: str, cache_root: str, std_dir: str, link_dir: str, period: str, previous_ledger: str | None = None
) -> pipeline.StageResult:
    return _log(
        pipeline.run_stage(
            Path(cache_root),
            "decide",
            key,
            pipeline.decide,
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
    period: str,
    previous_dir: str | None,
    counties: list[str] | None = None,
) -> dict[str, int]:
    """Write ledgers and workbooks (I/O: retried; not cached, it writes into the run's folder)."""
    counts = pipeline.emit(
        decide_dir=Path(decide_dir),
        out_period_dir=Path(out_period_dir),
        period=period,
        previous_dir=Path(previous_dir) if previous_dir else None,
        counties=counties,
    )
    get_run_logger().info("stage emit finished: %s", counts)
    return counts


STAGE_TASKS = {
    "ingest_and_validate": ingest_task,
    "standardize": standardize_task,
    "link": link_task,
    "decide": decide_task,
}


def prefect_call(out: Path):
    """A :data:`taizhang.pipeline.StageCall` that runs each stage as its cached Prefect task."""
    storage = Path(out).resolve() / RESULTS_DIR_NAME

    def call(stage: str, key: str, cache_root: Path, **kwargs: Any) -> pipeline.StageResult:
        args = {k: (str(v) if isinstance(v, Path) else v) for k, v in kwargs.items()}
        base = STAGE_TASKS[stage].with_options(result_storage=storage)
        state = base(key=key, cache_root=str(cache_root), return_state=True, **args)
        result: pipeline.StageResult = state.result()  # raises the stage's own error on failure
        if state.name == "Cached":
            if not result.path.is_dir():
                # The stage folder was deleted after Prefect cached it: compute it again.
                state = base.with_options(refresh_cache=True)(
                    key=key, cache_root=str(cache_root), return_state=True, **args
                )
                result = state.result()
            else:
                result.cached = True
        progress_reporter = pipeline.progress.current()
        if state.name == "Cached":
            progress_reporter.stage_started(stage, pipeline.STAGE_DESCRIPTIONS.get(stage, stage))
            progress_reporter.stage_finished(
                stage, pipeline.summarize_counts(result.counts, stage), cached=True
            )
        return result

    return call


def emit_call(**kwargs: Any) -> dict[str, int]:
    args = {k: (str(v) if isinstance(v, Path) else v) for k, v in kwargs.items()}
    return emit_task(**args)
