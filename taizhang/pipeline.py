"""The five stages as plain functions, and the runner shared by the flows and the CLI.

Stages hand each other FILE PATHS, never frames: every stage reads parquet from
its upstream stage's folder and writes parquet into its own. A stage's folder
lives in a content-addressed cache, ``<out>/.cache/<stage>/<key>/``, where
``key`` is a sha256 over the stage name, a fingerprint of the pipeline's code
and the keys of its inputs (for ingest: the bytes of the extract files). So a
rerun with unchanged inputs, or after a crash, finds the finished stages there
and starts at the first unfinished one, whether it runs under Prefect or not.
Prefect's own task cache (``flows/``) is keyed on the same strings.

A run is assembled in ``<out>/.<period>.tmp-*`` and renamed to
``<out>/<period>`` only when every stage succeeded; the previous folder of that
period is renamed aside first and deleted last, so a reader sees either the old
or the new complete folder, never a half-written one.

Nothing here logs or raises a value from a record: messages carry stage names,
file names, row numbers and counts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from taizhang import audit, keys, peak_memory, progress, runlock, sealed
from taizhang.diskfaults import reported_as_disk_faults
from taizhang.errors import PipelineError
from taizhang.period import Period

STAGES = ("ingest_and_validate", "standardize", "link", "decide", "emit")

# The modules (and the names in them) each stage needs; a stage whose module is
# not there yet is reported as unavailable instead of being faked.
STAGE_REQUIREMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "ingest_and_validate": (("taizhang.ingest", "read_extracts"),),
    "validation_reports": (
        ("expectations.validate", "validate_source"),
        ("expectations.report", "write_reports"),
    ),
    "standardize": (
        ("transforms.records", "standardize_records"),
        ("transforms.records", "standardize_guardians"),
        ("transforms.records", "standardize_status"),
    ),
    "link": (("matchers.engine", "link"), ("matchers.configs.children", "children_config")),
    "decide": (("taizhang.rules", "decide"),),
    "emit": (("taizhang.emit", "emit_period"),),
}

STAGE_DESCRIPTIONS = {
    "ingest_and_validate": "读取与校验 reading and validating extracts",
    "standardize": "标准化 standardizing records",
    "link": "匹配 linking records to children",
    "decide": "研判 applying the policy rules",
    "emit": "输出 writing ledgers and workbooks",
}

# Packages whose code decides what a stage produces; a change in any of them
# invalidates the cached stage folders.
_CODE_DIRS = ("taizhang", "transforms", "matchers", "expectations", "data_contracts", "sql")
_CODE_SUFFIXES = (".py", ".sql", ".yaml", ".csv")
_REPO_ROOT = Path(__file__).resolve().parents[1]

CACHE_DIR_NAME = ".cache"
CACHE_DIR_ENV = "TAIZHANG_CACHE_DIR"  # put the stage cache elsewhere (a fast disk, or shared by test runs)
FAIL_STAGE_ENV = "TAIZHANG_FAIL_STAGE"
# Test hook: hold the process for this many seconds once the named stage is in the cache
# (``link:600``), so a test can SIGKILL a real run right after linkage. Unset, it does nothing.
PAUSE_AFTER_STAGE_ENV = "TAIZHANG_PAUSE_AFTER_STAGE"
STAGE_MARKER = "_stage.json"
DUCKDB_MEMORY_LIMIT_ENV = "TAIZHANG_DUCKDB_MEMORY_LIMIT"
DUCKDB_TEMP_DIR_ENV = "TAIZHANG_DUCKDB_TEMP_DIR"


class StageUnavailable(PipelineError):
    """A stage's module is not part of this installation yet."""

    def __init__(self, stage: str, missing: str) -> None:
        super().__init__(
            "stage_unavailable",
            f"阶段「{stage}」尚不可用（缺少 {missing}），流程停在此处，未生成本期输出。",
            f"stage '{stage}' is not available yet (missing {missing}); the run stopped here "
            "and published nothing for this period.",
        )
        self.stage = stage
        self.missing = missing

    def __reduce__(self) -> tuple[Any, ...]:
        return (StageUnavailable, (self.stage, self.missing))


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


# --------------------------------------------------------------------------- checks


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


def parse_period(text: str) -> Period:
    """A :class:`Period`, or a :class:`PipelineError` that says what a period looks like."""
    try:
        return Period.parse(text)
    except ValueError:
        raise PipelineError(
            "bad_period",
            f"期次「{text}」格式不对，应为 2026H1（上半年）或 2026H2（下半年）。",
            f"period {text!r} is not of the form 2026H1 (first half) or 2026H2 (second half).",
        ) from None


def require(stage: str) -> list[Any]:
    """The callables a stage needs, or :class:`StageUnavailable` naming what is missing."""
    found = []
    for module_name, attr in STAGE_REQUIREMENTS[stage]:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only the stage's own module missing means "not built yet"; a
            # missing third-party dependency inside it is a real error.
            if exc.name and module_name.startswith(exc.name):
                raise StageUnavailable(stage, module_name) from None
            raise
        if not hasattr(module, attr):
            raise StageUnavailable(stage, f"{module_name}.{attr}")
        found.append(getattr(module, attr))
    return found


