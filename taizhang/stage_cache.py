"""The content-addressed stage cache: keys, finished stage folders, and running a stage into one.

A stage's folder lives in ``<out>/.cache/<stage>/<key>/``, where ``key`` is a
sha256 over the stage name, a fingerprint of the pipeline's code and the keys
of its inputs (for ingest: the bytes of the extract files). So a rerun with
unchanged inputs, or after a crash, finds the finished stages there and starts
at the first unfinished one, whether it runs under Prefect or not. Prefect's
own task cache (``flows/``) is keyed on the same strings.

Nothing here logs or raises a value from a record: markers hold counts and timings.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taizhang import peak_memory, progress, runlock
from taizhang.diskfaults import reported_as_disk_faults
from taizhang.errors import PipelineError
from taizhang.period import Period
from taizhang.private_folders import owner_only, private_dir
from taizhang.stage_summary import STAGE_DESCRIPTIONS, summarize_counts

# Packages whose code decides what a stage produces; a change in any of them
# invalidates the cached stage folders.
_CODE_DIRS = ("taizhang", "transforms", "matchers", "expectations", "data_contracts", "sql")
_CODE_SUFFIXES = (".py", ".sql", ".yaml", ".csv")
_REPO_ROOT = Path(__file__).resolve().parents[1]

CACHE_DIR_NAME = ".cache"
CACHE_DIR_ENV = "TAIZHANG_CACHE_DIR"  # put the stage cache elsewhere (a fast disk, or shared by test runs)
STAGE_MARKER = "_stage.json"


# --------------------------------------------------------------------------- hashing


def _sha(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_files(extracts: Path) -> list[Path]:
    """The files of an extracts folder that ingest may read (hidden files and READMEs excluded)."""
    return sorted(
        p
        for p in extracts.iterdir()
        if p.is_file() and not p.name.startswith((".", "~$")) and p.suffix.lower() in (".csv", ".xlsx")
    )


def check_extracts_folder(extracts: Path) -> None:
    """Fail clearly when the extracts folder is missing or holds no extract file."""
    if not extracts.is_dir():
        raise PipelineError(
            "extracts_missing",
            f"找不到数据文件夹 {extracts}。",
            f"the extracts folder {extracts} does not exist.",
        )
    if not extract_files(extracts):
        raise PipelineError(
            "extracts_empty",
            f"数据文件夹 {extracts} 中没有 CSV 或 XLSX 文件。",
            f"the extracts folder {extracts} holds no CSV or XLSX file.",
        )


def extracts_digest(extracts: Path) -> str:
    """Content hash of an extracts folder: file names and bytes, not paths or timestamps.

    Moving or copying the folder keeps the digest; changing one byte changes it.
    """
    check_extracts_folder(extracts)
    parts = []
    for path in extract_files(extracts):
        parts += [path.name, file_digest(path)]
    return _sha("extracts", *parts)


_CODE_FINGERPRINT: list[str] = []


def code_fingerprint() -> str:
    """sha256 over the pipeline's source files, so cached stages never outlive a code change."""
    if not _CODE_FINGERPRINT:
        parts = []
        for name in _CODE_DIRS:
            root = _REPO_ROOT / name
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                if path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
                    parts += [path.relative_to(_REPO_ROOT).as_posix(), file_digest(path)]
        _CODE_FINGERPRINT.append(_sha("code", *parts))
    return _CODE_FINGERPRINT[0]


def ingest_key(extracts_key: str) -> str:
    return _sha("ingest", code_fingerprint(), extracts_key)


def validate_key(ingest: str) -> str:
    """The validate stage's key, from the key of the ingest stage whose staged tables it validates."""
    return _sha("validate", code_fingerprint(), ingest)


