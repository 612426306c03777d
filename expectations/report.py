"""Liaison validation reports: one self-contained Chinese page per source department.

A department liaison (联络员) opens ``validation/<source>.html`` in a browser
and learns which files arrived, which could not be read, which rows were set
aside (quarantined) and why, and which rows to correct, by file and row
number. The page never shows a cell value: only file names, row numbers,
column headers, counts and the checks' own wording. Every text written passes
through the contract's redaction of sensitive values.

Files per source, in ``<out_dir>/validation/``:

* ``<source>.html``: the page;
* ``<source>_待修正行.csv``: every (file, row number, column, check) to fix, UTF-8
  with BOM so that Excel opens it in Chinese;
* ``<source>_摘要.md``: a one-page summary for e-mail or print;

and ``index.html`` linking the sources, with counts only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from data_contracts import SOURCE_ORDER, Contract, load_contracts
from expectations.attachment import ATTACHMENT_COLUMNS, attachment_rows
from expectations.checks import REDACTED, redact
from expectations.index_page import index_html
from expectations.overview import overview
from expectations.received_files import field_of, file_lines
from expectations.source_page import source_html
from expectations.summary_md import summary_md
from expectations.validate import SourceValidation, validate_source
from expectations.wording import finding_sentence
from taizhang.ingest.locate import segments_frame

QUARANTINE_SCHEMA = {
    "source": pl.Utf8,
    "file": pl.Utf8,
    "row_number": pl.Int64,
    "reason_code": pl.Utf8,
    "reason": pl.Utf8,
    "column": pl.Utf8,
    "sheet": pl.Utf8,
    "excel_row": pl.Int64,
}
# Always masked, whatever the contract says: the one term policy forbids in any output.
ALWAYS_SENSITIVE = ("艾滋病病毒感染",)
SUMMARY_FILE = "summary.json"


def _write_text(path: Path, text: str, sensitive: tuple[str, ...]) -> Path:
    path.write_text(redact(text, sensitive), encoding="utf-8")
    return path


def write_reports(
    validations: Iterable[SourceValidation] | Mapping[str, SourceValidation],
    ingest_file_reports: Iterable[Any],
    quarantine: pl.DataFrame | None,
    out_dir: Path,
    *,
    contracts: Mapping[str, Contract] | None = None,
) -> list[Path]:
    """Write every source's page, attachment and summary, plus ``index.html`` and ``summary.json``.

    Everything goes into ``out_dir/validation/``. ``ingest_file_reports``
    holds Stage 1's file reports and file errors (any object or dict with
    ``source``, ``file`` and either read counts or an error ``code`` and
    Chinese message). A source gets a page when it has a validation, a file
    report or quarantined rows. ``summary.json`` holds each source's status and
    the names of its files that could not be read (no cell value). Returns the
    written paths, sorted.
    """
    contracts = dict(contracts or load_contracts())
    if isinstance(validations, Mapping):
        validations = validations.values()
    by_source = {v.source: v for v in validations}
    reports = list(ingest_file_reports)
    segments = segments_frame(reports)
    q = quarantine if quarantine is not None else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    q = q.select(
        [
            pl.col(c).cast(t) if c in q.columns else pl.lit(None, t).alias(c)
            for c, t in QUARANTINE_SCHEMA.items()
        ]
    )

    sources = (
        set(by_source)
        | {str(field_of(r, "source")) for r in reports}
        | set(q["source"].unique().drop_nulls())
    )
    order = {s: i for i, s in enumerate(SOURCE_ORDER)}
    folder = out_dir / "validation"
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index_rows: list[dict[str, Any]] = []
    for source in sorted((s for s in sources if s in contracts), key=lambda s: (order.get(s, 99), s)):
        contract = contracts[source]
        sensitive = tuple(dict.fromkeys((*contract.sensitive_values, *ALWAYS_SENSITIVE)))
        validation = by_source.get(source)
        files = file_lines(reports, source)
        sq = q.filter(pl.col("source") == source).sort("file", "row_number", "reason_code", "column")
        attachment_name = f"{source}_待修正行.csv"
        attachment = attachment_rows(validation, sq, contract, segments)
        ov = overview(files, validation, sq, attachment)
        csv_text = attachment.select(list(ATTACHMENT_COLUMNS)).rename(ATTACHMENT_COLUMNS).write_csv()
        path = folder / attachment_name
        path.write_bytes(b"\xef\xbb\xbf" + redact(csv_text, sensitive).encode("utf-8"))
        written.append(path)
        html_page = source_html(contract, validation, files, sq, attachment_name, attachment, ov)
        written.append(_write_text(folder / f"{source}.html", html_page, sensitive))
        summary = summary_md(contract, validation, files, sq, attachment_name, ov)
        written.append(_write_text(folder / f"{source}_摘要.md", summary, sensitive))
        index_rows.append(
            {
                "source": source,
                "title": contract.title,
                "department": contract.department,
                "status": ov.status,
                "files": ov.files,
                "unreadable_files": len(ov.unreadable),
                "unreadable": [{"file": f, "reason": r} for f, r in ov.unreadable],
                "rows": ov.staged,
                "quarantined": ov.quarantined,
                "failed_checks": ov.failed_checks,
                "to_fix": ov.rows_to_fix,
            }
        )
    written.append(_write_text(folder / "index.html", index_html(index_rows), ALWAYS_SENSITIVE))
    summary_json = json.dumps(index_rows, ensure_ascii=False, indent=1, sort_keys=True)
    written.append(_write_text(folder / SUMMARY_FILE, summary_json + "\n", ALWAYS_SENSITIVE))
    return sorted(written)


def unreadable_files(validation_dir: Path) -> list[dict[str, str]]:
    """``source, file, reason`` of every received file the reports in ``validation_dir`` marked unreadable."""
    path = Path(validation_dir) / SUMMARY_FILE
    if not path.is_file():
        return []
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [{"source": r["source"], **u} for r in rows for u in r.get("unreadable", [])]


def validate_and_write(
    ingest: Any,
    out_dir: Path,
    *,
    contracts: Mapping[str, Contract] | None = None,
    today: date | None = None,
) -> list[Path]:
    """Validate every staged source of a Stage 1 ``IngestResult`` and write the reports.

    ``ingest`` needs ``staged`` (source -> frame), ``quarantine`` and
    ``file_reports`` (plus optional ``errors``), as ``read_extracts`` returns.
    Reports go to ``out_dir/validation/``.
    """
    contracts = dict(contracts or load_contracts())
    staged: Mapping[str, pl.DataFrame] = field_of(ingest, "staged", default={})
    validations = [
        validate_source(contracts[s], frame, today=today)
        for s, frame in sorted(staged.items())
        if s in contracts
    ]
    reports = [
        *(field_of(ingest, "file_reports", default=()) or ()),
        *(field_of(ingest, "errors", default=()) or ()),
    ]
    return write_reports(validations, reports, field_of(ingest, "quarantine"), out_dir, contracts=contracts)


__all__ = ["REDACTED", "finding_sentence", "unreadable_files", "validate_and_write", "write_reports"]
