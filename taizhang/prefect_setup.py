"""Prefect's local settings for the flows, filled in before Prefect is imported, and its log noise silenced.

Its database lives under ``./.prefect/`` (or ``PREFECT_HOME``), analytics are
off, the temporary server's harmless "database is locked" noise is dropped, and
an expected error (:class:`taizhang.errors.PipelineError`) is left to the
command line's own message instead of Prefect's traceback.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path


def configure_prefect_environment(project_dir: Path | None = None) -> None:
    """Ephemeral Prefect with a project-local home, set before Prefect is imported.

    Only unset variables are filled in, so an operator pointing the CLI at a
    real server (``PREFECT_API_URL``) or another home keeps their choice.
    """
    home = (project_dir or Path.cwd()) / ".prefect"
    defaults = {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The temporary server's periodic services log "database is locked"
        # tracebacks that the Prefect maintainers call harmless (PrefectHQ/prefect#18934).
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        # A first start on a fresh home runs the database migrations (can take a while on 2 cores).
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


class _DropLockedNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += str(record.exc_info[1])
        return "database is locked" not in text


class _DropExpectedErrors(logging.Filter):
    """Prefect logs a failed run with a traceback; for an expected error the CLI's own message is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        from taizhang.errors import PipelineError

        if record.exc_info and isinstance(record.exc_info[1], PipelineError):
            return False
        text = record.getMessage()
        return "PipelineError" not in text


def quiet_prefect_logs() -> None:
    """Silence the temporary server's harmless noise and the tracebacks of expected errors."""
    for name in ("prefect", "prefect.server", "prefect.client", "sqlalchemy", "uvicorn", "httpx"):
        logging.getLogger(name).addFilter(_DropLockedNoise())
    for name in ("prefect.flow_runs", "prefect.task_runs", "prefect.flow_engine", "prefect.task_engine"):
        logging.getLogger(name).addFilter(_DropExpectedErrors())