def stage_availability() -> dict[str, bool]:
    """Which stages this installation can run."""
    available = {}
    for stage in STAGE_REQUIREMENTS:
        try:
            require(stage)
            available[stage] = True
        except StageUnavailable:
            available[stage] = False
    return available


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


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) readable by the owner only."""
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for created in missing:
        created.chmod(0o700)
    return path


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
    if os.environ.get(FAIL_STAGE_ENV, "") == stage:
        # Lets operators and tests rehearse a crash at a given stage and the resume that follows.
        raise RuntimeError(f"stage {stage} failed on purpose ({FAIL_STAGE_ENV}={stage})")
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
    _pause_after(stage)
    reporter.stage_finished(stage, summarize_counts(counts, stage), cached=False)
    return StageResult(stage, key, str(final), counts, seconds, cached=False, peak_rss_mb=peak)


def _pause_after(stage: str) -> None:
    """The :data:`PAUSE_AFTER_STAGE_ENV` test hook: sleep once ``stage`` is cached, if asked to."""
    name, _, seconds = os.environ.get(PAUSE_AFTER_STAGE_ENV, "").partition(":")
    if name == stage:
        time.sleep(float(seconds or 600))


def summarize_counts(counts: dict[str, int], stage: str | None = None) -> str:
    """A stage's counts as a person reads them, in Chinese and English; raw names for any other stage."""
    c = {k: v for k, v in counts.items() if isinstance(v, int)}
    if stage == "ingest_and_validate":
        staged = {k: v for k, v in c.items() if k.startswith("staged_")}
        rows, sources = sum(staged.values()), len(staged)
        return (
            f"{sources} 个来源入库 {rows:,} 行，隔离 {c.get('quarantined', 0):,} 行，"
            f"文件级错误 {c.get('file_errors', 0)} 个 / {rows:,} rows from {sources} sources, "
            f"{c.get('quarantined', 0):,} quarantined, {c.get('file_errors', 0)} file errors"
        )
    if stage == "standardize":
        n = c.get("std_records", 0)
        return f"标准化记录 {n:,} 条 / {n:,} records standardized"
    if stage == "link":
        n, kids, pairs = c.get("records_linked", 0), c.get("children", 0), c.get("pairs_scored", 0)
        return (
            f"{n:,} 条记录关联为 {kids:,} 名儿童（评分 {pairs:,} 对）/ "
            f"{n:,} records linked to {kids:,} children ({pairs:,} pairs scored)"
        )
    if stage == "decide":
        n, flags, review = c.get("ledger", 0), c.get("flags", 0), c.get("review", 0)
        return (
            f"流动儿童 {n:,} 名，标记 {flags:,} 条，待核实 {review:,} 条 / "
            f"{n:,} migrant children, {flags:,} flags, {review:,} to review"
        )
    if stage == "emit":
        books, push = c.get("county_workbooks_written", 0), c.get("push_lists", 0)
        return f"县台账 {books} 个，推送清单 {push} 个 / {books} county workbooks, {push} push lists"
    return ", ".join(f"{k}={v:,}" for k, v in c.items())


# --------------------------------------------------------------------------- stage keys


def ingest_key(extracts_key: str) -> str:
    return _sha("ingest_and_validate", code_fingerprint(), extracts_key)


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
    return {"ingest_and_validate": ingest, "standardize": standardize, "link": link, "decide": decide}


# --------------------------------------------------------------------------- the stages


def _write(df: pl.DataFrame, path: Path, sort_by: Iterable[str] | None = None) -> int:
    """Write a sealed parquet file sorted by its key (determinism), return its row count."""
    by = [c for c in (sort_by or ()) if c in df.columns]
    if by:
        df = df.sort(by, nulls_last=True, maintain_order=True)
    sealed.write_frame(df, path)
    return df.height


def _file_report_json(report: Any) -> Any:
    """A file report as JSON-ready data (it holds headers and counts, never cell values)."""
    if hasattr(report, "__dataclass_fields__"):
        return {k: _file_report_json(v) for k, v in asdict(report).items()}
    if isinstance(report, dict):
        return {str(k): _file_report_json(v) for k, v in report.items()}
    if isinstance(report, (list, tuple)):
        return [_file_report_json(v) for v in report]
    if isinstance(report, (str, int, float, bool)) or report is None:
        return report
    return str(report)


QUARANTINE_SORT = ("source", "file", "row_number", "reason_code", "column")


