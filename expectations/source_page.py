"""One source's validation page: files, file errors, quarantined rows, findings, the fix list."""

from __future__ import annotations

import polars as pl

from data_contracts import Contract
from expectations.overview import Overview, badge
from expectations.received_files import FileLine
from expectations.validate import SourceValidation
from expectations.wording import (
    allowed_failures,
    bound_text,
    check_status,
    esc,
    finding_sentence,
    header_of,
    rows_text,
    short,
    threshold_text,
)
from taizhang.charts import Series, bar_chart, page

FIX_LIST_CAP = 200  # rows of the fix list shown on the page (the attachment has them all)


def _charts(files: list[FileLine], validation: SourceValidation | None, quarantine: pl.DataFrame) -> str:
    parts = ["<div class='charts'>"]
    reasons = (
        quarantine.group_by("reason_code")
        .agg(pl.col("reason").first(), pl.len().alias("n"))
        .sort(["n", "reason_code"], descending=[True, False])
    )
    parts.append(
        bar_chart(
            "被隔离的行：按原因",
            [short(r or c) for c, r, _ in reasons.iter_rows()],
            [float(n) for *_, n in reasons.iter_rows()],
        )
    )
    failed = list(validation.failed) if validation else []
    parts.append(
        bar_chart(
            "校验发现：按检查（红线为判为未通过前允许的行数）",
            [short(f"{o.check.header}：{o.check.finding_zh}", 20) for o in failed],
            [float(o.unexpected_count) for o in failed],
            marks=[allowed_failures(o) for o in failed],
            mark_name="允许上限",
        )
    )
    received = [f for f in files if not f.error_code]
    parts.append(
        bar_chart(
            "各文件行数",
            [short(f.file, 30) for f in received],
            [
                Series("入库", [float(f.staged or 0) for f in received]),
                Series("隔离", [float(f.quarantined or 0) for f in received]),
            ],
        )
    )
    parts.append("</div>")
    return "".join(parts)


def _where_cell(rows: pl.DataFrame) -> str:
    return "<br>".join(
        f"{esc(file)}：<span class='rows'>{esc(text)}</span>" for file, text, _ in rows_text(rows)
    )


def _fix_list(attachment: pl.DataFrame) -> list[str]:
    if not attachment.height:
        return ["<p class='ok'>无。</p>"]
    shown = attachment.head(FIX_LIST_CAP)
    p = [
        "<table class='fix'><tr><th>文件</th><th>工作表</th><th>Excel 行号</th><th>行号</th>"
        "<th>列</th><th>问题</th></tr>"
    ]
    for file, sheet, excel_row, row_number, header, finding in shown.select(
        "file", "sheet", "excel_row", "row_number", "header", "finding"
    ).iter_rows():  # at most FIX_LIST_CAP rows
        p.append(
            f"<tr><td>{esc(file)}</td><td>{esc(sheet or '—')}</td>"
            f"<td class='n'>{'—' if excel_row is None else excel_row}</td><td class='n'>{row_number}</td>"
            f"<td>{esc(header)}</td><td>{esc(finding)}</td></tr>"
        )
    p.append("</table>")
    if attachment.height > shown.height:
        p.append(
            f"<p class='muted'>仅显示前 {shown.height:,} 条，共 {attachment.height:,} 条，全部见附件。</p>"
        )
    return p


