"""Run a source's generated suite on its staged frame and keep what a liaison needs.

GX validates arrow-backed pandas batches of the helper columns and reports,
per check, whether it is met and how many rows fail it. Which rows fail (by
``file`` and ``row_number``) is computed in polars from the same helper frame
(``expectations.failing_rows``) and must agree with GX's count; where it does
not, GX lists the rows itself (``unexpected_index_column_names``). Values are
never collected (``exclude_unexpected_values``): nothing downstream may show them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from data_contracts import Contract
from expectations.check_columns import helper_frame
from expectations.checks import Check
from expectations.failing_rows import ROW_ID, failing_rows
from expectations.gx_session import COUNTS_ONLY, rows_result_format, validate_frame
from expectations.suites import EXPECTATION_TYPES, build_suite, checks_for

log = logging.getLogger(__name__)

_ROWS_SCHEMA = {"file": pl.Utf8, "row_number": pl.Int64}


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one expectation: counts and the rows to fix, never the values."""

    check: Check
    expectation_type: str
    success: bool
    element_count: int  # rows in the source
    missing_count: int  # rows where the value is empty (not checked, except by required_present)
    unexpected_count: int
    unexpected_percent: float  # of the non-empty values (of all rows for required_present)
    rows: pl.DataFrame  # file, row_number of every failing row, sorted

    @property
    def column(self) -> str:
        return self.check.column

    @property
    def description_zh(self) -> str:
        return self.check.description_zh

    @property
    def row_list(self) -> list[tuple[str, int]]:
        return list(self.rows.select(ROW_ID).iter_rows())


@dataclass(frozen=True)
class SourceValidation:
    """All check outcomes of one source, in contract column order."""

    source: str
    department: str
    title: str
    row_count: int
    outcomes: tuple[CheckOutcome, ...]
    seconds: float = field(default=0.0, compare=False)
    sensitive_values: tuple[str, ...] = ()
    today: date | None = None  # the bound of the "not in the future" checks

    @property
    def failed(self) -> tuple[CheckOutcome, ...]:
        """Checks with at least one failing row (whether or not ``mostly`` was met)."""
        return tuple(o for o in self.outcomes if o.unexpected_count > 0)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    def rows_to_fix(self) -> pl.DataFrame:
        """file, row_number, sheet, excel_row, column, header, check, finding of every failure, sorted.

        ``sheet`` and ``excel_row`` are null unless ingest recorded where each row sits in its workbook.
        """
        schema = {
            **_ROWS_SCHEMA,
            "sheet": pl.Utf8,
            "excel_row": pl.Int64,
            "column": pl.Utf8,
            "header": pl.Utf8,
            "check": pl.Utf8,
            "finding": pl.Utf8,
        }
        frames = [
            o.rows.select(
                *ROW_ID,
                *(
                    pl.col(c).cast(schema[c]) if c in o.rows.columns else pl.lit(None, schema[c]).alias(c)
                    for c in LOCATION_COLUMNS
                ),
            ).with_columns(
                column=pl.lit(o.check.column),
                header=pl.lit(o.check.header),
                check=pl.lit(o.check.code),
                finding=pl.lit(o.check.finding_zh),
            )
            for o in self.failed
        ]
        if not frames:
            return pl.DataFrame(schema=schema)
        return pl.concat(frames).sort(["file", "row_number", "column", "check"])


def _rows_from(result: dict) -> pl.DataFrame:
    """The failing rows' (file, row_number) from a GX result that lists them.

    With ``exclude_unexpected_values`` GX returns one column-wise dict
    (``[{"file": [...], "row_number": [...]}]``); without it, one dict per row.
    Both shapes are accepted.
    """
    index_list = result.get("unexpected_index_list") or []
    if not index_list:
        return pl.DataFrame(schema=_ROWS_SCHEMA)
    if isinstance(index_list[0].get("file"), list):
        parts = [pl.DataFrame({k: part[k] for k in ROW_ID}, schema=_ROWS_SCHEMA) for part in index_list]
        rows = pl.concat(parts)
    else:
        rows = pl.DataFrame(index_list, infer_schema_length=None).select(ROW_ID).cast(_ROWS_SCHEMA)
    return rows.unique().sort(ROW_ID)


def _key(result: Any) -> str:
    """``helper|check``: which generated check a GX result belongs to."""
    meta = result.expectation_config.meta or {}
    return result.expectation_config.kwargs["column"] + "|" + meta["check"]


def _unexpected(result: Any) -> int:
    return int((result.result or {}).get("unexpected_count") or 0)