def ingest_and_validate(extracts: Path, into: Path) -> dict[str, int]:
    """Stage 1: read every extract, quarantine unreadable rows, write the liaison reports.

    Writes ``staged_<source>.parquet``, ``quarantine.parquet``,
    ``file_reports.json``, ``errors.json`` and, when the expectations package is
    installed, ``validation/``.
    """
    (read_extracts,) = require("ingest_and_validate")
    check_extracts_folder(extracts)
    result = read_extracts(extracts)
    counts: dict[str, int] = {}
    for source, staged in sorted(result.staged.items()):
        counts[f"staged_{source}"] = _write(staged, into / f"staged_{source}.parquet", ("file", "row_number"))
    counts["quarantined"] = _write(result.quarantine, into / "quarantine.parquet", QUARANTINE_SORT)
    sealed.write_json(_file_report_json(list(result.file_reports)), into / "file_reports.json")
    errors = _file_report_json(list(result.errors))
    sealed.write_json(errors, into / "errors.json")
    counts["file_errors"] = len(errors)
    try:
        validate_source, write_reports = require("validation_reports")
    except StageUnavailable:
        counts["validation_reports"] = 0
        return counts
    from data_contracts import load_contracts

    contracts = load_contracts()
    validations = [
        validate_source(contracts[source], staged)
        for source, staged in sorted(result.staged.items())
        if source in contracts
    ]
    written = write_reports(validations, [*result.file_reports, *result.errors], result.quarantine, into)
    sealed.seal_tree(into / "validation")  # published in clear by the run, kept sealed in the cache
    counts["validation_reports"] = len(written)
    return counts


def fatal_ingest_errors(ingest_dir: Path) -> list[dict[str, Any]]:
    """File-level errors that make a ledger meaningless: a required source is missing or unreadable."""
    errors = sealed.read_json(ingest_dir / "errors.json")
    return [e for e in errors if isinstance(e, dict) and "missing" in str(e.get("code", ""))]


def raise_on_fatal_ingest_errors(ingest_dir: Path) -> None:
    """Stop the run when a required source has no file, or none of its files could be read.

    The message names the missing sources, and for a source whose files are
    there but unreadable, each file with its reason code and reason.
    """
    errors = sealed.read_json(ingest_dir / "errors.json")
    fatal = fatal_ingest_errors(ingest_dir)
    if not fatal:
        return
    missing = sorted({str(e.get("source")) for e in fatal if e.get("code") == "missing_source"})
    unreadable = sorted({str(e.get("source")) for e in fatal if e.get("code") != "missing_source"})
    zh, en = [], []
    if missing:
        zh.append(f"缺少必需的数据来源：{', '.join(missing)}（提取文件夹中没有它们的文件）。")
        en.append(f"required source(s) missing: {', '.join(missing)} (none of their files is in the folder).")
    for source in unreadable:
        files = [e for e in errors if e.get("source") == source and e.get("file")]
        zh.append(
            f"必需的数据来源「{source}」的文件均无法读取："
            + "；".join(f"{e['file']}（{e.get('code')}）" for e in files)
            + "。"
        )
        en.append(
            f"no file of required source {source} could be read: "
            + "; ".join(f"{e['file']} ({e.get('code')})" for e in files)
            + "."
        )
        zh.extend(str(e.get("message_zh")) for e in files if e.get("message_zh"))
        en.extend(str(e.get("message_en")) for e in files if e.get("message_en"))
    zh.append("请补齐或更正后重新运行（各来源说明见 docs/extracts.md）。")
    en.append("Add or correct them and run again (see docs/extracts.md).")
    raise PipelineError(
        "missing_source" if not unreadable else "unreadable_source", "\n".join(zh), "\n".join(en)
    )


def _read_staged(ingest_dir: Path) -> dict[str, pl.DataFrame]:
    return {
        p.stem.removeprefix("staged_"): sealed.read_frame(p)
        for p in sorted(ingest_dir.glob("staged_*.parquet"))
    }


def standardize(ingest_dir: Path, period: str, into: Path) -> dict[str, int]:
    """Stage 2: ``std_records``, ``std_guardians`` and ``std_status`` from the staged rows.

    Dates are bounded by the period's as-of date rather than the wall clock,
    so a rerun months later gives the same tables.
    """
    standardize_records, standardize_guardians, standardize_status = require("standardize")
    staged = _read_staged(ingest_dir)
    today = Period.parse(period).as_of
    records = standardize_records(staged, today=today)
    guardians = standardize_guardians(staged, records, today=today)
    status = standardize_status(staged, today=today)
    return {
        "std_records": _write(records, into / "std_records.parquet", ("record_id",)),
        "std_guardians": _write(
            guardians, into / "std_guardians.parquet", ("record_id", "role", "source", "file", "row_number")
        ),
        "std_status": _write(status, into / "std_status.parquet", ("source", "file", "row_number")),
    }


