"""Validation in a process of its own, beside the stage that reads the extracts.

Importing Great Expectations and building its context cost a few seconds of
one core, validating a source (polars helper columns, then the GX suite, whose
Python holds the interpreter's lock) seconds more. In a process of their own
they run on the second core while this process reads the next extract,
instead of after all of them.

:func:`validation_process` starts ``python -m expectations.validation_process``
(or takes the workers a command started early, :func:`start_early`: two for small
extracts, each sent every other source, :func:`workers_for`),
which imports GX at once and then validates the sources it is sent
(:func:`expectations.validate.validate_source`, the same function as in
process), one at a time, in the order they come. Sources and their
validations travel pickled over the worker's stdin and stdout; the frames hold
personal data, so nothing is written to disk, and the worker prints and logs
nothing (an error it meets comes back as its answer and is raised here). At
most :data:`IN_FLIGHT` sources, or more while they hold under
:data:`IN_FLIGHT_BYTES` together, are with the worker at a time, so the memory
held for it stays that of a source or two and reading small sources never
waits. A plain subprocess rather than ``multiprocessing``: a spawned
multiprocessing child re-runs the parent's main script, which a caller's script
need not guard. If the worker dies (a memory
limit, say), validation goes on in this process: the same results, later.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import importlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    # Only named here: a command starts the worker first thing (start_early), before it has
    # imported polars (0.2 s) or validation, so this module imports neither.
    import polars as pl

    from data_contracts import Contract
    from expectations.validate import SourceValidation

log = logging.getLogger(__name__)

# Sources handed to the worker and not yet answered: the reader waits beyond this many, unless
# those in flight and the next hold under IN_FLIGHT_BYTES together. A count alone made a small
# run's reader wait for the worker to finish importing GX (about 2 s) after its fourth source, with
# a few MB in flight; a province's sources are hundreds of MB each, so there the count decides.
IN_FLIGHT = 2
IN_FLIGHT_BYTES = 64 * 2**20

_Request = tuple["Contract", "pl.DataFrame", date]


class PendingValidation(Protocol):
    def result(self) -> SourceValidation: ...


class Validator(Protocol):
    def submit(self, contract: Contract, staged: pl.DataFrame, today: date) -> PendingValidation: ...


class _Done:
    def __init__(self, validation: SourceValidation) -> None:
        self._validation = validation

    def result(self) -> SourceValidation:
        return self._validation


class InProcess:
    """Validation in this process, when the source is submitted."""

    def submit(self, contract: Contract, staged: pl.DataFrame, today: date) -> PendingValidation:
        from expectations.validate import validate_source

        return _Done(validate_source(contract, staged, today=today))


class _Remote:
    def __init__(self, worker: InWorker, index: int) -> None:
        self._worker = worker
        self._index = index

    def result(self) -> SourceValidation:
        return self._worker.result(self._index)


class InWorker:
    """Validation in the worker process, answered in the order the sources were sent.

    A source is kept here until its answer comes (to validate it here should
    the worker stop), then let go.
    """

    def __init__(self, process: subprocess.Popen) -> None:
        self._process = process
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._requests: dict[int, _Request] = {}
        self._received: dict[int, tuple[bool, Any]] = {}
        self._changed = threading.Condition()
        self._in_flight: dict[int, int] = {}  # sent and not answered: index -> the frame's bytes
        self._sent = 0
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
        except OSError:  # the worker is gone: the reader says so
            pass
        finally:
            with suppress(OSError):
                stream.close()

    def _read_answers(self, stream: IO[bytes]) -> None:
        index = 0
        try:
            while True:
                answer = pickle.load(stream)
                with self._changed:
                    self._received[index] = answer
                    self._requests.pop(index, None)
                    self._in_flight.pop(index, None)
                    self._changed.notify_all()
                index += 1
        except (EOFError, OSError, pickle.UnpicklingError):
            with self._changed:  # the worker stopped
                self._broken = True
                self._changed.notify_all()

    def _room_for(self, size: int) -> bool:
        return (
            self._broken
            or len(self._in_flight) < IN_FLIGHT
            or sum(self._in_flight.values()) + size <= IN_FLIGHT_BYTES
        )

    def submit(self, contract: Contract, staged: pl.DataFrame, today: date) -> PendingValidation:
        size = int(staged.estimated_size())
        with self._changed:
            self._changed.wait_for(lambda: self._room_for(size))
            if self._broken:
                return InProcess().submit(contract, staged, today)
            index = self._sent
            self._requests[index] = (contract, staged, today)
            self._in_flight[index] = size
            self._sent += 1
        self._outbox.put(pickle.dumps((contract, staged, today), protocol=pickle.HIGHEST_PROTOCOL))
        return _Remote(self, index)

    def result(self, index: int) -> SourceValidation:
        with self._changed:
            self._changed.wait_for(lambda: index in self._received or self._broken)
            answer = self._received.pop(index, None)
            request = self._requests.pop(index, None)
        if answer is None:
            if request is None:
                raise RuntimeError("a validation was collected twice")
            contract, staged, today = request
            log.warning("validation: the validation process stopped; %s is validated here", contract.source)
            return InProcess().submit(contract, staged, today).result()
        ok, value = answer
        if not ok:
            raise value
        log.info(
            "validated %s: %d rows, %d checks, %d with failures, %.2f s",
            value.source,
            value.row_count,
            len(value.outcomes),
            len(value.failed),
            value.seconds,
        )
        return value

    def idle(self) -> bool:
        """Whether every source sent was answered and collected, and the worker still runs."""
        with self._changed:
            return not self._broken and not self._requests and not self._received and self._running()

    def _running(self) -> bool:
        return self._process.poll() is None

    def close(self, *, at_once: bool = False) -> None:
        """Stop the worker: at once when it owes no answer (it may still be importing GX) or ``at_once``."""
        if at_once or self.idle():
            self._process.kill()
        self._outbox.put(None)
        self._writer.join()
        try:
            self._process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join()


class Workers:
    """Several workers, each sent every n-th source. Each answers in its own order, and each source's
    validation is collected from the worker it went to, so the stage sees what one worker gives."""

    def __init__(self, workers: list[InWorker]) -> None:
        self._workers = workers
        self._next = 0

    def submit(self, contract: Contract, staged: pl.DataFrame, today: date) -> PendingValidation:
        worker = self._workers[self._next % len(self._workers)]
        self._next += 1
        return worker.submit(contract, staged, today)

    def idle(self) -> bool:
        return all(w.idle() for w in self._workers)

    def close(self, *, at_once: bool = False) -> None:
        for worker in self._workers:
            worker.close(at_once=at_once)


# Extracts up to this many bytes are small (a county's, or a few thousand children's): starting
# their validation worker (GX's import, about 2 s of a core) takes longer than reading them. A run
# therefore validates them beside its later stages (taizhang.pipeline.build_period), and `taizhang
# validate` gives them two workers, each importing GX on a core and taking every other source.
SMALL_EXTRACTS = 20 * 10**6


def _extract_sizes(extracts: Path) -> list[int]:
    """The sizes of the files ingest reads in ``extracts`` (:func:`taizhang.stage_cache.extract_files`)."""
    from taizhang.stage_cache import extract_files

    sizes = []
    for path in extract_files(extracts):
        with suppress(OSError):
            sizes.append(path.stat().st_size)
    return sizes


def small_extracts(extracts: Path) -> bool:
    """Whether the files ingest reads in ``extracts`` hold :data:`SMALL_EXTRACTS` bytes or fewer.
    A missing folder is not small: the command says so."""
    return extracts.is_dir() and sum(_extract_sizes(extracts)) <= SMALL_EXTRACTS


def workers_for(extracts: Path, *, validate_only: bool) -> int:
    """How many validation workers to start for the extracts folder ``extracts`` (1 or 2).

    Two only for a command that does nothing but validate small extracts of more than one file, on
    a machine of two cores or more: there the workers are the command's critical path (`taizhang
    validate` of a 2,000-child set's eight sources: 5.5-5.8 s with one worker, 4.8-5.3 s with two).
    One file is one source, which one worker validates while a second's import would only compete
    for the cores (`validate` of one file: 3.2-3.8 s with one, 3.4-4.1 s with two). A run validates
    small extracts beside its later stages, where a second worker's import takes the core those
    stages run on (a 2,000-child run: 8.3-8.9 s with two, 7.9-8.3 s with one). Larger extracts get
    one: their reading is the longer path, and a second worker would hold sources of a province's
    size beside it.
    """
    if not validate_only or (os.cpu_count() or 1) < 2 or not extracts.is_dir():
        return 1
    sizes = _extract_sizes(extracts)
    return 2 if len(sizes) > 1 and sum(sizes) <= SMALL_EXTRACTS else 1


def _spawn() -> subprocess.Popen:
    # The worker imports this project the way this process does, wherever it was started.
    env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    return subprocess.Popen(
        [sys.executable, "-m", "expectations.validation_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )


_early: list[subprocess.Popen] = []
_kept: list[InWorker] = []
_exit_hook: list[object] = []
_lock = threading.Lock()


def start_early(extracts: Path, *, validate_only: bool = False) -> None:
    """Start the workers now, for a command that is about to validate ``extracts``, and once.

    GX then imports while the command itself starts up (its imports, the
    lock, the extracts' digest), not after. ``validate_only``: the command
    does nothing else (:func:`workers_for`). The next :func:`validation_process`
    takes these workers and stops them when its stage ends, so the later stages
    have the memory; those nobody took are stopped by :func:`stop_early` or when
    the command exits.
    """
    with _lock:
        if not _early and not _kept:
            _early.extend(_spawn() for _ in range(workers_for(extracts, validate_only=validate_only)))
            atexit.register(stop_early)


def stop_early() -> None:
    """Stop the workers started early that no stage took (its stage came from the cache)."""
    with _lock:
        processes = list(_early)
        _early.clear()
    for process in processes:
        process.kill()
        process.wait()


def _stop_kept() -> None:
    with _lock:
        workers = list(_kept)
        _kept.clear()
    for worker in workers:
        worker.close()


@contextmanager
def validation_process() -> Iterator[Validator]:
    """A validation worker; when the block ends it is stopped, or kept for the next one.

    The worker a command started early (:func:`start_early`) is stopped: the
    command runs once. Elsewhere (tests, a flow or notebook validating
    several times) an idle worker is kept, so GX is imported once per process
    as it was when it ran here; it is stopped when the process exits.
    """
    with _lock:
        early = list(_early)
        _early.clear()
        kept = _kept.pop() if _kept and not early else None
    worker: InWorker | Workers
    if len(early) > 1:
        worker = Workers([InWorker(process) for process in early])
    else:
        worker = kept if kept is not None and kept.idle() else InWorker(early[0] if early else _spawn())
    if kept is not None and worker is not kept:
        kept.close()
    try:
        yield worker
    except BaseException:
        worker.close(at_once=True)  # its answers are of no use now
        raise
    if not early and isinstance(worker, InWorker) and worker.idle():
        with _lock:
            if not _exit_hook:
                _exit_hook.append(atexit.register(_stop_kept))
            _kept.append(worker)
    else:
        worker.close()


# Modules GX imports as it starts, for expectations this project never runs (the KL-divergence
# expectation's statistics and its charts): about 40 % of GX's import. In the worker, which runs
# nothing but validation, they are imported on first use instead.
DEFERRED_IMPORTS = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """A module that is imported for real when one of its attributes is first used."""

    def __getattr__(self, attr: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def _defer_unused_imports() -> None:
    for name in DEFERRED_IMPORTS:
        if name not in sys.modules:
            sys.modules[name] = _Deferred(name)


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: validate each source it is sent, answer (True, validation) or (False, error)."""
    _defer_unused_imports()
    from expectations.gx_session import warm_up
    from expectations.validate import validate_source

    warm_up()
    while True:
        try:
            contract, staged, today = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, validate_source(contract, staged, today=today))
        except Exception as exc:  # handed back to the stage, which raises it as it would here
            answer = (False, exc)
        size = int(staged.estimated_size())
        del staged
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()
        del answer
        _give_back_memory(collect=size >= COLLECT_AFTER_BYTES)


# A full garbage collection in the worker takes 0.11-0.13 s, GX's objects being many, and it ran
# before each next source: on a 2,000-child run's eight sources, or `taizhang validate` of one file
# (seven of its sources empty), most of a second on the command's critical path. A source of this
# size or more may leave reference cycles holding that much, which are collected; after a smaller
# one, Python's own generational collection is enough.
COLLECT_AFTER_BYTES = 64 * 2**20


def _give_back_memory(*, collect: bool) -> None:
    """Hand the freed pages of the last source back, so an idle worker holds GX and little else;
    with ``collect``, after a full garbage collection."""
    if collect:
        gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


if __name__ == "__main__":
    # Answers go out on the real stdout; anything else printed goes where stderr goes (nowhere).
    _answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, _answers)
    # Every answer is out: skip tearing down GX's modules, which the stage would wait for.
    os._exit(0)
