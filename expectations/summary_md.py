"""One source's one-page summary in Markdown, for e-mail or print."""

from __future__ import annotations

import polars as pl

from data_contracts import Contract
from expectations.overview import STATUS_LABELS, Overview
from expectations.received_files import FileLine
from expectations.validate import SourceValidation
from expectations.wording import (
    check_status,
    finding_sentence,
    rows_text,
)


def summary_md(
    contract: Contract,
    validation: SourceValidation | None,
    files: list[FileLine],
    quarantine: pl.DataFrame,
    attachment_name: str,
    ov: Overview,
) -> str:
    label = STATUS_LABELS[ov.status][1]
    lines = [f"# {contract.title} 数据校验摘要", "", f"- 结论：{label}", f"- 报送部门：{contract.department}"]
    received = [f for f in files if not f.error_code]
    lines.append(
        f"- 收到文件：{len(received)} 个" + (f"（{'、'.join(f.file for f in received)}）" if received else "")
    )
    if validation is not None:
        lines.append(f"- 入库行数：{validation.row_count:,}")
    lines.append(f"- 隔离行数：{quarantine.height:,}")
    lines.append(f"- 待修正行：{ov.rows_to_fix:,}")
    lines += ["", "## 无法读取的文件", ""]
    lines += [f"- {f}：{reason}" for f, reason in ov.unreadable] or ["- 无"]
    lines += ["", "## 被隔离的行", ""]
    if quarantine.height:
        by_reason = (
            quarantine.group_by("reason_code").agg(pl.col("reason").first(), pl.len()).sort("reason_code")
        )
        lines += [f"- {(reason or code).rstrip('。')}：{n:,} 行" for code, reason, n in by_reason.iter_rows()]
    else:
        lines.append("- 无")
    lines += ["", "## 校验发现", ""]
    if validation is not None and validation.failed:
        for o in validation.failed:
            first = rows_text(o.rows, cap=5)
            where = "；".join(f"{file} {text}" for file, text, _ in first)
            lines.append(f"- {finding_sentence(o)}（{check_status(o)[1]}）。例如：{where}")
    elif validation is not None and not ov.unreadable:
        lines.append("- 所有检查均通过")
    elif validation is not None:
        lines.append("- 已读取的行通过所有检查，但有文件无法读取")
    else:
        lines.append("- 本期没有可校验的数据")
    lines += ["", f"逐行清单见附件 {attachment_name} 与网页报告 {contract.source}.html。", ""]
    return "\n".join(lines)