@contextlib.contextmanager
def duckdb_for_stage(into: Path, memory_limit: str, threads: int):
    """A private DuckDB with a memory limit that spills to a folder inside the stage's work folder.

    ``$TAIZHANG_DUCKDB_MEMORY_LIMIT`` overrides the limit (a bigger machine, or a shared one);
    ``$TAIZHANG_DUCKDB_TEMP_DIR`` moves the spill folder to another disk. The spill folder is
    removed when the stage ends, so it never reaches the published outputs.
    """
    import duckdb

    spill = Path(os.environ.get(DUCKDB_TEMP_DIR_ENV) or into) / f".duckdb-spill-{uuid.uuid4().hex[:8]}"
    con = duckdb.connect()
    try:
        con.execute(f"SET threads={int(threads)}")
        con.execute("SET memory_limit=$m", {"m": os.environ.get(DUCKDB_MEMORY_LIMIT_ENV) or memory_limit})
        con.execute("SET temp_directory=$t", {"t": str(spill)})
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def link(std_dir: Path, previous_registry: Path | None, into: Path) -> dict[str, int]:
    """Stage 3: assign every child-level record a stable ``child_id``."""
    link_fn, children_config = require("link")
    config = children_config()
    # Only the columns the linkage configuration reads: the rest of std_records is not needed here.
    records = sealed.read_frame_present(std_dir / "std_records.parquet", ["record_id", *config.columns])
    previous = sealed.read_frame(previous_registry) if previous_registry else None
    from matchers.stable_ids import IdSchemeError

    try:
        with duckdb_for_stage(into, config.memory_limit, config.threads) as con:
            result = link_fn(records, config, previous, con=con)
    except IdSchemeError as exc:
        # Not the operator's data at fault: say so plainly, with no value from a record.
        raise PipelineError(
            "id_scheme_broken",
            f"儿童编号规则的一致性检查未通过（{exc}），本期未发布任何输出；"
            "请将本消息报告给维护人员。",
            f"an invariant of the child-id scheme does not hold ({exc}); nothing was published for this "
            "half-year; report this message to the maintainers.",
        ) from None
    del records
    counts = {
        "records_linked": _write(result.record_child, into / "record_child.parquet", ("record_id",)),
        "registry": _write(result.registry, into / "registry.parquet", ("child_id",)),
        "pairs_scored": _write(result.pairs, into / "pairs.parquet", ("l", "r")),
        "review_sample": _write(result.review_sample, into / "review_sample.parquet", None),
    }
    counts["children"] = result.record_child["child_id"].n_unique()
    counts["candidate_pairs"] = int(getattr(result, "n_candidate_pairs", 0))
    for name in ("id_events", "blocking_report", "parameters", "vetoed_apart"):
        frame = getattr(result, name, None)
        if isinstance(frame, pl.DataFrame):
            _write(frame, into / f"link_{name}.parquet", None)
    return counts


def links_table(std_dir: Path, link_dir: Path) -> pl.DataFrame:
    """``links.parquet``: (source, file, row_number, child_id) for every readable child-level record."""
    records = sealed.read_frame(
        std_dir / "std_records.parquet", columns=["record_id", "source", "file", "row_number"]
    )
    record_child = sealed.read_frame(link_dir / "record_child.parquet", columns=["record_id", "child_id"])
    return (
        records.join(record_child, on="record_id", how="left")
        .select("source", "file", "row_number", "child_id")
        .sort("source", "file", "row_number")
    )


def decide(
    std_dir: Path, link_dir: Path, period: str, into: Path, previous_ledger: Path | None = None
) -> dict[str, int]:
    """Stage 4: child profiles, parents, policy decisions and flags as of the period's end.

    ``previous_ledger`` (last half-year's ``ledger.parquet``) supplies what this half-year's
    records of a child seen again no longer say (its birth date), and dates its presence in the
    county it lived in then.
    """
    (decide_fn,) = require("decide")
    previous = (
        pl.read_parquet(
            previous_ledger, columns=["child_id", "birth_date", "residence_county", "residence_since"]
        )
        if previous_ledger is not None and previous_ledger.exists()
        else None
    )
    from taizhang.rules._frames import RECORD_COLUMNS

    # The rules read std_records through the columns they declare (RECORD_COLUMNS, see
    # taizhang/rules/_frames.py); the raw, pinyin and source-number columns stay on disk.
    records_path = std_dir / "std_records.parquet"
    result = decide_fn(
        records=sealed.read_frame_present(records_path, list(RECORD_COLUMNS), file_order=True),
        guardians=sealed.read_frame(std_dir / "std_guardians.parquet"),
        status=sealed.read_frame(std_dir / "std_status.parquet"),
        record_child=sealed.read_frame(link_dir / "record_child.parquet"),
        period=Period.parse(period),
        previous_ledger=previous,
        vetoed_apart=_read_if_exists(link_dir / "link_vetoed_apart.parquet"),
    )
    counts = {}
    for name, frame in _frames(result).items():
        counts[name] = _write(frame, into / f"{name}.parquet", ("child_id", "flag", "role"))
    counts["merged_ids"] = _write(merged_ids(link_dir), into / "merged_ids.parquet", ("previous_child_id",))
    return counts


def _read_if_exists(path: Path) -> pl.DataFrame | None:
    return sealed.read_frame(path) if path.exists() else None


def merged_ids(link_dir: Path) -> pl.DataFrame:
    """Last half-year's child ids that linkage merged into another id (for the change list)."""
    schema = {"previous_child_id": pl.Utf8, "child_id": pl.Utf8}
    path = link_dir / "link_id_events.parquet"
    if not path.exists():
        return pl.DataFrame(schema=schema)
    events = sealed.read_frame(path)
    return (
        events.filter(pl.col("event") == "merged")
        .select(pl.col("related_child_id").alias("previous_child_id"), "child_id")
        .cast(schema)
    )


