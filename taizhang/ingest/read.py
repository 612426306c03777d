"""``read_extracts``: every file of an extracts folder through its source's contract.

One unreadable file never stops the others: it becomes a :class:`FileError`
in the result. Every data row of a readable file is either staged or
quarantined, and this is asserted per file.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from data_contracts import SOURCE_ORDER, Contract, load_contracts
from taizhang.ingest.discover import discover
from taizhang.ingest.headers import map_headers
from taizhang.ingest.model import QUARANTINE_SCHEMA, FileError, FileProblem, FileReport, IngestResult
from taizhang.ingest.readers import RawTable, read_csv_raw, read_xlsx_raw
from taizhang.ingest.rows import empty_quarantine, empty_staged, map_cells, quarantine_frame, split_rows
from taizhang.ingest.sensitive import code_sensitive_values, sensitive_codes

log = logging.getLogger(__name__)


def _ordered_sources(contracts: dict[str, Contract]) -> list[str]:
    known = [s for s in SOURCE_ORDER if s in contracts]
    return known + sorted(s for s in contracts if s not in SOURCE_ORDER)


def _read_raw(path: Path) -> RawTable:
    if path.suffix.lower() == ".xlsx":
        return read_xlsx_raw(path)
    return read_csv_raw(path)


def _unmatched(file: str, source: str, missing: list[str], found: list[str | None]) -> FileError:
    shown = "、".join(str(h).strip() for h in found if h is not None and str(h).strip()) or "（无）"
    shown_en = ", ".join(str(h).strip() for h in found if h is not None and str(h).strip()) or "(none)"
    return FileError(
        code="unmatched_headers",
        file=file,
        source=source,
        message_zh=f"文件 {file}：表头与「{source}」的数据规范不符，缺少必需列 {'、'.join(missing)}；"
        f"文件中的表头为：{shown}。",
        message_en=f"file {file}: headers do not match the {source} contract; missing required "
        f"{', '.join(missing)}; headers found: {shown_en}.",
    )


def read_file(path: Path, source: str, contract: Contract) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    """One file -> (report, staged rows, quarantined rows). File-level problems land in ``report.error``."""
    file = path.name
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    report = FileReport(source=source, file=file, format=fmt)
    try:
        raw = _read_raw(path)
    except FileProblem as problem:
        report.error = problem.to_error(file, source)
        return report, empty_staged(contract), empty_quarantine()
    report.encoding = raw.encoding
    report.sheets = raw.sheets
    report.sheets_ignored = raw.sheets_ignored
    report.rows_read = raw.rows_read
    header_map = map_headers(raw.headers, contract)
    report.header_mapping = header_map.mapping
    report.unknown_headers = header_map.unknown
    report.missing_columns = header_map.missing_optional
    if not header_map.matches:
        missing = header_map.missing_required or [c.header for c in contract.columns]
        report.error = _unmatched(file, source, missing, raw.headers)
        return report, empty_staged(contract), empty_quarantine()

    mapped = map_cells(raw.cells, header_map, contract, source, file)
    split = split_rows(mapped, raw.cells, contract)
    rejected = quarantine_frame(
        raw.rejected.select(
            pl.lit(source).alias("source"),
            pl.lit(file).alias("file"),
            pl.col("row_number"),
            pl.col("reason_code"),
            pl.lit(None, dtype=pl.String).alias("column"),
        )
    )
    quarantine = pl.concat([rejected, split.quarantine], how="vertical").sort("row_number")
    report.staged = split.staged.height
    report.quarantined = quarantine.height
    counts = quarantine.group_by("reason_code").len().sort("reason_code")
    report.quarantine_counts = dict(
        zip(counts["reason_code"].to_list(), counts["len"].to_list(), strict=True)
    )
    if report.rows_read != report.staged + report.quarantined:
        raise AssertionError(f"{file}: rows read != staged + quarantined")
    return report, split.staged, quarantine


def read_extracts(extracts_dir: Path, contracts: dict[str, Contract] | None = None) -> IngestResult:
    """Read every extract in ``extracts_dir`` through the data contracts (Stage 1).

    ``staged`` has a frame for every contract source (empty when it has no
    readable file), rows ordered by (file, row_number).
    """
    contracts = contracts if contracts is not None else load_contracts()
    sources = _ordered_sources(contracts)
    found = discover(Path(extracts_dir), sources)
    reports: list[FileReport] = []
    errors: list[FileError] = []
    staged: dict[str, pl.DataFrame] = {}
    quarantines: list[pl.DataFrame] = []
    codes = sensitive_codes(contracts)

    for path in found.unknown:
        errors.append(
            FileError(
                code="unknown_file",
                file=path.name,
                source=None,
                message_zh=f"文件 {path.name} 的名称不属于任何数据来源（应为 <来源>.csv/xlsx 或 "
                f"<来源>_<任意>.csv/xlsx），未读取。",
                message_en=f"file {path.name} belongs to no source (expected <source>.csv/xlsx or "
                "<source>_<anything>.csv/xlsx); it was not read.",
            )
        )

    for source in sources:
        contract = contracts[source]
        frames = [empty_staged(contract)]
        readable = 0
        for path in found.by_source[source]:
            report, rows, quarantine = read_file(path, source, contract)
            reports.append(report)
            if report.error is not None:
                errors.append(report.error)
                log.warning("ingest: %s: %s", report.file, report.error.code)
                continue
            readable += 1
            frames.append(rows)
            quarantines.append(quarantine)
            log.info(
                "ingest: %s: %d rows read, %d staged, %d quarantined",
                report.file,
                report.rows_read,
                report.staged,
                report.quarantined,
            )
        # Sensitive values become their codes before the frame leaves the reader.
        staged[source] = code_sensitive_values(
            pl.concat(frames, how="vertical").sort("file", "row_number"), codes
        )
        if contract.required and not found.by_source[source]:
            errors.append(
                FileError(
                    code="missing_source",
                    file=None,
                    source=source,
                    message_zh=f"缺少必需的数据来源「{source}」（{contract.department}·{contract.title}）："
                    f"提取文件夹中没有 {source}.csv/xlsx 或 {source}_*.csv/xlsx 文件。",
                    message_en=f"required source {source} is missing: no {source}.csv/xlsx or "
                    f"{source}_*.csv/xlsx in the extracts folder.",
                )
            )
        elif contract.required and readable == 0:
            errors.append(
                FileError(
                    code="missing_source_data",
                    file=None,
                    source=source,
                    message_zh=f"必需的数据来源「{source}」的文件均无法读取，该来源没有可用数据。",
                    message_en=f"no file of required source {source} could be read; the source has no data.",
                )
            )

    quarantine = (
        pl.concat(quarantines, how="vertical").sort("source", "file", "row_number")
        if quarantines
        else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    return IngestResult(
        staged=staged,
        quarantine=quarantine,
        file_reports=reports,
        errors=errors,
        unknown_files=[p.name for p in found.unknown],
    )
