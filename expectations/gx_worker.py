"""Great Expectations in a process of its own, beside the stage that reads the extracts.

Importing GX and building its context cost a few seconds of one core, and
running the suites is Python that holds the interpreter's lock. In a process
of their own, both run on the second core while this process reads the
extracts and computes the helper columns in polars, instead of after them.

:func:`gx_runner` starts ``python -m expectations.gx_worker``, which imports GX
at once and then runs the suites it is sent, one at a time, in the order they
come. Requests and results travel pickled over the worker's stdin and stdout;
the frames hold personal data, so nothing is written to disk, and the worker
prints and logs nothing (an error it meets comes back as the answer, and a
worker that died is replaced by this process, which reports as it always
does). A plain subprocess rather than ``multiprocessing``: a spawned
multiprocessing child re-runs the parent's main script, which a caller's
script need not guard. If the worker dies (a memory limit, say), validation
goes on in this process: the results are the same, only later.
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any, Protocol

import polars as pl

from data_contracts import Contract
from expectations.gx_session import GxResult, run_suite, warm_up

log = logging.getLogger(__name__)

_Request = tuple[Contract, pl.DataFrame, dict[str, Any], "set[str] | None"]


class PendingResults(Protocol):
    def result(self) -> list[GxResult]: ...


class GxRunner(Protocol):
    def submit(
        self,
        contract: Contract,
        frame: pl.DataFrame,
        result_format: dict[str, Any],
        only: set[str] | None = None,
    ) -> PendingResults: ...


class _Done:
    def __init__(self, results: list[GxResult]) -> None:
        self._results = results

    def result(self) -> list[GxResult]:
        return self._results


class InProcess:
    """GX in this process: the suite runs when it is submitted."""

    def submit(
        self,
        contract: Contract,
        frame: pl.DataFrame,
        result_format: dict[str, Any],
        only: set[str] | None = None,
    ) -> PendingResults:
        return _Done(run_suite(contract, frame, result_format, only))


class _Remote:
    def __init__(self, worker: InWorker, index: int, request: _Request) -> None:
        self._worker = worker
        self._index = index
        self._request = request

    def result(self) -> list[GxResult]:
        return self._worker.result(self._index, self._request)


class InWorker:
    """GX in the worker process: results are answered in the order the suites were sent."""

    def __init__(self, process: subprocess.Popen) -> None:
        self._process = process
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._answers: queue.Queue[tuple[bool, Any]] = queue.Queue()
        self._received: dict[int, tuple[bool, Any]] = {}
        self._sent = 0
        self._read = 0
        self._broken = False
        assert process.stdin is not None and process.stdout is not None
        self._writer = threading.Thread(target=self._write, args=(process.stdin,), daemon=True)
        self._reader = threading.Thread(target=self._read_answers, args=(process.stdout,), daemon=True)
        self._writer.start()
        self._reader.start()

    def _write(self, stream: IO[bytes]) -> None:
        try:
            while (message := self._outbox.get()) is not None:
                stream.write(message)
                stream.flush()
        except OSError:  # the worker is gone: its answers will say so
            pass
        finally:
            with suppress(OSError):
                stream.close()

    def _read_answers(self, stream: IO[bytes]) -> None:
        try:
            while True:
                self._answers.put(pickle.load(stream))
        except (EOFError, OSError, pickle.UnpicklingError):
            self._answers.put((False, None))  # the worker stopped

    def submit(
        self,
        contract: Contract,
        frame: pl.DataFrame,
        result_format: dict[str, Any],
        only: set[str] | None = None,
    ) -> PendingResults:
        request: _Request = (contract, frame, result_format, only)
        if self._broken:
            return _Done(run_suite(*request))
        self._outbox.put(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        self._sent += 1
        return _Remote(self, self._sent - 1, request)

    def result(self, index: int, request: _Request) -> list[GxResult]:
        while index not in self._received and not self._broken:
            ok, value = self._answers.get()
            if ok is False and value is None:
                self._broken = True
                break
            self._received[self._read] = (ok, value)
            self._read += 1
        if index not in self._received:
            log.warning(
                "validation: the GX process stopped; %s is validated in this process", request[0].source
            )
            return run_suite(*request)
        ok, value = self._received.pop(index)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        self._outbox.put(None)
        self._writer.join()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join()


def _spawn() -> subprocess.Popen:
    # The worker imports this project the way this process does, wherever it was started.
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-m", "expectations.gx_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


_early: list[subprocess.Popen] = []
_early_lock = threading.Lock()


def start_early() -> None:
    """Start the worker now, for a command that is about to validate extracts.

    GX then imports while the command itself starts up (its imports, the
    lock, the extracts' digest), not after. The next :func:`gx_runner` takes
    this worker; one nobody took is stopped by :func:`stop_early` or when the
    command exits.
    """
    with _early_lock:
        if not _early:
            _early.append(_spawn())
            atexit.register(stop_early)


def _take_early() -> subprocess.Popen | None:
    with _early_lock:
        return _early.pop() if _early else None


def stop_early() -> None:
    """Stop a worker started early that no stage took (its stage came from the cache)."""
    process = _take_early()
    if process is not None:
        process.kill()
        process.wait()


@contextmanager
def gx_runner() -> Iterator[GxRunner]:
    """A GX worker process (the one started early, or a new one); stopped when the block ends."""
    worker = InWorker(_take_early() or _spawn())
    try:
        yield worker
    finally:
        worker.close()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: run each suite it is sent, answer ``(True, results)`` or ``(False, exception)``."""
    warm_up()
    while True:
        try:
            contract, frame, result_format, only = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, run_suite(contract, frame, result_format, only))
        except Exception as exc:  # handed back to the stage, which raises it as it would here
            answer = (False, exc)
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    # Answers go out on the real stdout; anything else printed goes where stderr goes (nowhere).
    _answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, _answers)
    # Every answer is out: skip tearing down GX's modules, which the stage would wait for.
    os._exit(0)
