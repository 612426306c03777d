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

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from data_contracts import SOURCE_ORDER, Contract, load_contracts
from expectations.checks import REDACTED, redact
from expectations.validate import CheckOutcome, SourceValidation, validate_source
from taizhang.charts import Series, bar_chart, page
from taizhang.ingest.locate import locate_rows, segments_frame

ROW_CAP = 30  # row numbers shown per file and finding before "及另外 N 行"
FIX_LIST_CAP = 200  # rows of the fix list shown on the page (the attachment has them all)
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
ATTACHMENT_COLUMNS = {
    "file": "文件",
    "sheet": "工作表",
    "excel_row": "Excel行号",
    "row_number": "行号",
    "column": "列名",
    "header": "表头",
    "finding": "问题",
    "check": "检查项",
}
# Always masked, whatever the contract says: the one term policy forbids in any output.
ALWAYS_SENSITIVE = ("艾滋病病毒感染",)
# File errors that are about no received file: a source that sent nothing, a file of no source.
NOT_A_RECEIVED_FILE = ("missing_source", "unknown_file")

# A source's state at a glance: (css class, label).
STATUS_LABELS = {
    "unreadable": ("bad", "文件无法读取"),
    "to_fix": ("warn", "待修正"),
    "passed": ("ok", "通过"),
    "missing": ("none", "未收到文件"),
}
SUMMARY_FILE = "summary.json"


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """A field of a file report, whether it is a dataclass, an object or a dict."""
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj and obj[name] is not None:
                return obj[name]
        elif getattr(obj, name, None) is not None:
            return getattr(obj, name)
    return default


@dataclass(frozen=True)
class _FileLine:
    """What a liaison needs to know about one received (or refused) file."""

    file: str
    form: str  # encoding or sheet names
    rows_read: int | None
    staged: int | None
    quarantined: int | None
    unknown_headers: tuple[str, ...]
    error_code: str | None
    error_zh: str | None


def _file_lines(reports: Iterable[Any], source: str) -> list[_FileLine]:
    lines = []
    for r in reports:
        if _get(r, "source") != source:
            continue
        error = _get(r, "error")
        sheets = _get(r, "sheets", "sheet_names", default=())
        form = " ".join(str(x) for x in (_get(r, "format"), _get(r, "encoding")) if x)
        if sheets and not isinstance(sheets, str):
            form = "工作表：" + "、".join(str(s) for s in sheets)
        elif sheets:
            form = f"工作表：{sheets}"
        unknown = _get(r, "unknown_headers", default=())
        lines.append(
            _FileLine(
                file=str(_get(r, "file", default="（未收到文件）")),
                form=str(form),
                rows_read=_get(r, "rows_read", "rows"),
                staged=_get(r, "staged", "rows_staged"),
                quarantined=_get(r, "quarantined", "rows_quarantined"),
                unknown_headers=tuple(str(h) for h in (unknown or ())),
                error_code=_get(error, "code") if error is not None else _get(r, "code"),
                error_zh=(
                    _get(error, "message_zh", "zh", "message")
                    if error is not None
                    else _get(r, "message_zh", "zh", "message_cn")
                ),
            )
        )
    # A file error may arrive both inside its file report and in the error list: show it once.
    unique = {(f.file, f.error_code, f.error_zh): f for f in lines}
    return sorted(unique.values(), key=lambda f: (f.file, f.error_code or ""))


def _rows_text(rows: pl.DataFrame, cap: int = ROW_CAP) -> list[tuple[str, str, int]]:
    """Per file: (file, "第 3、7、12 行 … 及另外 N 行", count), capped for the page."""
    if rows.is_empty():
        return []
    grouped = (
        rows.group_by("file")
        .agg(pl.col("row_number").sort().head(cap).alias("shown"), pl.len().alias("n"))
        .sort("file")
    )
    out = []
    for file, shown, n in grouped.iter_rows():  # one line per file, not per row
        text = "第 " + "、".join(str(r) for r in shown) + " 行"
        if n > len(shown):
            text += f"，及另外 {n - len(shown):,} 行"
        out.append((file, text, n))
    return out


def finding_sentence(outcome: CheckOutcome) -> str:
    """A liaison's one-liner: "身份证号：1,234 行（8.2%）校验位错误，见附件"."""
    return (
        f"{outcome.check.header}：{outcome.unexpected_count:,} 行（{outcome.unexpected_percent:.1f}%）"
        f"{outcome.check.finding_zh}，见附件"
    )


