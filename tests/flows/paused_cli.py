"""The real ``taizhang`` command line, held before one stage starts: for tests that kill or race a run.

``python -m tests.flows.paused_cli <stage>:<seconds> <taizhang arguments>`` runs
the command as an operator does, except that the named stage sleeps
``seconds`` before it does any work, so the stages before it are finished and
in the cache when a test kills the process or starts a second run. The hold
lives here, in the tests, not in the pipeline: the stage function is wrapped
in :mod:`taizhang.stages`, where both runners (direct and Prefect) look it up.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def hold_before(stage: str, seconds: float) -> None:
    """Make :func:`taizhang.stages.<stage>` sleep ``seconds`` before it runs."""
    from taizhang import stages

    original: Callable[..., Any] = getattr(stages, stage)

    @functools.wraps(original)
    def held(*args: Any, **kwargs: Any) -> Any:
        time.sleep(seconds)
        return original(*args, **kwargs)

    setattr(stages, stage, held)


def command(hold: str, *argv: str) -> list[str]:
    """The argv of a held ``taizhang`` run (``hold`` is ``<stage>:<seconds>``)."""
    return [sys.executable, "-m", "tests.flows.paused_cli", hold, *argv]


def environment(env: dict[str, str]) -> dict[str, str]:
    """``env`` with this repository importable, so ``-m tests.flows.paused_cli`` works from any folder."""
    paths = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(":"))]
    return env | {"PYTHONPATH": ":".join(paths)}


def main(argv: list[str]) -> int:
    stage, _, seconds = argv[0].partition(":")
    hold_before(stage, float(seconds or 600))
    from taizhang import cli

    return cli.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
