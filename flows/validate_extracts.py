"""The liaison flow: read and validate the extracts, publish the validation reports alone.

For department liaisons who want to know, before the half-yearly run, which
files or rows their department must correct. Nothing is linked or decided.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.logging import get_run_logger

from expectations import in_flight
from flows import tasks
from flows.artifacts import publish_validation_artifacts
from taizhang import pipeline, run_guard
from taizhang.stage_cache import ingest_key, validate_key


@flow(name="validate-extracts")
def validate_extracts(extracts: str = "extracts", out: str = "out/validation-run") -> dict:
    """Validate an extracts folder and publish ``<out>/validation/``.

    Args:
        extracts: folder holding the departments' extract files.
        out: output root; the reports go to ``<out>/validation/``.

    Returns counts only (rows staged and quarantined, reports written).
    """
    root = Path(out)
    with run_guard.guarded(root, "validate", extracts=str(extracts)) as entry:
        extracts_key, cache_root = pipeline.validation_plan(Path(extracts), root)
        key = ingest_key(extracts_key)
        try:
            ingest = tasks.cached(
                tasks.ingest_task,
                "ingest",
                key,
                cache_root,
                root,
                extracts=Path(extracts),
                validation_key=key,
            )
            validation = tasks.cached(
                tasks.validate_task,
                "validate",
                validate_key(key),
                cache_root,
                root,
                ingest_dir=ingest.path,
                validation_key=key,
            )
        finally:
            in_flight.abandon(key)
        outcome = run_guard.record_outcome(
            entry, pipeline.publish_validation(root, extracts_key, ingest, validation)
        )
    publish_validation_artifacts(outcome.out_dir, outcome.out_dir / "quarantine.parquet", "extracts")
    get_run_logger().info("validation reports published in %s", outcome.out_dir)
    return outcome.report


if __name__ == "__main__":
    import sys

    validate_extracts(*sys.argv[1:])