def stage_keys(
    extracts_key: str, period: Period, previous_registry: Path | None, previous_ledger: Path | None = None
) -> dict[str, str]:
    """The cache key of every cached stage, chained so a change upstream invalidates downstream."""
    code = code_fingerprint()
    ingest = ingest_key(extracts_key)
    standardize = _sha("standardize", code, ingest, str(period))
    previous = file_digest(previous_registry) if previous_registry else "none"
    link = _sha("link", code, standardize, previous)
    ledger = file_digest(previous_ledger) if previous_ledger and previous_ledger.exists() else "none"
    decide = _sha("decide", code, link, str(period), ledger)
    return {
        "ingest": ingest,
        "validate": validate_key(ingest),
        "standardize": standardize,
        "link": link,
        "decide": decide,
    }


# --------------------------------------------------------------------------- cached stage folders


@dataclass
class StageResult:
    """What a stage left in its folder: counts (no personal data) and timing."""

    stage: str
    key: str
    directory: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False
    peak_rss_mb: float = 0.0  # the process's peak resident memory while the stage ran (0 when cached)

    @property
    def path(self) -> Path:
        return Path(self.directory)


def cache_root_for(out: Path) -> Path:
    """Where finished stages are kept: ``$TAIZHANG_CACHE_DIR`` or ``<out>/.cache``.

    Keys are content hashes, so one cache may safely serve several output roots.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    return Path(override) if override else out / CACHE_DIR_NAME


def stage_dir(cache_root: Path, stage: str, key: str) -> Path:
    return cache_root / stage / key


def cached_stage(cache_root: Path, stage: str, key: str) -> StageResult | None:
    """The finished folder for ``(stage, key)``, if a previous run completed it."""
    directory = stage_dir(cache_root, stage, key)
    marker = directory / STAGE_MARKER
    if not marker.is_file():
        return None
    meta = json.loads(marker.read_text(encoding="utf-8"))
    return StageResult(stage, key, str(directory), meta["counts"], meta["seconds"], cached=True)


def run_stage(
    cache_root: Path, stage: str, key: str, fn: Callable[..., dict[str, int]], **kwargs: Any
) -> StageResult:
    """Run ``fn(into=<folder>, **kwargs)`` unless ``(stage, key)`` is already finished.

    The stage writes into a temporary sibling folder that is renamed into place
    with a marker only after it returned, so a crash mid-stage leaves no folder
    that a later run could mistake for a finished one.
    """
    reporter = progress.current()
    reporter.stage_started(stage, STAGE_DESCRIPTIONS.get(stage, stage))
    hit = cached_stage(cache_root, stage, key)
    if hit is not None:
        reporter.stage_finished(stage, summarize_counts(hit.counts, stage), cached=True)
        return hit
    final = stage_dir(cache_root, stage, key)
    private_dir(final.parent)
    # A crashed run's half-built stage folders go, a live run's (the cache may be shared) stay.
    runlock.remove_dead_temp_dirs(final.parent, ".*.tmp-*")
    started = time.perf_counter()
    with (
        reported_as_disk_faults(final.parent),
        runlock.live_temp_dir(final.parent, f".{key[:16]}.tmp-") as work,
    ):
        peak_memory.reset_peak()
        counts = fn(into=work, **kwargs)
        seconds = round(time.perf_counter() - started, 3)
        peak = peak_memory.peak_rss_mb()
        # The marker holds counts and timings only; the stage's data files are sealed.
        marker = {"stage": stage, "key": key, "counts": counts, "seconds": seconds}
        fd = os.open(work / STAGE_MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(marker, indent=2))
        owner_only(work)  # folders a library made (the reports') are the owner's only too
        if not final.exists():  # else a concurrent run finished the same stage first
            work.rename(final)
    release_freed_memory()
    reporter.stage_finished(stage, summarize_counts(counts, stage), cached=False)
    return StageResult(stage, key, str(final), counts, seconds, cached=False, peak_rss_mb=peak)


def release_freed_memory() -> None:
    """Hand the memory a finished stage freed back to the system, so the next stage starts low.

    A stage's frames are garbage once it returned, but what sits in reference cycles waits
    for the collector, and the C allocator keeps freed pages for reuse; the next stage's
    peak would then sit on top of them. Measured at 300,000 children: resident memory fell
    by 0.14-0.21 GB at each stage boundary, for about 0.25 CPU seconds a stage.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
