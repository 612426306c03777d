"""The run report: what a run published (written as ``run_report.json``) and its aggregate figures.

:class:`RunOutcome` and :func:`write_run_report` are what the runner keeps and
writes; the rest reads a published run's figures back for Prefect artifacts
and the command-line summary.

Every table here is a count grouped by source, reason code, stage or county:
the functions read only code-like columns (source, reason_code, county codes,
flag booleans), so no name, identity number, phone or health status can reach
an artifact or a terminal through them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from taizhang.division_reference import county_names


@dataclass
class RunOutcome:
    """Where a run published its outputs and what it counted."""

    period: str
    out_dir: Path
    report: dict[str, Any]


def write_run_report(work: Path, report: dict[str, Any]) -> Path:
    """``run_report.json`` in the folder about to be published."""
    path = work / "run_report.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
    return path


def load_run_report(period_dir: Path) -> dict[str, Any]:
    return json.loads((period_dir / "run_report.json").read_text(encoding="utf-8"))


def source_counts(state_dir: Path) -> list[dict[str, Any]]:
    """Rows staged and quarantined per source.

    Read from the run report's counts and the published quarantine table: the
    staged tables in ``state/`` are sealed, and counting needs no key.
    """
    period_dir = state_dir.parent
    counts = load_run_report(period_dir).get("stages", {}).get("ingest", {}).get("counts", {})
    staged = {k.removeprefix("staged_"): v for k, v in counts.items() if k.startswith("staged_")}
    quarantine_path = period_dir / "quarantine.parquet"
    quarantined: dict[str, int] = {}
    if quarantine_path.is_file():
        q = pl.read_parquet(quarantine_path, columns=["source"]).group_by("source").len()
        quarantined = dict(zip(q["source"].to_list(), q["len"].to_list(), strict=True))
    sources = sorted(set(staged) | set(quarantined))
    return [
        {"source": s, "rows_staged": staged.get(s, 0), "rows_quarantined": quarantined.get(s, 0)}
        for s in sources
    ]


def quarantine_by_reason(quarantine_path: Path) -> list[dict[str, Any]]:
    """Quarantined rows per source and reason code."""
    if not quarantine_path.is_file():
        return []
    q = pl.read_parquet(quarantine_path, columns=["source", "reason_code"])
    return q.group_by("source", "reason_code").len(name="rows").sort("source", "reason_code").to_dicts()


def linkage_figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The link stage's counts from the run report, one row per figure."""
    counts = report.get("stages", {}).get("link", {}).get("counts", {})
    return [{"figure": k, "value": v} for k, v in sorted(counts.items()) if isinstance(v, int | float)]


def flags_per_county(ledger_path: Path) -> list[dict[str, Any]]:
    """Migrant children and suspected orphans / unsupported children per residence county."""
    if not ledger_path.is_file():
        return []
    ledger = pl.read_parquet(
        ledger_path, columns=["residence_county", "suspected_orphan", "suspected_unsupported"]
    )
    names = county_names()
    table = (
        ledger.group_by("residence_county")
        .agg(
            pl.len().alias("children"),
            pl.col("suspected_orphan").fill_null(False).sum().alias("suspected_orphan"),
            pl.col("suspected_unsupported").fill_null(False).sum().alias("suspected_unsupported"),
        )
        .sort("residence_county", nulls_last=True)
    )
    return [
        {
            "county": row["residence_county"],
            "county_name": names.get(row["residence_county"] or "", ""),
            "children": row["children"],
            "suspected_orphan": row["suspected_orphan"],
            "suspected_unsupported": row["suspected_unsupported"],
        }
        for row in table.to_dicts()
    ]


def ledger_totals(ledger_path: Path) -> dict[str, int]:
    """Children, flags and counties in a period's ledger."""
    if not ledger_path.is_file():
        return {"children": 0, "suspected_orphan": 0, "suspected_unsupported": 0, "counties": 0}
    ledger = pl.read_parquet(
        ledger_path, columns=["residence_county", "suspected_orphan", "suspected_unsupported"]
    )
    return {
        "children": ledger.height,
        "suspected_orphan": int(ledger["suspected_orphan"].fill_null(False).sum()),
        "suspected_unsupported": int(ledger["suspected_unsupported"].fill_null(False).sum()),
        "counties": ledger["residence_county"].drop_nulls().n_unique(),
    }


def summary_markdown(period_dir: Path) -> str:
    """A short bilingual run summary: where the outputs are and the headline counts."""
    report = load_run_report(period_dir)
    totals = ledger_totals(period_dir / "ledger.parquet")
    workbooks = (
        sorted(p.name for p in (period_dir / "counties").glob("*.xlsx"))
        if (period_dir / "counties").is_dir()
        else []
    )
    reports = (
        sorted(p.name for p in (period_dir / "validation").iterdir())
        if (period_dir / "validation").is_dir()
        else []
    )
    lines = [
        f"# 台账 {report['period']}（截至 {report['as_of']}）",
        "",
        f"- 输出文件夹 Output folder: `{period_dir}`",
        f"- 流动儿童 Migrant children: **{totals['children']:,}**",
        f"- 疑似孤儿 Suspected orphans: **{totals['suspected_orphan']:,}**",
        f"- 疑似事实无人抚养儿童 Suspected de facto unsupported: **{totals['suspected_unsupported']:,}**",
        f"- 县（市、区）County workbooks: {len(workbooks)} in `{period_dir / 'counties'}`",
        f"- 校验报告 Validation reports: {len(reports)} in `{period_dir / 'validation'}`",
        f"- 上期 Previous half-year: {report.get('previous') or '无 none'}",
        "",
        "| stage | seconds | cached |",
        "|---|---|---|",
    ]
    for stage, info in report.get("stages", {}).items():
        lines.append(f"| {stage} | {info.get('seconds', 0)} | {info.get('cached', False)} |")
    return "\n".join(lines) + "\n"
