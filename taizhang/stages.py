"""The stages as plain functions: ingest, validate, standardize, link, decide, emit.

Stages hand each other FILE PATHS, never frames: every stage reads parquet
from its upstream stage's folder and writes sealed parquet into its own
(``into``, a folder of the stage cache, see :mod:`taizhang.stage_cache`), and
returns its counts. Each stage reads only the columns it needs. Both runners
call these same functions: :mod:`taizhang.pipeline` directly, the Prefect
flows (``flows/``) as tasks.

Each stage function imports its stage's package where it starts (a plain
``import``, no loading by name): a command imports the stages it runs and no
more, so ``taizhang validate`` does not load the linker, the rules or the
workbook writers, and ``rerun-county`` does not load ingest, validation or
the linker (about a second of CPU each on start-up).

Nothing here logs or raises a value from a record: messages carry stage names,
file names, row numbers and counts.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import polars as pl

from taizhang import progress, sealed
from taizhang.duckdb_memory import link_memory_limit
from taizhang.errors import id_scheme_broken, required_sources_missing
from taizhang.period import Period
from taizhang.stage_cache import check_extracts_folder
from taizhang.stage_summary import STAGE_DESCRIPTIONS, summarize_counts

if TYPE_CHECKING:
    import duckdb

DUCKDB_MEMORY_LIMIT_ENV = "TAIZHANG_DUCKDB_MEMORY_LIMIT"
DUCKDB_TEMP_DIR_ENV = "TAIZHANG_DUCKDB_TEMP_DIR"
QUARANTINE_SORT = ("source", "file", "row_number", "reason_code", "column")


def sorted_by(df: pl.DataFrame, sort_by: Iterable[str] | None) -> pl.DataFrame:
    """``df`` in the order of the columns of ``sort_by`` it has (stable, nulls last).

    The order is found from the key columns alone, and the rows are gathered only when they are
    out of it: most tables arrive in their order already, and sorting a wide frame gathers every
    column into a new copy (std_records of 2,500,000 children: 24 s and twice its memory, for
    rows already in record order).
    """
    by = [c for c in (sort_by or ()) if c in df.columns]
    if not by or df.height < 2:
        return df
    order = df.select(by).with_row_index("_row").sort(by, nulls_last=True, maintain_order=True)["_row"]
    return df if order.is_sorted() else df[order]


def write_sorted(df: pl.DataFrame, path: Path, sort_by: Iterable[str] | None = None) -> int:
    """Write a sealed parquet file sorted by its key (determinism), return its row count."""
    df = sorted_by(df, sort_by)
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


# --------------------------------------------------------------------------- 1. ingest


def ingest(extracts: Path, into: Path, validation_key: str | None = None) -> dict[str, int]:
    """Stage 1: read every extract, quarantine unreadable rows, stage the rest.

    Writes ``staged_<source>.parquet``, ``quarantine.parquet``,
    ``file_reports.json`` and ``errors.json``. With ``validation_key`` (the
    stage's cache key), each source is also handed to a validation worker as
    soon as it is read, and :func:`validate` collects the answers under that key
    (:mod:`expectations.in_flight`); without it, :func:`validate` validates the
    staged tables itself.
    """
    from data_contracts import load_contracts
    from expectations import in_flight
    from taizhang.ingest import read_extracts

    check_extracts_folder(extracts)
    contracts = load_contracts()
    flight = in_flight.start(validation_key, date.today()) if validation_key else None
    counts: dict[str, int] = {}

    def stage_source(source: str, staged: pl.DataFrame) -> None:
        counts[f"staged_{source}"] = write_sorted(
            staged, into / f"staged_{source}.parquet", ("file", "row_number")
        )
        if flight is not None and source in contracts:
            flight.submit(contracts[source], staged)

    try:
        result = read_extracts(extracts, contracts, on_source=stage_source)
        counts = dict(sorted(counts.items()))
        counts["quarantined"] = write_sorted(result.quarantine, into / "quarantine.parquet", QUARANTINE_SORT)
        sealed.write_json(_file_report_json(list(result.file_reports)), into / "file_reports.json")
        errors = _file_report_json(list(result.errors))
        sealed.write_json(errors, into / "errors.json")
    except BaseException:
        if validation_key:
            in_flight.abandon(validation_key)
        raise
    counts["file_errors"] = len(errors)
    return counts


def check_required_sources(ingest_dir: Path) -> None:
    """Stop the run when a required source has no file, or none of its files could be read."""
    error = required_sources_missing(sealed.read_json(ingest_dir / "errors.json"))
    if error is not None:
        raise error


# --------------------------------------------------------------------------- 1b. validate


def validate(ingest_dir: Path, into: Path, validation_key: str | None = None) -> dict[str, int]:
    """Stage 1b: the liaisons' validation reports of the sources ``ingest`` staged.

    Collects the validations the ingest stage of cache key ``validation_key``
    started in this process; when there are none (ingest came from the cache),
    the staged tables are read back and validated now. Writes ``validation/``.
    """
    from data_contracts import load_contracts
    from expectations import in_flight
    from expectations.report import write_reports

    flight = in_flight.take(validation_key) if validation_key else None
    if flight is None:
        contracts = load_contracts()
        flight = in_flight.InFlight(date.today())
        for source, path in staged_files(ingest_dir).items():  # one at a time: a province's are large
            if source in contracts:
                flight.submit(contracts[source], sealed.read_frame(path))
    validations = flight.results()
    file_reports = [
        *sealed.read_json(ingest_dir / "file_reports.json"),
        *sealed.read_json(ingest_dir / "errors.json"),
    ]
    quarantine = sealed.read_frame(ingest_dir / "quarantine.parquet")
    written = write_reports(validations, file_reports, quarantine, into)
    sealed.seal_tree(into / "validation")  # published in clear by the run, kept sealed in the cache
    return {"validation_reports": len(written)}


# --------------------------------------------------------------------------- 2. standardize


def staged_files(ingest_dir: Path) -> dict[str, Path]:
    """The ingest stage's ``staged_<source>.parquet`` files, by source, in source name order."""
    return {p.stem.removeprefix("staged_"): p for p in sorted(ingest_dir.glob("staged_*.parquet"))}


def _read_staged(ingest_dir: Path) -> dict[str, pl.DataFrame]:
    return {source: sealed.read_frame(p) for source, p in staged_files(ingest_dir).items()}


def standardize(ingest_dir: Path, period: Period, into: Path) -> dict[str, int]:
    """Stage 2: ``std_records``, ``std_guardians`` and ``std_status`` from the staged rows.

    Dates are bounded by the period's as-of date rather than the wall clock,
    so a rerun months later gives the same tables. Each table is written and
    let go before the next is built.
    """
    from transforms.standardize import standardized_tables

    sort_keys = {
        "std_records": ("record_id",),
        "std_guardians": ("record_id", "role", "source", "file", "row_number"),
        "std_status": ("source", "file", "row_number"),
    }
    counts: dict[str, int] = {}
    for name, table in standardized_tables(_read_staged(ingest_dir), today=period.as_of):
        counts[name] = write_sorted(table, into / f"{name}.parquet", sort_keys[name])
        del table
    return counts


# --------------------------------------------------------------------------- 3. link


@contextlib.contextmanager
def duckdb_for_stage(into: Path, memory_limit: str, threads: int) -> Iterator[duckdb.DuckDBPyConnection]:
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
    from matchers.configs.children import children_config
    from matchers.engine import link as link_records
    from matchers.stable_ids import IdSchemeError

    config = children_config()
    previous = sealed.read_frame(previous_registry) if previous_registry else None
    # Only the columns the linkage configuration reads. The frame is held in a list and popped
    # into the call, so that no name here keeps it alive once the engine has loaded it into DuckDB.
    records = [sealed.read_frame_present(std_dir / "std_records.parquet", ["record_id", *config.columns])]
    memory_limit = link_memory_limit(records[0].height, config.memory_limit)
    try:
        with duckdb_for_stage(into, memory_limit, config.threads) as con:
            result = link_records(records.pop(), config, previous, con=con)
    except IdSchemeError as exc:
        # Not the operator's data at fault: say so plainly, with no value from a record.
        raise id_scheme_broken(str(exc)) from None
    counts = {
        # The engine hands its tables over sorted (record_child by record, the registry by child and
        # anchor, the pairs by (l, r): matchers/engine.py, sql/link_kept_pairs.sql): no sorted copy.
        "records_linked": write_sorted(result.record_child, into / "record_child.parquet", None),
        "registry": write_sorted(result.registry, into / "registry.parquet", None),
        "pairs_scored": write_sorted(result.pairs, into / "pairs.parquet", None),
        "review_sample": write_sorted(result.review_sample, into / "review_sample.parquet", None),
    }
    counts["children"] = result.record_child["child_id"].n_unique()
    counts["candidate_pairs"] = int(getattr(result, "n_candidate_pairs", 0))
    for name in ("id_events", "blocking_report", "parameters", "vetoed_apart"):
        frame = getattr(result, name, None)
        if isinstance(frame, pl.DataFrame):
            write_sorted(frame, into / f"link_{name}.parquet", None)
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


def write_review_page(std_dir: Path, link_dir: Path, work: Path) -> None:
    """``linkage_review.html``: the pairs an operator should check, with their weights (see emit)."""
    from matchers.configs.children import children_config
    from taizhang.emit.linkage_review import write_linkage_review

    write_linkage_review(std_dir, link_dir, work / "linkage_review.html", children_config().threshold)


# --------------------------------------------------------------------------- 4. decide


def decide(
    std_dir: Path, link_dir: Path, period: Period, into: Path, previous_ledger: Path | None = None
) -> dict[str, int]:
    """Stage 4: child profiles, parents, policy decisions and flags as of the period's end.

    ``previous_ledger`` (last half-year's ``ledger.parquet``) supplies what this half-year's
    records of a child seen again no longer say (its birth date), and dates its presence in the
    county it lived in then.

    The children are decided in buckets (``taizhang.rules.decide.BUCKET_CHILDREN``); the tables
    with rows of one child each are written bucket by bucket (:class:`_TableParts`), so neither
    the province's records nor its tables are held whole beside the rules.
    """
    from taizhang.rules import decide as decide_rules
    from taizhang.rules.columns import GUARDIAN_COLUMNS, RECORD_COLUMNS
    from taizhang.rules.decide import BUCKET_CHILDREN

    previous = (
        pl.read_parquet(
            previous_ledger, columns=["child_id", "birth_date", "residence_county", "residence_since"]
        )
        if previous_ledger is not None and previous_ledger.exists()
        else None
    )
    # The rules read std_records through the columns they declare (RECORD_COLUMNS, see
    # taizhang/rules/columns.py); the raw, pinyin and source-number columns stay on disk. The
    # records and guardians are handed over lazily: the rules read what crosses children first
    # and the rest bucket by bucket. Each other table in one chunk per column (rechunk): polars
    # gathers a struct or list column from several chunks (one per row group) many times slower
    # than from one, and the rules' joins, sorts and first-per-child picks all gather.
    parts = _TableParts(into)
    result = decide_rules(
        records=_scan_present(std_dir / "std_records.parquet", list(RECORD_COLUMNS)),
        guardians=_scan_present(std_dir / "std_guardians.parquet", list(GUARDIAN_COLUMNS)),
        status=sealed.read_frame(std_dir / "std_status.parquet").rechunk(),
        record_child=sealed.read_frame(link_dir / "record_child.parquet").rechunk(),
        period=period,
        previous_ledger=previous,
        vetoed_apart=_read_if_exists(link_dir / "link_vetoed_apart.parquet"),
        bucket_children=BUCKET_CHILDREN,
        sink=parts.add,
    )
    counts = parts.close()
    frames = _frames(result)
    del result
    for name in list(frames):  # each table let go once written: the next one writes with less held
        frame = frames.pop(name)
        if name not in counts:
            counts[name] = write_sorted(frame, into / f"{name}.parquet", DECISION_SORT)
    counts["merged_ids"] = write_sorted(
        merged_ids(link_dir), into / "merged_ids.parquet", ("previous_child_id",)
    )
    return counts


DECISION_SORT = ("child_id", "flag", "role")


def _scan_present(path: Path, wanted: list[str]) -> pl.LazyFrame:
    """The columns of ``wanted`` that a sealed parquet file has, in the file's order, read lazily
    (the file is decrypted once, into memory: no clear byte reaches the disk)."""
    frame = pl.scan_parquet(io.BytesIO(sealed.read_bytes(path)))
    return frame.select([c for c in frame.collect_schema().names() if c in set(wanted)])


class _TableParts:
    """Sealed parquet tables written part by part (a bucket of children at a time, in child order).

    Each part is sorted as :func:`write_sorted` sorts a table and serialized into its file's buffer
    as it comes, so a table's rows are never all held as a frame; the file is sealed and written
    when :meth:`close` is called.
    """

    def __init__(self, into: Path) -> None:
        self._into = into
        self._open: dict[str, tuple[io.BytesIO, Any, pl.Schema]] = {}
        self._rows: dict[str, int] = {}

    def add(self, name: str, part: pl.DataFrame) -> None:
        import pyarrow.parquet as pq

        part = sorted_by(part, DECISION_SORT)
        if name not in self._open:
            buffer = io.BytesIO()
            table = part.to_arrow()
            writer = pq.ParquetWriter(buffer, table.schema, compression="zstd", write_statistics=False)
            self._open[name] = (buffer, writer, part.schema)
            self._rows[name] = 0
        else:
            buffer, writer, schema = self._open[name]
            table = part.cast(dict(schema)).to_arrow()
        writer.write_table(table)
        self._rows[name] += part.height

    def close(self) -> dict[str, int]:
        """Seal and write every table; their row counts."""
        for name, (buffer, writer, _) in self._open.items():
            writer.close()
            sealed.write_bytes(buffer.getbuffer(), self._into / f"{name}.parquet")
        self._open.clear()
        return dict(self._rows)


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


# --------------------------------------------------------------------------- 5. emit


class _DecisionFiles(SimpleNamespace):
    """The decide stage's tables, each read from its parquet file when emit asks for it.

    Emit needs the ledger, flags, review and merged ids; the province's profiles and parents
    stay on disk unless an emitter reads them. A table is not kept here once read: emit holds
    it as long as it needs it (the province's flags only until they are written).
    """

    def __init__(self, decide_dir: Path, narrow: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__()
        self._paths = {p.stem: p for p in sorted(decide_dir.glob("*.parquet"))}
        # Tables emit reads only a few columns of (the province's profiles hold about fifty).
        self._narrow = narrow or {}

    def __getattr__(self, name: str) -> Any:
        paths = self.__dict__.get("_paths", {})
        if name in paths:
            wanted = self.__dict__.get("_narrow", {}).get(name)
            if wanted is None:
                return sealed.read_frame(paths[name])
            return sealed.read_frame_present(paths[name], list(wanted))
        if name == "review":
            return None
        raise AttributeError(name)


def load_decisions(decide_dir: Path) -> Any:
    """The decide stage's frames read back (lazily), in the shape ``taizhang.emit`` expects."""
    from taizhang.emit.review_sheet import CASE_PROFILE_COLUMNS

    return _DecisionFiles(decide_dir, narrow={"profiles": CASE_PROFILE_COLUMNS})


def emit(
    decide_dir: Path,
    out_period_dir: Path,
    period: Period,
    previous_dir: Path | None,
    counties: list[str] | None = None,
) -> dict[str, int]:
    """Stage 5: ledger, flags, county workbooks and change lists into the period folder."""
    from taizhang.emit import emit_period

    reporter = progress.current()
    reporter.stage_started("emit", STAGE_DESCRIPTIONS["emit"])
    written = emit_period(load_decisions(decide_dir), out_period_dir, period, previous_dir, counties)
    counts: dict[str, int] = {}
    if isinstance(written, dict):
        counts = {k: v for k, v in written.items() if isinstance(v, int)}
    counts["county_workbooks"] = len(list((out_period_dir / "counties").glob("*.xlsx")))
    reporter.stage_finished("emit", summarize_counts(counts, "emit"), cached=False)
    return counts


def summarize(out_period_dir: Path, period: Period) -> dict[str, int]:
    """Stage 5b: the province summary workbook and page, from the counts emit wrote into the period
    folder and the validation summary placed beside them."""
    from taizhang.emit import summarize_period

    written = summarize_period(out_period_dir, period)
    return {"province_summary_files": len(written["files"])}
