"""Validations in flight between the stage that reads the extracts and the stage that reports on them.

The ingest stage hands each source to a validation worker
(:mod:`expectations.validation_process`) as soon as it is read, so the worker
validates beside the reading. The validate stage, which writes the liaison
reports, collects the answers: straight after ingest on large extracts, or, on
small ones, while standardize, link, decide and emit run (see
:func:`taizhang.pipeline.build_period`). In between they wait here, under the
cache key of the ingest stage that started them.

A validate stage that finds nothing here (its ingest came from the cache, or
ran in another process) validates the staged tables itself: the same
function on the same frames, so the same reports.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from data_contracts import Contract
from expectations.validation_process import PendingValidation, validation_process

if TYPE_CHECKING:
    from expectations.validate import SourceValidation


class Abandoned(Exception):
    """The run stopped before the validations were collected: the worker is stopped at once."""


class InFlight:
    """The sources sent to a validation worker, answered in the order they were sent."""

    def __init__(self, today: date) -> None:
        self.today = today
        self._stack = ExitStack()
        self._validator = self._stack.enter_context(validation_process())
        self._pending: list[PendingValidation] = []

    def submit(self, contract: Contract, staged: pl.DataFrame) -> None:
        self._pending.append(self._validator.submit(contract, staged, self.today))

    def results(self) -> list[SourceValidation]:
        """Every source's validation, sorted by source; the worker is released afterwards."""
        try:
            validations = [p.result() for p in self._pending]
        except BaseException as exc:
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._pending.clear()
        self._stack.close()
        return sorted(validations, key=lambda v: v.source)

    def abandon(self) -> None:
        """Stop the worker without waiting for its answers."""
        self._pending.clear()
        error = Abandoned()
        self._stack.__exit__(Abandoned, error, None)


_started: dict[str, InFlight] = {}
_lock = threading.Lock()


def start(key: str, today: date) -> InFlight:
    """Validations for the ingest stage of cache key ``key``, kept here for :func:`take`."""
    flight = InFlight(today)
    with _lock:
        earlier = _started.pop(key, None)
        _started[key] = flight
    if earlier is not None:  # an ingest of the same extracts that failed before it was collected
        earlier.abandon()
    return flight


def take(key: str) -> InFlight | None:
    """The validations the ingest stage of cache key ``key`` started in this process, if any."""
    with _lock:
        return _started.pop(key, None)


def abandon(key: str) -> None:
    """Stop the validations of ``key`` nobody collected (the run failed between ingest and validate)."""
    flight = take(key)
    if flight is not None:
        flight.abandon()