def _frames(result: Any) -> dict[str, pl.DataFrame]:
    """The named frames of a stage result (a dict or an object with frame attributes)."""
    items = result.items() if isinstance(result, dict) else vars(result).items()
    return {name: frame for name, frame in items if isinstance(frame, pl.DataFrame)}


class _DecisionFiles(SimpleNamespace):
    """The decide stage's tables, each read from its parquet file when emit first asks for it.

    Emit needs the ledger, flags, review and merged ids; the province's profiles and parents
    stay on disk unless an emitter reads them.
    """

    def __init__(self, decide_dir: Path) -> None:
        super().__init__()
        self._paths = {p.stem: p for p in sorted(decide_dir.glob("*.parquet"))}

    def __getattr__(self, name: str) -> Any:
        paths = self.__dict__.get("_paths", {})
        if name in paths:
            frame = sealed.read_frame(paths[name])
            setattr(self, name, frame)
            return frame
        if name == "review":
            return None
        raise AttributeError(name)


def load_decisions(decide_dir: Path) -> Any:
    """The decide stage's frames read back (lazily), in the shape ``taizhang.emit`` expects."""
    return _DecisionFiles(decide_dir)


def emit(
    decide_dir: Path,
    out_period_dir: Path,
    period: str,
    previous_dir: Path | None,
    counties: list[str] | None = None,
) -> dict[str, int]:
    """Stage 5: ledger, flags, county workbooks and change lists into the period folder."""
    (emit_period,) = require("emit")
    reporter = progress.current()
    reporter.stage_started("emit", STAGE_DESCRIPTIONS["emit"])
    written = emit_period(
        load_decisions(decide_dir), out_period_dir, Period.parse(period), previous_dir, counties
    )
    counts: dict[str, int] = {}
    if isinstance(written, dict):
        counts = {k: v for k, v in written.items() if isinstance(v, int)}
    counts["county_workbooks"] = len(list((out_period_dir / "counties").glob("*.xlsx")))
    reporter.stage_finished("emit", summarize_counts(counts, "emit"), cached=False)
    return counts


# --------------------------------------------------------------------------- previous half-year


def is_complete_period_dir(path: Path) -> bool:
    return (path / "state" / "registry.parquet").is_file()


def find_previous(out: Path, period: Period) -> Path | None:
    """The latest earlier half-year published in ``out`` (with a registry to carry child ids)."""
    if not out.is_dir():
        return None
    earlier = []
    for child in out.iterdir():
        try:
            p = Period.parse(child.name)
        except ValueError:
            continue
        if p < period and child.is_dir() and is_complete_period_dir(child):
            earlier.append((p, child))
    return max(earlier)[1] if earlier else None


def resolve_previous(out: Path, period: Period, previous: Path | None) -> Path | None:
    if previous is None:
        return find_previous(out, period)
    if not is_complete_period_dir(previous):
        raise PipelineError(
            "previous_missing",
            f"上期文件夹 {previous} 不是一次完整的运行结果（缺少 state/registry.parquet）。",
            f"the previous half-year folder {previous} is not a complete run (no state/registry.parquet).",
        )
    return previous


# --------------------------------------------------------------------------- publishing


def clean_stale(out: Path, period: str) -> None:
    """Undo what a killed run left: its temporary folders, and an old folder renamed aside.

    Called under the output folder's lock (:func:`taizhang.runlock.folder_lock`),
    so no other run of this folder is publishing; a temporary folder is
    removed only when the run that made it is dead (its ``.alive`` marker is
    not locked), never because of its name alone.
    """
    if not out.is_dir():
        return
    final = out / period
    for leftover in sorted(out.glob(f".{period}.old-*")):
        if not final.exists():
            leftover.rename(final)  # killed between the two renames: put the old one back
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    runlock.remove_dead_temp_dirs(out, f".{period}.tmp-*")


def owner_only(folder: Path) -> None:
    """Make a folder and everything under it readable by its owner only (0700 folders, 0600 files)."""
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


def publish(work: Path, final: Path) -> None:
    """Replace ``final`` by ``work``: owner-only permissions, old aside, new in, old deleted."""
    owner_only(work)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
        final.rename(old)
    try:
        work.rename(final)
    except BaseException:
        if old is not None:
            old.rename(final)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def work_dir_for(out: Path, period: str):
    """A temporary period folder (marked alive while this run lasts), deleted unless it was published."""
    clean_stale(out, period)
    private_dir(out)
    with runlock.live_temp_dir(out, f".{period}.tmp-") as work:
        yield work


