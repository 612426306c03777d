"""``read_extracts``: every file of an extracts folder through its source's contract.

One unreadable file never stops the others: it becomes a :class:`FileError`
in the result. Every data row of a readable file is either staged or
quarantined, and this is asserted per file.

A file's rows are numbered as a person counts them: data row k is the k-th
row below the header, whatever it holds; in a workbook, counting runs on
across the sheets that carry the source's header, in sheet order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl

from data_contracts import SOURCE_ORDER, Contract, load_contracts
from taizhang.ingest.cells import EMPTY_FILE
from taizhang.ingest.contract_columns import empty_quarantine, empty_staged, map_cells, staged_schema
from taizhang.ingest.discover import discover
from taizhang.ingest.headers import HeaderMap
from taizhang.ingest.junk_rows import row_reasons
from taizhang.ingest.layout import Block, Unmatched, csv_layout, unmatched_error, xlsx_layout
from taizhang.ingest.results import (
    QUARANTINE_SCHEMA,
    FileError,
    FileProblem,
    FileReport,
    IngestResult,
    RowSegment,
)
from taizhang.ingest.row_checks import split_rows
from taizhang.ingest.sensitive import code_sensitive_values, sensitive_codes

log = logging.getLogger(__name__)


def _ordered_sources(contracts: dict[str, Contract]) -> list[str]:
    known = [s for s in SOURCE_ORDER if s in contracts]
    return known + sorted(s for s in contracts if s not in SOURCE_ORDER)


def _merge_maps(report: FileReport, maps: list[HeaderMap]) -> None:
    for header_map in maps:
        report.header_mapping.update(header_map.mapping)
        report.unknown_headers.extend(h for h in header_map.unknown if h not in report.unknown_headers)
        report.missing_columns.extend(
            c for c in header_map.missing_optional if c not in report.missing_columns
        )


def _rows_of(
    blocks: list[Block], contract: Contract, source: str, file: str
) -> tuple[pl.DataFrame, list[RowSegment]]:
    """The mapped rows of every block, numbered on across blocks, with ``_pre``; and their segments."""
    frames: list[pl.DataFrame] = []
    segments: list[RowSegment] = []
    counted = 0
    for block in blocks:
        rows = block.rows
        if rows.height == 0:
            continue
        rows = rows.with_columns(
            pl.int_range(counted + 1, counted + 1 + pl.len(), dtype=pl.Int64).alias("row_number"),
            pl.lit(block.sheet, dtype=pl.String).alias("sheet"),
            pl.col("_pos").alias("excel_row"),
            row_reasons(rows).alias("_pre"),
        )
        frames.append(map_cells(rows, block.header_map, contract, source, file))
        offset = int(rows["_pos"][0]) - (counted + 1)
        segments.append(RowSegment(block.sheet, counted + 1, counted + rows.height, offset))
        counted += rows.height
    return (pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()), segments


def read_file(path: Path, source: str, contract: Contract) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    """One file -> (report, staged rows, quarantined rows). File-level problems land in ``report.error``.

    Nothing raised while reading reaches the caller: a file that cannot be
    read becomes an error naming the file and a reason code, never quoting
    its content.
    """
    file = path.name
    fmt = "xlsx" if path.suffix.lower() == ".xlsx" else "csv"
    report = FileReport(source=source, file=file, format=fmt)
    try:
        layout = xlsx_layout(path, source, contract) if fmt == "xlsx" else csv_layout(path, source, contract)
        report.encoding = layout.encoding
        report.sheets = [b.sheet for b in layout.blocks if b.sheet is not None]
        report.sheets_ignored = layout.sheets_ignored or []
        _merge_maps(report, [b.header_map for b in layout.blocks])
        mapped, report.row_segments = _rows_of(layout.blocks, contract, source, file)
        if mapped.height == 0:
            raise EMPTY_FILE
    except FileProblem as problem:
        report.error = problem.to_error(file, source)
        return report, empty_staged(contract), empty_quarantine()
    except Unmatched as unmatched:
        report.error = unmatched_error(file, source, unmatched.search, contract)
        return report, empty_staged(contract), empty_quarantine()
    except Exception as exc:  # a reader's message may quote the file's text: name the type only
        log.error("ingest: %s: unexpected %s while reading", file, type(exc).__name__)
        report.error = FileProblem(
            "read_failed",
            f"读取时发生意外错误（{type(exc).__name__}），文件未读取。",
            f"an unexpected error ({type(exc).__name__}) stopped the reading; the file was not read.",
        ).to_error(file, source)
        return report, empty_staged(contract), empty_quarantine()

    report.rows_read = mapped.height
    split = split_rows(mapped, contract)
    staged = split.staged.select(list(staged_schema(contract)))
    quarantine = split.quarantine.sort("row_number")
    report.staged = staged.height
    report.quarantined = quarantine.height
    counts = quarantine.group_by("reason_code").len().sort("reason_code")
    report.quarantine_counts = dict(
        zip(counts["reason_code"].to_list(), counts["len"].to_list(), strict=True)
    )
    if report.rows_read != report.staged + report.quarantined:
        raise AssertionError(f"{file}: rows read != staged + quarantined")
    return report, staged, quarantine


def read_extracts(
    extracts_dir: Path,
    contracts: dict[str, Contract] | None = None,
    on_source: Callable[[str, pl.DataFrame], None] | None = None,
) -> IngestResult:
    """Read every extract in ``extracts_dir`` through the data contracts (Stage 1).

    ``staged`` has a frame for every contract source (empty when it has no
    readable file), rows ordered by (file, row_number). With ``on_source``,
    each source's frame is handed to it as soon as the source is read, and
    not kept: ``staged`` is then empty, and memory holds one source at a time.
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
        frame = code_sensitive_values(pl.concat(frames, how="vertical").sort("file", "row_number"), codes)
        del frames
        if on_source is None:
            staged[source] = frame
        else:
            on_source(source, frame)
        del frame
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