def source_html(
    contract: Contract,
    validation: SourceValidation | None,
    files: list[FileLine],
    quarantine: pl.DataFrame,
    attachment_name: str,
    attachment: pl.DataFrame,
    ov: Overview,
) -> str:
    p: list[str] = []
    p.append(f"<h1>数据校验报告：{esc(contract.title)}</h1>")
    p.append(
        f"<p>结论：{badge(ov.status)}　报送部门：<b>{esc(contract.department)}</b>　"
        f"数据源：{esc(contract.source)}</p>"
    )
    if ov.unreadable:
        p.append(
            "<p class='bad'>以下文件无法读取，其中的数据未能校验，也不会进入台账，请修正后重新报送：</p><ul>"
        )
        p.extend(f"<li>{esc(f)}：{esc(reason)}</li>" for f, reason in ov.unreadable)
        p.append("</ul>")
    cards = (
        ("收到文件", ov.files),
        ("无法读取的文件", len(ov.unreadable)),
        ("读取行数", ov.rows_read),
        ("入库行数", ov.staged),
        ("隔离行数", ov.quarantined),
        ("未通过的检查", ov.failed_checks),
        ("待修正行", ov.rows_to_fix),
    )
    p.append(
        "<div class='cards'>"
        + "".join(f"<div class='card'>{label}<b>{value:,}</b></div>" for label, value in cards)
        + "</div>"
    )
    p.append(
        f"<p class='box'>附件：<a href='{esc(attachment_name)}'>{esc(attachment_name)}</a>"
        f"（共 {ov.findings:,} 条，涉及 {ov.rows_to_fix:,} 行；逐条列出文件、工作表、Excel 行号、行号、"
        "列名与问题，不含任何单元格内容）</p>"
    )
    p.append(
        "<p class='muted'>行号为文件中的数据行序号，从表头下第一行起算为第 1 行；"
        "Excel 文件按工作表顺序连续计数；“Excel 行号”是 Excel 左侧显示的行号。"
        "本报告只列文件名、行号、列名和数量，不显示任何单元格内容。</p>"
    )
    p.append("<h2>一、概览图</h2>")
    p.append(_charts(files, validation, quarantine))

    p.append("<h2>二、收到的文件</h2>")
    if any(not f.error_code for f in files):
        p.append(
            "<table><tr><th>文件</th><th>编码/工作表</th><th>读取行数</th><th>入库行数</th>"
            "<th>隔离行数</th><th>未识别的列（已保留，不参与处理）</th></tr>"
        )
        for f in files:
            if f.error_code:
                continue
            p.append(
                f"<tr><td>{esc(f.file)}</td><td>{esc(f.form)}</td>"
                + "".join(
                    f"<td class='n'>{'' if v is None else f'{int(v):,}'}</td>"
                    for v in (f.rows_read, f.staged, f.quarantined)
                )
                + f"<td>{esc('、'.join(f.unknown_headers)) or '无'}</td></tr>"
            )
        p.append("</table>")
    else:
        p.append("<p class='bad'>本期没有收到该部门可读取的文件。</p>")

    p.append("<h2>三、文件级错误</h2>")
    errors = [f for f in files if f.error_code]
    if errors:
        p.append("<table><tr><th>文件</th><th>错误代码</th><th>说明</th></tr>")
        for f in errors:
            p.append(
                f"<tr><td>{esc(f.file)}</td><td>{esc(f.error_code)}</td><td>{esc(f.error_zh or '')}</td></tr>"
            )
        p.append("</table>")
    else:
        p.append("<p class='ok'>无。</p>")

    p.append("<h2>四、被隔离的行（未进入台账，请修正后重报）</h2>")
    if quarantine.height:
        p.append("<table><tr><th>原因</th><th>涉及列</th><th>行数</th><th>文件与行号</th></tr>")
        reasons = (
            quarantine.group_by("reason_code", "column")
            .agg(pl.col("reason").first(), pl.len().alias("n"))
            .sort("reason_code", "column", nulls_last=True)
        )
        for code, column, reason, n in reasons.iter_rows():
            cond = pl.col("reason_code") == code
            cond &= pl.col("column").is_null() if column is None else pl.col("column") == column
            rows = quarantine.filter(cond).select("file", "row_number")
            p.append(
                f"<tr><td>{esc(reason or code)}<br><span class='muted'>{esc(code)}</span></td>"
                f"<td>{esc(header_of(contract, column))}</td><td class='n'>{n:,}</td>"
                f"<td>{_where_cell(rows)}</td></tr>"
            )
        p.append("</table>")
    else:
        p.append("<p class='ok'>无。</p>")

    p.append("<h2>五、校验发现（已入库，但请核对修正）</h2>")
    if validation is None:
        p.append(
            "<p class='bad'>文件无法读取，没有可校验的数据。</p>"
            if ov.unreadable
            else "<p class='muted'>本期没有可校验的数据。</p>"
        )
    else:
        today = validation.today
        failed = validation.failed
        if failed:
            p.append(
                "<table><tr><th>列</th><th>问题</th><th>行数（占比）</th><th>阈值</th><th>结论</th>"
                "<th>文件与行号</th></tr>"
            )
            for o in failed:
                cls, label = check_status(o)
                kind = "逐行修正" if o.check.severity == "row" else "整体提示"
                bound = bound_text(o, today)
                p.append(
                    f"<tr><td class='nw'>{esc(o.check.header)}</td>"
                    f"<td>{esc(finding_sentence(o))}<br><span class='muted'>要求：{esc(o.description_zh)}"
                    f"（{kind}）{'<br>' + esc(bound) if bound else ''}</span></td>"
                    f"<td class='n'>{o.unexpected_count:,}（{o.unexpected_percent:.1f}%）</td>"
                    f"<td class='muted'>{esc(threshold_text(o))}</td>"
                    f"<td class='{cls} nw'>{label}</td><td>{_where_cell(o.rows)}</td></tr>"
                )
            p.append("</table>")
        elif ov.unreadable:
            p.append("<p class='warn'>已读取的行通过了所有检查，但上列文件无法读取，未能校验。</p>")
        else:
            p.append("<p class='ok'>所有检查均通过。</p>")
        passed = [o for o in validation.outcomes if o.unexpected_count == 0]
        if passed:
            p.append(f"<details><summary>已通过的检查（{len(passed)} 项）</summary><ul>")
            for o in passed:
                bound = bound_text(o, today)
                p.append(
                    f"<li>{esc(o.description_zh)}<span class='muted'>（阈值：{esc(threshold_text(o))}"
                    f"{'；' + esc(bound) if bound else ''}）</span></li>"
                )
            p.append("</ul></details>")

    p.append("<h2>六、待修正行清单</h2>")
    p.extend(_fix_list(attachment))
    p.append("<p class='muted'><a href='index.html'>返回全部数据源</a></p>")
    return page(f"{contract.title} 数据校验报告", "\n".join(p))
