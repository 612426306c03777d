"""Prefect artifacts for a run: aggregate tables and a summary, never a record's value.

Keys are lowercase-dash and carry the period so each half-year has its own
versioned artifacts in the UI. The tables come from :mod:`taizhang.run_report`,
which groups by codes only.
"""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from taizhang import run_report


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key: lowercase letters, digits and dashes only."""
    text = "-".join(parts).lower().replace("_", "-")
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in text)


def publish_run_artifacts(period_dir: Path) -> list[str]:
    """Artifacts for a published period folder; returns their keys."""
    report = run_report.load_run_report(period_dir)
    period = report["period"]
    keys = []

    def table(name: str, rows: list[dict], description: str) -> None:
        if rows:
            key = artifact_key("taizhang", period, name)
            create_table_artifact(rows, key=key, description=description)
            keys.append(key)

    table(
        "sources",
        run_report.source_counts(period_dir / "state"),
        "各来源读入与隔离行数 rows staged and quarantined per source",
    )
    table(
        "quarantine",
        run_report.quarantine_by_reason(period_dir / "quarantine.parquet"),
        "隔离行按原因 quarantined rows per source and reason",
    )
    table("linkage", run_report.linkage_figures(report), "匹配情况 linkage figures")
    table(
        "flags-per-county",
        run_report.flags_per_county(period_dir / "ledger.parquet"),
        "各县流动儿童与疑似标记 migrant children and flags per county",
    )
    key = artifact_key("taizhang", period, "summary")
    create_markdown_artifact(
        run_report.summary_markdown(period_dir), key=key, description="运行摘要 run summary"
    )
    keys.append(key)
    return keys


def publish_validation_artifacts(validation_dir: Path, quarantine_path: Path, label: str) -> list[str]:
    """Artifacts for a validation-only run: quarantine per reason and links to the liaison reports."""
    keys = []
    rows = run_report.quarantine_by_reason(quarantine_path)
    if rows:
        key = artifact_key("validation", label, "quarantine")
        create_table_artifact(
            rows, key=key, description="隔离行按原因 quarantined rows per source and reason"
        )
        keys.append(key)
    reports = sorted(p for p in validation_dir.rglob("*") if p.is_file()) if validation_dir.is_dir() else []
    lines = [f"# 数据校验报告 Validation reports ({label})", "", f"Folder: `{validation_dir}`", ""]
    lines += [f"- [{p.relative_to(validation_dir)}]({p.resolve().as_uri()})" for p in reports]
    if not reports:
        lines.append("- 无报告 no report was written (validation package not available)")
    key = artifact_key("validation", label, "reports")
    create_markdown_artifact("\n".join(lines) + "\n", key=key, description="联络员校验报告 liaison reports")
    keys.append(key)
    return keys
