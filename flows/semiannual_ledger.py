"""The half-yearly ledger flow: ingest and validate → standardize → link → decide → emit.

Scheduled twice a year (see ``prefect.yaml``): in early January for the
previous year's second half, in early July for the first half. Without a
``period`` parameter the flow takes the last half-year that ended before the
run date (Asia/Shanghai).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.logging import get_run_logger

from flows import tasks
from flows.artifacts import publish_run_artifacts
from taizhang import pipeline
from taizhang.period import Period, last_ended

SHANGHAI = ZoneInfo("Asia/Shanghai")


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
    if not period:
        period = str(period_for_run_date(datetime.now(SHANGHAI).date()))
    logger.info("building the ledger for %s", period)
    outcome = pipeline.run_period(
        Path(extracts),
        period,
        Path(out),
        Path(previous) if previous else None,
        call=tasks.prefect_call(Path(out)),
        emit_call=tasks.emit_call,
    )
    publish_run_artifacts(outcome.out_dir)
    logger.info("published %s", outcome.out_dir)
    return outcome.report


if __name__ == "__main__":
    import sys

    semiannual_ledger(*sys.argv[1:])
