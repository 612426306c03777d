"""The half-yearly ledger flow: ingest → validate → standardize → link → decide → emit.

Scheduled twice a year (see ``prefect.yaml``): in early January for the
previous year's second half, in early July for the first half. Without a
``period`` parameter the flow takes the last half-year that ended before the
run date (Asia/Shanghai). Each stage is a Prefect task around the same stage
function :func:`taizhang.pipeline.run_period` calls directly.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.logging import get_run_logger

from flows import tasks
from flows.artifacts import publish_run_artifacts
from flows.tasks import planned_stage as stage
from taizhang import pipeline, run_guard
from taizhang.period import Period, last_ended

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Each cached stage's Prefect task, by the stage name the runner uses.
TASKS = {
    "ingest": tasks.ingest_task,
    "validate": tasks.validate_task,
    "standardize": tasks.standardize_task,
    "link": tasks.link_task,
    "decide": tasks.decide_task,
}


def period_for_run_date(day: date) -> Period:
    """The last half-year that ended before ``day``: H1 from July on, else the previous year's H2."""
    return last_ended(day)


@flow(name="semiannual-ledger")
def semiannual_ledger(
    period: str | None = None,
    extracts: str = "extracts",
    out: str = "out",
    previous: str | None = None,
) -> dict:
    """Build the ledger of one half-year and publish ``<out>/<period>`` atomically.

    Args:
        period: ``2026H1`` or ``2026H2``; empty means the last half-year that ended before today.
        extracts: folder holding the departments' extract files.
        out: output root; the period folder, stage cache and Prefect results live under it.
        previous: previous half-year's folder (e.g. ``out/2025H2``); empty means the latest earlier
            half-year found in ``out``.

    Returns the run report (counts, timings, versions; no personal information).
    """
    logger = get_run_logger()
    the_period = Period.of(period) if period else period_for_run_date(datetime.now(SHANGHAI).date())
    logger.info("building the ledger for %s", the_period)
    root = Path(out)
    with run_guard.guarded(root, "run", period=str(the_period), extracts=str(extracts)) as entry:
        plan = pipeline.plan_period(Path(extracts), the_period, root, Path(previous) if previous else None)
        outcome = pipeline.build_period(
            plan,
            lambda name, task, **inputs: stage(plan, task, name, **inputs),
            TASKS,
            tasks.emit,
            tasks.summarize,
        )
        run_guard.record_outcome(entry, outcome)
    publish_run_artifacts(outcome.out_dir)
    logger.info("published %s", outcome.out_dir)
    return outcome.report


if __name__ == "__main__":
    import sys

    semiannual_ledger(*sys.argv[1:])