def _gx_results(
    contract: Contract, frame: pl.DataFrame, checks: dict[str, Check]
) -> tuple[list[Any], dict[str, pl.DataFrame]]:
    """GX's results for the suite, and each check's failing rows (by ``helper|check``).

    GX counts; polars names the rows. Where a count differs from the rows
    polars found (a regex read differently, say), GX lists the rows itself:
    the report always shows GX's findings.
    """
    suite = build_suite(contract)
    results = validate_frame(frame.drop(ROW_ID), suite, COUNTS_ONLY)
    try:
        found = failing_rows(frame, checks.values())
    except pl.exceptions.PolarsError:  # a helper polars cannot test as GX does: GX lists every check
        found = {c.key: (-1, pl.DataFrame(schema=_ROWS_SCHEMA)) for c in checks.values()}
    rows = {key: found[check.key][1] for key, check in checks.items()}
    disagree = [r for r in results if _unexpected(r) != found[checks[_key(r)].key][0]]
    if disagree:
        log.warning("validation of %s: %d checks listed by GX itself", contract.source, len(disagree))
        keys = {_key(r) for r in disagree}
        listed = validate_frame(frame, suite, rows_result_format(ROW_ID), only=keys)
        by_key = {_key(r): r for r in listed}
        results = [by_key.get(_key(r), r) for r in results]
        rows |= {key: _rows_from(r.result) for key, r in by_key.items()}
    return results, rows


def validate_source(
    contract: Contract, staged: pl.DataFrame, *, today: date | None = None
) -> SourceValidation:
    """Validate one source's staged frame (Stage 1 output) against its generated suite.

    ``today`` is the day dates must not lie after (default: the real today).
    Raises ``RuntimeError`` naming the check, never a value, if GX itself
    failed on an expectation.
    """
    started = time.perf_counter()
    checks = {c.helper + "|" + c.code: c for c in checks_for(contract)}
    if staged.height == 0:
        outcomes = [_no_rows(check) for check in checks.values()]
    else:
        outcomes = _outcomes(contract, staged, checks, today or date.today())
    order = {c.key: i for i, c in enumerate(checks.values())}
    outcomes.sort(key=lambda o: order[o.check.key])
    seconds = time.perf_counter() - started
    log.info(
        "validated %s: %d rows, %d checks, %d with failures, %.2f s",
        contract.source,
        staged.height,
        len(outcomes),
        sum(o.unexpected_count > 0 for o in outcomes),
        seconds,
    )
    return SourceValidation(
        source=contract.source,
        department=contract.department,
        title=contract.title,
        row_count=staged.height,
        outcomes=tuple(outcomes),
        seconds=seconds,
        sensitive_values=contract.sensitive_values,
        today=today or date.today(),
    )


def _no_rows(check: Check) -> CheckOutcome:
    """A check of a source with no rows: met, nothing counted. GX answers every column-map
    expectation so over an empty frame (tests/expectations compare the two for every source); taken
    here without GX, a source missing from a liaison's folder costs no GX batch or metric graph
    (0.1-0.3 s a source), which ``taizhang validate`` of one file paid seven times."""
    return CheckOutcome(
        check=check,
        expectation_type=EXPECTATION_TYPES[check.kind],
        success=True,
        element_count=0,
        missing_count=0,
        unexpected_count=0,
        unexpected_percent=0.0,
        rows=pl.DataFrame(schema=_ROWS_SCHEMA),
    )


def _outcomes(
    contract: Contract, staged: pl.DataFrame, checks: dict[str, Check], today: date
) -> list[CheckOutcome]:
    """GX's outcome of every check on ``staged``, each with its failing rows located in Excel."""
    frame = helper_frame(contract, staged, checks.values(), today)
    results, rows = _gx_results(contract, frame, checks)
    outcomes: list[CheckOutcome] = []
    for r in results:
        check = checks[_key(r)]
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(f"GX could not run check {check.key} of {contract.source}")
        res = r.result
        outcomes.append(
            CheckOutcome(
                check=check,
                expectation_type=r.expectation_config.type,
                success=bool(r.success),
                element_count=int(res.get("element_count") or 0),
                missing_count=int(res.get("missing_count") or 0),
                unexpected_count=int(res.get("unexpected_count") or 0),
                unexpected_percent=float(res.get("unexpected_percent") or 0.0),
                rows=rows[_key(r)],
            )
        )
    return _with_locations(outcomes, staged)


LOCATION_COLUMNS = ("sheet", "excel_row")


def _with_locations(outcomes: list[CheckOutcome], staged: pl.DataFrame) -> list[CheckOutcome]:
    """Each failing row's sheet and Excel row, when ingest recorded them on the staged rows.

    A liaison finds a row in Excel by its sheet and the number in Excel's margin; the
    ``row_number`` alone counts across sheets.
    """
    present = [c for c in LOCATION_COLUMNS if c in staged.columns]
    if not present:
        return outcomes
    where = staged.select(*ROW_ID, *present).unique(ROW_ID)
    return [
        replace(o, rows=o.rows.join(where, on=ROW_ID, how="left").sort(ROW_ID)) if o.rows.height else o
        for o in outcomes
    ]
