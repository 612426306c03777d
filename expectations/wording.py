"""How a finding is put to a liaison: counts, row numbers per file, thresholds, never a cell value."""

from __future__ import annotations

import html
from datetime import date

import polars as pl

from data_contracts import Contract
from expectations.validate import CheckOutcome

ROW_CAP = 30  # row numbers shown per file and finding before "及另外 N 行"


def rows_text(rows: pl.DataFrame, cap: int = ROW_CAP) -> list[tuple[str, str, int]]:
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


def check_status(outcome: CheckOutcome) -> tuple[str, str]:
    if outcome.unexpected_count == 0:
        return "ok", "通过"
    if outcome.success:
        return "warn", "基本通过（个别行需修正）"
    return "bad", "未通过"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def threshold_text(o: CheckOutcome) -> str:
    """The rule that turns a finding into 未通过, in the liaison's words."""
    base = "全部行" if o.check.code == "required_present" else "非空值"
    return f"{base}中至少 {o.check.mostly:.0%} 符合要求，否则判为未通过"


def bound_text(o: CheckOutcome, today: date | None) -> str:
    if o.check.code == "date_not_future" and today is not None:
        return f"日期界限：不晚于 {today.isoformat()}（校验当天）"
    return ""


def allowed_failures(o: CheckOutcome) -> float:
    base = o.element_count if o.check.code == "required_present" else o.element_count - o.missing_count
    return max(base, 0) * (1 - o.check.mostly)


def short(text: str, n: int = 18) -> str:
    text = text.removeprefix("该行").rstrip("。")
    return text if len(text) <= n else text[: n - 1] + "…"


def header_of(contract: Contract, column: str | None) -> str:
    if column is None:
        return "（整行）"
    try:
        return contract.column(column).header
    except KeyError:
        return column