def _status(outcome: CheckOutcome) -> tuple[str, str]:
    if outcome.unexpected_count == 0:
        return "ok", "通过"
    if outcome.success:
        return "warn", "基本通过（个别行需修正）"
    return "bad", "未通过"


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


@dataclass(frozen=True)
class _Overview:
    """The counts a source shows on its page and on the index: computed once, shown twice."""

    status: str  # a key of STATUS_LABELS
    files: int  # received files that could be read
    unreadable: tuple[tuple[str, str], ...]  # (file, reason) of received files that could not be read
    rows_read: int
    staged: int
    quarantined: int
    failed_checks: int  # checks under their threshold (未通过)
    checks_with_findings: int  # checks with any failing row
    rows_to_fix: int  # distinct (file, row) in the fix list
    findings: int  # lines of the fix list (a row may fail several checks)


def _overview(
    files: list[_FileLine],
    validation: SourceValidation | None,
    quarantine: pl.DataFrame,
    attachment: pl.DataFrame,
) -> _Overview:
    received = [f for f in files if not f.error_code]
    unreadable = [
        (f.file, f.error_zh or f.error_code or "")
        for f in files
        if f.error_code and f.error_code not in NOT_A_RECEIVED_FILE
    ]
    # A file that was read but gave no usable row is as unreadable to the ledger as a broken one.
    unreadable += [
        (f.file, "文件中没有可读取的数据行（所有行均被隔离或文件只有表头）")
        for f in received
        if f.staged is not None and int(f.staged) == 0
    ]
    rows_to_fix = (
        attachment.select(pl.struct("file", "row_number").n_unique()).item() if attachment.height else 0
    )
    failed_checks = sum(1 for o in validation.outcomes if not o.success) if validation else 0
    if unreadable:
        status = "unreadable"
    elif not received:
        status = "missing"
    elif rows_to_fix or failed_checks:
        status = "to_fix"
    else:
        status = "passed"
    return _Overview(
        status=status,
        files=len(received),
        unreadable=tuple(sorted(set(unreadable))),
        rows_read=sum(int(f.rows_read or 0) for f in received),
        staged=validation.row_count if validation else 0,
        quarantined=quarantine.height,
        failed_checks=failed_checks,
        checks_with_findings=len(validation.failed) if validation else 0,
        rows_to_fix=rows_to_fix,
        findings=attachment.height,
    )


def _badge(status: str) -> str:
    cls, label = STATUS_LABELS[status]
    return f"<span class='badge {cls}' data-status='{status}'>{label}</span>"


def _threshold_text(o: CheckOutcome) -> str:
    """The rule that turns a finding into 未通过, in the liaison's words."""
    base = "全部行" if o.check.code == "required_present" else "非空值"
    return f"{base}中至少 {o.check.mostly:.0%} 符合要求，否则判为未通过"


def _bound_text(o: CheckOutcome, today: date | None) -> str:
    if o.check.code == "date_not_future" and today is not None:
        return f"日期界限：不晚于 {today.isoformat()}（校验当天）"
    return ""


def _allowed_failures(o: CheckOutcome) -> float:
    base = o.element_count if o.check.code == "required_present" else o.element_count - o.missing_count
    return max(base, 0) * (1 - o.check.mostly)


def _short(text: str, n: int = 18) -> str:
    text = text.removeprefix("该行").rstrip("。")
    return text if len(text) <= n else text[: n - 1] + "…"


