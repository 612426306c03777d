"""Stage progress reporting, shared by the pipeline, the flows and the command line.

The pipeline announces each stage through the active reporter; the default
reporter does nothing, so library and flow code never depend on a terminal.
The command line installs :class:`RichProgress` (rich ships with Prefect) so an
operator sees which stage is running during the long ones. Messages carry
stage names and counts only, never a value from a record.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Protocol


class Reporter(Protocol):
    def stage_started(self, stage: str, description: str) -> None: ...

    def stage_finished(self, stage: str, summary: str, cached: bool) -> None: ...


class NullReporter:
    """Reports nothing: the default inside flows, tests and library calls."""

    def stage_started(self, stage: str, description: str) -> None:
        return None

    def stage_finished(self, stage: str, summary: str, cached: bool) -> None:
        return None


# Process-wide rather than a context variable: Prefect runs sync tasks in
# worker threads that do not inherit context variables set by the caller.
_REPORTERS: list[Reporter] = []
_NULL = NullReporter()


def current() -> Reporter:
    """The reporter stages should talk to."""
    return _REPORTERS[-1] if _REPORTERS else _NULL


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Make ``reporter`` the active one for the duration of the block (in every thread)."""
    _REPORTERS.append(reporter)
    try:
        yield reporter
    finally:
        _REPORTERS.remove(reporter)


class RichProgress:
    """A spinner and elapsed time per stage, one line per finished stage."""

    def __init__(self, label: str = "") -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._tasks: dict[str, tuple[int, float, str]] = {}
        self.label = label  # the half-year (or other run) the stages belong to, shown on each line

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def stage_started(self, stage: str, description: str) -> None:
        prefix = f"[{self.label}] " if self.label else ""
        task_id = self._progress.add_task(prefix + description, total=None)
        self._tasks[stage] = (task_id, time.perf_counter(), description)

    def stage_finished(self, stage: str, summary: str, cached: bool) -> None:
        task_id, started, description = self._tasks.pop(stage, (None, time.perf_counter(), stage))
        if task_id is not None:
            self._progress.remove_task(task_id)
        note = "（缓存 cached）" if cached else f"{time.perf_counter() - started:.1f} s"
        prefix = f"[bold]{self.label}[/bold] " if self.label else ""
        name = description.split(" ", 1)[0]  # the Chinese name of the stage; the summary is bilingual
        self.console.print(f"[green]✓[/green] {prefix}{name}：{summary} [dim]{note}[/dim]")