def copy_stage_files(results: Iterable[StageResult], state: Path) -> None:
    """Copy every stage's sealed files into ``state/`` (copies, so the cache stays intact)."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    for result in results:
        for path in sorted(result.path.iterdir()):
            if path.name == STAGE_MARKER:
                continue
            sealed.copy(path, state / path.name)


def write_public_tables(
    ingest: StageResult, std: StageResult | None, linked: StageResult | None, work: Path
) -> None:
    """``quarantine.parquet``, ``links.parquet`` and ``validation/`` at the top of the period folder.

    These are published outputs, so they are written in clear from the sealed stage files.
    """
    sealed.read_frame(ingest.path / "quarantine.parquet").write_parquet(
        work / "quarantine.parquet", statistics=False
    )
    if (ingest.path / "validation").is_dir():
        sealed.unseal_tree(ingest.path / "validation", work / "validation")
    if std is not None and linked is not None:
        links_table(std.path, linked.path).write_parquet(work / "links.parquet", statistics=False)
        write_review_page(std.path, linked.path, work)


def write_review_page(std_dir: Path, link_dir: Path, work: Path) -> None:
    """``linkage_review.html``: the pairs an operator should check, with their weights (see emit)."""
    try:
        from matchers.configs.children import children_config
        from taizhang.emit.linkage_review import write_linkage_review
    except ImportError:  # a checkout without the linker or the emit stage has no page to write
        return
    write_linkage_review(std_dir, link_dir, work / "linkage_review.html", children_config().threshold)


# --------------------------------------------------------------------------- run report


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for dist in ("taizhang", "duckdb", "polars", "prefect", "great-expectations"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "not installed"
    return found


def write_run_report(work: Path, report: dict[str, Any]) -> Path:
    path = work / "run_report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the runner


StageCall = Callable[..., StageResult]


def direct_call(stage: str, key: str, cache_root: Path, **kwargs: Any) -> StageResult:
    """Run a cached stage in this process (no Prefect)."""
    fn = {
        "ingest_and_validate": ingest_and_validate,
        "standardize": standardize,
        "link": link,
        "decide": decide,
    }[stage]
    return run_stage(cache_root, stage, key, fn, **kwargs)


@dataclass
class RunOutcome:
    """Where a run published its outputs and what it counted."""

    period: str
    out_dir: Path
    report: dict[str, Any]


@contextlib.contextmanager
def guarded(out: Path, command: str, create_key: bool = True, **fields: Any):
    """What every command that writes into ``out`` runs inside.

    Disk faults become clear errors (exit 2); an audit line is appended to
    ``<out>/audit.jsonl`` with the outcome; the output folder's lock is held,
    so a second run into ``out`` waits or is refused; the key is loaded (or
    created on first use) before any work, so a missing or unsafe key stops
    the run before it starts.
    """
    out = Path(out)
    with (
        reported_as_disk_faults(out),  # the audit log's own writes
        audit.recorded(out, command, **fields) as entry,
        reported_as_disk_faults(out),  # so the audit line names a disk fault by its code
    ):
        key = keys.load(create=create_key)
        entry["key_id"] = key.id
        with runlock.folder_lock(out, command):
            yield entry


def run_period(
    extracts: Path,
    period: str,
    out: Path,
    previous: Path | None = None,
    call: StageCall = direct_call,
    emit_call: Callable[..., dict[str, int]] | None = None,
) -> RunOutcome:
    """Run the five stages for one half-year and publish ``<out>/<period>`` atomically.

    ``call(stage, key, cache_root, **inputs)`` runs one cached stage; the flows
    pass their Prefect tasks here, the default runs them directly. One run at
    a time per output folder (:func:`guarded`).
    """
    the_period = parse_period(period)
    with guarded(Path(out), "run", period=str(the_period), extracts=str(extracts)) as entry:
        outcome = _run_period(Path(extracts), str(the_period), Path(out), previous, call, emit_call)
        entry["inputs_digest"] = outcome.report["extracts_digest"]
        entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    return outcome


def _run_period(
    extracts: Path,
    period: str,
    out: Path,
    previous: Path | None,
    call: StageCall,
    emit_call: Callable[..., dict[str, int]] | None,
) -> RunOutcome:
    the_period = parse_period(period)
    period = str(the_period)
    extracts, out = Path(extracts), Path(out)
    started = time.perf_counter()
    extracts_key = extracts_digest(extracts)
    previous_dir = resolve_previous(out, the_period, Path(previous) if previous else None)
    previous_registry = previous_dir / "state" / "registry.parquet" if previous_dir else None
    previous_ledger = previous_dir / "ledger.parquet" if previous_dir else None
    keys = stage_keys(extracts_key, the_period, previous_registry, previous_ledger)
    cache_root = private_dir(cache_root_for(out))
    stages: dict[str, StageResult] = {}

    ingest = call("ingest_and_validate", keys["ingest_and_validate"], cache_root, extracts=extracts)
    stages["ingest_and_validate"] = ingest
    raise_on_fatal_ingest_errors(ingest.path)
    std = call("standardize", keys["standardize"], cache_root, ingest_dir=ingest.path, period=period)
    stages["standardize"] = std
    linked = call("link", keys["link"], cache_root, std_dir=std.path, previous_registry=previous_registry)
    stages["link"] = linked
    decided = call(
        "decide",
        keys["decide"],
        cache_root,
        std_dir=std.path,
        link_dir=linked.path,
        period=period,
        previous_ledger=previous_ledger,
    )
    stages["decide"] = decided

    with work_dir_for(out, period) as work:
        copy_stage_files(stages.values(), work / "state")
        write_public_tables(ingest, std, linked, work)
        emit_started = time.perf_counter()
        peak_memory.reset_peak()
        emitter = emit_call or emit
        emit_counts = emitter(
            decide_dir=decided.path, out_period_dir=work, period=period, previous_dir=previous_dir
        )
        emit_seconds = round(time.perf_counter() - emit_started, 3)
        emit_peak = peak_memory.peak_rss_mb()
        report = {
            "period": period,
            "as_of": the_period.as_of.isoformat(),
            "extracts_digest": extracts_key,
            "previous": previous_dir.name if previous_dir else None,
            "stages": {
                name: {
                    "counts": r.counts,
                    "seconds": r.seconds,
                    "cached": r.cached,
                    "peak_rss_mb": r.peak_rss_mb,
                }
                for name, r in stages.items()
            }
            | {
                "emit": {
                    "counts": emit_counts,
                    "seconds": emit_seconds,
                    "cached": False,
                    "peak_rss_mb": emit_peak,
                }
            },
            "total_seconds": round(time.perf_counter() - started, 3),
            # The run's peak resident memory: the largest stage peak (see taizhang/peak_memory.py).
            "peak_rss_mb": max([emit_peak, *(r.peak_rss_mb for r in stages.values())]),
            "versions": versions(),
        }
        write_run_report(work, report)
        final = out / period
        publish(work, final)
    return RunOutcome(period, out / period, report)


# --------------------------------------------------------------------------- validation only


def validate_only(extracts: Path, out: Path, call: StageCall = direct_call) -> RunOutcome:
    """Ingest and validate, and publish the liaison reports alone into ``<out>/validation``.

    Missing or unreadable files do not stop this run: they are what the
    liaison reports are for.
    """
    with guarded(Path(out), "validate", extracts=str(extracts)) as entry:
        outcome = _validate_only(Path(extracts), Path(out), call)
        entry["inputs_digest"] = outcome.report["extracts_digest"]
        entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    return outcome


def _validate_only(extracts: Path, out: Path, call: StageCall) -> RunOutcome:
    extracts, out = Path(extracts), Path(out)
    extracts_key = extracts_digest(extracts)
    require("validation_reports")
    cache_root = private_dir(cache_root_for(out))
    ingest = call("ingest_and_validate", ingest_key(extracts_key), cache_root, extracts=extracts)
    with work_dir_for(out, "validation") as work:
        # Published for the liaisons, so written in clear from the sealed stage files.
        if (ingest.path / "validation").is_dir():
            sealed.unseal_tree(ingest.path / "validation", work)
        sealed.read_frame(ingest.path / "quarantine.parquet").write_parquet(
            work / "quarantine.parquet", statistics=False
        )
        for name in ("file_reports.json", "errors.json"):
            (work / name).write_text(
                json.dumps(sealed.read_json(ingest.path / name), ensure_ascii=False, indent=2),
                encoding="utf-8",
            )
        report = {
            "extracts_digest": extracts_key,
            "stages": {
                "ingest_and_validate": {
                    "counts": ingest.counts,
                    "seconds": ingest.seconds,
                    "cached": ingest.cached,
                }
            },
            "versions": versions(),
        }
        write_run_report(work, report)
        publish(work, out / "validation")
    return RunOutcome("validation", out / "validation", report)


# --------------------------------------------------------------------------- one county again


def check_county(county: str) -> str:
    from taizhang.reference import county_names

    code = county.strip()
    if code not in county_names():
        raise PipelineError(
            "bad_county",
            f"「{county}」不是吉林省的县级区划代码（6 位，如 220102）。",
            f"{county!r} is not a Jilin county-level division code (6 digits, e.g. 220102).",
        )
    return code


def corrected_field_visits(
    state: Path, county: str, sheet: Path, period: Period, into: Path
) -> dict[str, int]:
    """Replace one county's field-visit records in the linked state by a corrected sheet.

    The corrected rows are standardized and linked against this period's
    registry only, so the rest of the province is not relinked; their new
    ``record_id`` values follow the largest existing one. Rows of another
    county (a prefecture's whole sheet, say) are left out: they are not this
    county's to correct, and keeping them would duplicate that county's records.
    """
    (read_extracts,) = require("ingest_and_validate")
    standardize_records, _, _ = require("standardize")
    link_fn, children_config = require("link")
    if not sheet.is_file():
        raise PipelineError(
            "field_visits_missing",
            f"找不到走访表 {sheet}。",
            f"the field-visit sheet {sheet} does not exist.",
        )
    with tempfile.TemporaryDirectory(prefix=".field-visits-", dir=into) as tmp:
        staging = Path(tmp)
        shutil.copy2(sheet, staging / f"field_visits_{county}{sheet.suffix.lower()}")
        staged = read_extracts(staging).staged.get("field_visits")
    if staged is not None:
        # The copy's name tells the reader which source the sheet is; the evidence names the sheet
        # the county analyst gave, which is the file they will open.
        staged = staged.with_columns(pl.lit(sheet.name).alias("file"))
    if staged is None or staged.height == 0:
        raise PipelineError(
            "field_visits_unreadable",
            f"走访表 {sheet.name} 中没有可读的行（表头应与 field_visits 来源一致）。",
            f"the field-visit sheet {sheet.name} has no readable row (its headers must match field_visits).",
        )
    records = sealed.read_frame(state / "std_records.parquet")
    record_child = sealed.read_frame(state / "record_child.parquet")
    fresh = standardize_records({"field_visits": staged}, today=period.as_of)
    elsewhere = pl.col("residence_county").is_not_null() & (pl.col("residence_county") != county)
    counts = {
        "field_visit_rows": fresh.height,
        "field_visit_rows_of_other_counties": fresh.filter(elsewhere).height,
    }
    fresh = fresh.filter(~elsewhere)
    if fresh.height == 0:
        raise PipelineError(
            "field_visits_other_county",
            f"走访表 {sheet.name} 中没有 {county} 的行（居住地区划代码）。",
            f"the field-visit sheet {sheet.name} has no row of county {county} (residence county column).",
        )
    fresh = fresh.with_columns(pl.col("record_id") + (records["record_id"].max() or 0) + 1)
    fresh_links = link_fn(
        fresh, children_config(), sealed.read_frame(state / "registry.parquet")
    ).record_child
    stale = records.filter(
        (pl.col("source") == "field_visits") & (pl.col("residence_county") == county)
    ).select("record_id")
    records = pl.concat([records.join(stale, on="record_id", how="anti"), fresh], how="diagonal_relaxed")
    record_child = pl.concat(
        [record_child.join(stale, on="record_id", how="anti"), fresh_links.select(record_child.columns)]
    )
    _write(records, into / "std_records.parquet", ("record_id",))
    _write(record_child, into / "record_child.parquet", ("record_id",))
    for name in ("std_guardians.parquet", "std_status.parquet", "registry.parquet"):
        shutil.copy2(state / name, into / name)
    # The pairs a rename veto kept apart are the linker's, and the linker did not run again: a pair
    # whose record the sheet replaced finds no record and drops out of review by itself.
    if (state / "link_vetoed_apart.parquet").exists():
        shutil.copy2(state / "link_vetoed_apart.parquet", into / "link_vetoed_apart.parquet")
    return counts


def rerun_county(
    county: str,
    period: str,
    out: Path,
    field_visits: Path | None = None,
    emit_call: Callable[..., dict[str, int]] | None = None,
) -> RunOutcome:
    """Decide and emit one county again from the period's linked state, without relinking.

    Only that county's files are rewritten; every other output of the period
    stays byte for byte as it was. The audit line names who ran it.
    """
    the_period = parse_period(period)
    fields = {"period": str(the_period), "county": county.strip()}
    with guarded(Path(out), "rerun-county", create_key=False, **fields) as entry:
        if field_visits is not None and Path(field_visits).is_file():
            entry["inputs_digest"] = file_digest(Path(field_visits))
        outcome = _rerun_county(county, str(the_period), Path(out), field_visits, emit_call)
        entry["outputs_digest"] = audit.tree_digest(outcome.out_dir)
    return outcome


def _rerun_county(
    county: str,
    period: str,
    out: Path,
    field_visits: Path | None,
    emit_call: Callable[..., dict[str, int]] | None,
) -> RunOutcome:
    the_period = parse_period(period)
    period = str(the_period)
    out = Path(out)
    county = check_county(county)
    period_dir = out / period
    if not is_complete_period_dir(period_dir):
        raise PipelineError(
            "period_missing",
            f"{period_dir} 不是一次完整的运行结果，请先运行 taizhang run。",
            f"{period_dir} is not a complete run; run `taizhang run` for {period} first.",
        )
    state = period_dir / "state"
    previous_dir = find_previous(out, the_period)
    started = time.perf_counter()
    clean_stale(out, f"{period}-{county}")
    with work_dir_for(out, f"{period}-{county}") as work:
        linked_state = state
        sheet_counts: dict[str, int] = {}
        if field_visits is not None:
            linked_state = work / "linked"
            linked_state.mkdir()
            sheet_counts = corrected_field_visits(state, county, Path(field_visits), the_period, linked_state)
        decided = work / "decided"
        decided.mkdir()
        counts = decide(
            std_dir=linked_state,
            link_dir=linked_state,
            period=period,
            into=decided,
            previous_ledger=previous_dir / "ledger.parquet" if previous_dir else None,
        )
        emitter = emit_call or emit
        emit_counts = emitter(
            decide_dir=decided,
            out_period_dir=period_dir,
            period=period,
            previous_dir=previous_dir,
            counties=[county],
        )
        report = {
            "period": period,
            "county": county,
            "field_visits_digest": file_digest(Path(field_visits)) if field_visits else None,
            "field_visits": sheet_counts,
            "stages": {"decide": {"counts": counts}, "emit": {"counts": emit_counts}},
            "total_seconds": round(time.perf_counter() - started, 3),
            "versions": versions(),
        }
        if field_visits is not None:
            # Keep the corrected records as the period's linked state, so a later rerun of
            # this or another county starts from them (each file replaced atomically).
            for name in ("std_records.parquet", "record_child.parquet"):
                os.replace(linked_state / name, state / name)
        reruns = state / "county_reruns"
        reruns.mkdir(exist_ok=True)
        (reruns / f"{county}.json").write_text(
            json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
        )
        owner_only(period_dir)
    return RunOutcome(period, period_dir, report)