def _charts(files: list[_FileLine], validation: SourceValidation | None, quarantine: pl.DataFrame) -> str:
    parts = ["<div class='charts'>"]
    reasons = (
        quarantine.group_by("reason_code")
        .agg(pl.col("reason").first(), pl.len().alias("n"))
        .sort(["n", "reason_code"], descending=[True, False])
    )
    parts.append(
        bar_chart(
            "被隔离的行：按原因",
            [_short(r or c) for c, r, _ in reasons.iter_rows()],
            [float(n) for *_, n in reasons.iter_rows()],
        )
    )
    failed = list(validation.failed) if validation else []
    parts.append(
        bar_chart(
            "校验发现：按检查（红线为判为未通过前允许的行数）",
            [_short(f"{o.check.header}：{o.check.finding_zh}", 20) for o in failed],
            [float(o.unexpected_count) for o in failed],
            marks=[_allowed_failures(o) for o in failed],
            mark_name="允许上限",
        )
    )
    received = [f for f in files if not f.error_code]
    parts.append(
        bar_chart(
            "各文件行数",
            [_short(f.file, 30) for f in received],
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
        f"{_esc(file)}：<span class='rows'>{_esc(text)}</span>" for file, text, _ in _rows_text(rows)
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
            f"<tr><td>{_esc(file)}</td><td>{_esc(sheet or '—')}</td>"
            f"<td class='n'>{'—' if excel_row is None else excel_row}</td><td class='n'>{row_number}</td>"
            f"<td>{_esc(header)}</td><td>{_esc(finding)}</td></tr>"
        )
    p.append("</table>")
    if attachment.height > shown.height:
        p.append(
            f"<p class='muted'>仅显示前 {shown.height:,} 条，共 {attachment.height:,} 条，全部见附件。</p>"
        )
    return p


def _source_html(
    contract: Contract,
    validation: SourceValidation | None,
    files: list[_FileLine],
    quarantine: pl.DataFrame,
    attachment_name: str,
    attachment: pl.DataFrame,
    ov: _Overview,
) -> str:
    p: list[str] = []
    p.append(f"<h1>数据校验报告：{_esc(contract.title)}</h1>")
    p.append(
        f"<p>结论：{_badge(ov.status)}　报送部门：<b>{_esc(contract.department)}</b>　"
        f"数据源：{_esc(contract.source)}</p>"
    )
    if ov.unreadable:
        p.append(
            "<p class='bad'>以下文件无法读取，其中的数据未能校验，也不会进入台账，请修正后重新报送：</p><ul>"
        )
        p.extend(f"<li>{_esc(f)}：{_esc(reason)}</li>" for f, reason in ov.unreadable)
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
        f"<p class='box'>附件：<a href='{_esc(attachment_name)}'>{_esc(attachment_name)}</a>"
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
                f"<tr><td>{_esc(f.file)}</td><td>{_esc(f.form)}</td>"
                + "".join(
                    f"<td class='n'>{'' if v is None else f'{int(v):,}'}</td>"
                    for v in (f.rows_read, f.staged, f.quarantined)
                )
                + f"<td>{_esc('、'.join(f.unknown_headers)) or '无'}</td></tr>"
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
                f"<tr><td>{_esc(f.file)}</td><td>{_esc(f.error_code)}</td>"
                f"<td>{_esc(f.error_zh or '')}</td></tr>"
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
                f"<tr><td>{_esc(reason or code)}<br><span class='muted'>{_esc(code)}</span></td>"
                f"<td>{_esc(_header_of(contract, column))}</td><td class='n'>{n:,}</td>"
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
                cls, label = _status(o)
                kind = "逐行修正" if o.check.severity == "row" else "整体提示"
                bound = _bound_text(o, today)
                p.append(
                    f"<tr><td class='nw'>{_esc(o.check.header)}</td>"
                    f"<td>{_esc(finding_sentence(o))}<br><span class='muted'>要求：{_esc(o.description_zh)}"
                    f"（{kind}）{'<br>' + _esc(bound) if bound else ''}</span></td>"
                    f"<td class='n'>{o.unexpected_count:,}（{o.unexpected_percent:.1f}%）</td>"
                    f"<td class='muted'>{_esc(_threshold_text(o))}</td>"
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
                bound = _bound_text(o, today)
                p.append(
                    f"<li>{_esc(o.description_zh)}<span class='muted'>（阈值：{_esc(_threshold_text(o))}"
                    f"{'；' + _esc(bound) if bound else ''}）</span></li>"
                )
            p.append("</ul></details>")

    p.append("<h2>六、待修正行清单</h2>")
    p.extend(_fix_list(attachment))
    p.append("<p class='muted'><a href='index.html'>返回全部数据源</a></p>")
    return page(f"{contract.title} 数据校验报告", "\n".join(p))


def _header_of(contract: Contract, column: str | None) -> str:
    if column is None:
        return "（整行）"
    try:
        return contract.column(column).header
    except KeyError:
        return column


def _attachment(
    validation: SourceValidation | None,
    quarantine: pl.DataFrame,
    contract: Contract,
    segments: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every row to fix: failed checks and quarantined rows, sorted, without any cell value.

    Each row also names its sheet and the row number Excel shows (from the
    quarantine, or for a failed check from the files' ``segments``).
    """
    headers = {c.name: c.header for c in contract.columns}
    q = quarantine.select(
        "file",
        "row_number",
        "sheet",
        "excel_row",
        pl.col("column").fill_null(""),
        pl.col("column").replace_strict(headers, default="（整行）", return_dtype=pl.Utf8).alias("header"),
        pl.coalesce(pl.col("reason"), pl.col("reason_code")).alias("finding"),
        ("quarantine:" + pl.col("reason_code")).alias("check"),
    )
    parts = [q]
    if validation is not None:
        # Where each failed row sits in its workbook comes from ingest's row segments.
        failed = validation.rows_to_fix().drop("sheet", "excel_row")
        located = locate_rows(failed, segments if segments is not None else segments_frame(()))
        parts.append(located.select(q.columns))
    return pl.concat(parts).sort("file", "row_number", "column", "check")


def _summary_md(
    contract: Contract,
    validation: SourceValidation | None,
    files: list[_FileLine],
    quarantine: pl.DataFrame,
    attachment_name: str,
    ov: _Overview,
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
            first = _rows_text(o.rows, cap=5)
            where = "；".join(f"{file} {text}" for file, text, _ in first)
            lines.append(f"- {finding_sentence(o)}（{_status(o)[1]}）。例如：{where}")
    elif validation is not None and not ov.unreadable:
        lines.append("- 所有检查均通过")
    elif validation is not None:
        lines.append("- 已读取的行通过所有检查，但有文件无法读取")
    else:
        lines.append("- 本期没有可校验的数据")
    lines += ["", f"逐行清单见附件 {attachment_name} 与网页报告 {contract.source}.html。", ""]
    return "\n".join(lines)


def _index_html(rows: list[dict[str, Any]]) -> str:
    body = [
        "<h1>各部门数据校验报告</h1>",
        "<p class='muted'>每个数据源一页：点击名称查看收到的文件、被隔离的行、校验发现和待修正行清单。"
        "“待修正行”为需修正的不同行数，与各页一致。</p>",
    ]
    if rows:
        body.append("<div class='charts'>")
        body.append(
            bar_chart(
                "各数据源行数",
                [r["title"] for r in rows],
                [
                    Series("入库", [float(r["rows"]) for r in rows]),
                    Series("隔离", [float(r["quarantined"]) for r in rows]),
                ],
            )
        )
        body.append(
            bar_chart("各数据源待修正行", [r["title"] for r in rows], [float(r["to_fix"]) for r in rows])
        )
        body.append("</div>")
    body.append(
        "<table><tr><th>数据源</th><th>报送部门</th><th>结论</th><th>文件数</th><th>无法读取的文件</th>"
        "<th>入库行数</th><th>隔离行数</th><th>未通过的检查</th><th>待修正行</th></tr>"
    )
    for r in rows:
        body.append(
            f"<tr><td><a href='{_esc(r['source'])}.html'>{_esc(r['title'])}</a></td>"
            f"<td>{_esc(r['department'])}</td><td>{_badge(r['status'])}</td>"
            + "".join(
                f"<td class='n'>{r[k]:,}</td>"
                for k in ("files", "unreadable_files", "rows", "quarantined", "failed_checks", "to_fix")
            )
            + "</tr>"
        )
    body.append("</table>")
    return page("数据校验报告", "\n".join(body))


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
        set(by_source) | {str(_get(r, "source")) for r in reports} | set(q["source"].unique().drop_nulls())
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
        files = _file_lines(reports, source)
        sq = q.filter(pl.col("source") == source).sort("file", "row_number", "reason_code", "column")
        attachment_name = f"{source}_待修正行.csv"
        attachment = _attachment(validation, sq, contract, segments)
        ov = _overview(files, validation, sq, attachment)
        csv_text = attachment.select(list(ATTACHMENT_COLUMNS)).rename(ATTACHMENT_COLUMNS).write_csv()
        path = folder / attachment_name
        path.write_bytes(b"\xef\xbb\xbf" + redact(csv_text, sensitive).encode("utf-8"))
        written.append(path)
        html_page = _source_html(contract, validation, files, sq, attachment_name, attachment, ov)
        written.append(_write_text(folder / f"{source}.html", html_page, sensitive))
        summary = _summary_md(contract, validation, files, sq, attachment_name, ov)
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
    written.append(_write_text(folder / "index.html", _index_html(index_rows), ALWAYS_SENSITIVE))
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
    staged: Mapping[str, pl.DataFrame] = _get(ingest, "staged", default={})
    validations = [
        validate_source(contracts[s], frame, today=today)
        for s, frame in sorted(staged.items())
        if s in contracts
    ]
    reports = [*(_get(ingest, "file_reports", default=()) or ()), *(_get(ingest, "errors", default=()) or ())]
    return write_reports(validations, reports, _get(ingest, "quarantine"), out_dir, contracts=contracts)


__all__ = ["REDACTED", "finding_sentence", "unreadable_files", "validate_and_write", "write_reports"]
