"""Rerun decide-and-emit for one county from the period's linked state.

For a county analyst whose child director handed in a corrected field-visit
sheet, or who wants the county's workbook rebuilt: the province is not
relinked, and only that county's files change. The steps are those of
:func:`taizhang.county_rerun.rerun_county`, with emit as a Prefect task.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.logging import get_run_logger

from flows import tasks
from flows.artifacts import artifact_key
from taizhang import audit
from taizhang.county_rerun import county_work, decide_and_emit, guarded_rerun
from taizhang.period import Period


@flow(name="county-rerun")
def county_rerun(county: str, period: str, out: str = "out", field_visits: str | None = None) -> dict:
    """Rebuild one county's outputs of ``<out>/<period>``.

    Args:
        county: the county's 6-digit division code, e.g. ``220102``.
        period: ``2026H1`` or ``2026H2``; the period must have been run already.
        out: output root holding ``<period>/``.
        field_visits: optional corrected field-visit sheet (XLSX or CSV) for this county.

    Returns the rerun report (counts only).
    """
    the_period, root = Period.of(period), Path(out)
    sheet = Path(field_visits) if field_visits else None
    with guarded_rerun(county, the_period, root, sheet) as entry:
        with county_work(county, the_period, root, sheet) as run:
            outcome = decide_and_emit(run, the_period, tasks.emit, tasks.summarize)
        entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    rows = [
        {"stage": stage, "figure": name, "value": value}
        for stage, info in outcome.report["stages"].items()
        for name, value in sorted(info["counts"].items())
        if isinstance(value, int)
    ]
    create_table_artifact(
        rows,
        key=artifact_key("county-rerun", outcome.report["period"], outcome.report["county"]),
        description="县重算计数 county rerun counts",
    )
    get_run_logger().info("county %s of %s rebuilt", outcome.report["county"], outcome.report["period"])
    return outcome.report


if __name__ == "__main__":
    import sys

    county_rerun(*sys.argv[1:])
