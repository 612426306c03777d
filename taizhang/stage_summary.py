"""The stages by name, and how a stage's counts read to a person (Chinese, then English)."""

from __future__ import annotations

STAGES = ("ingest", "validate", "standardize", "link", "decide", "emit", "summarize")

STAGE_DESCRIPTIONS = {
    "ingest": "读取 reading extracts",
    "validate": "校验 validating extracts",
    "standardize": "标准化 standardizing records",
    "link": "匹配 linking records to children",
    "decide": "研判 applying the policy rules",
    "emit": "输出 writing ledgers and workbooks",
    "summarize": "汇总 writing the province summary",
}


def summarize_counts(counts: dict[str, int], stage: str | None = None) -> str:
    """A stage's counts as a person reads them, in Chinese and English; raw names for any other stage."""
    c = {k: v for k, v in counts.items() if isinstance(v, int)}
    if stage == "ingest":
        staged = {k: v for k, v in c.items() if k.startswith("staged_")}
        rows, sources = sum(staged.values()), len(staged)
        return (
            f"{sources} 个来源入库 {rows:,} 行，隔离 {c.get('quarantined', 0):,} 行，"
            f"文件级错误 {c.get('file_errors', 0)} 个 / {rows:,} rows from {sources} sources, "
            f"{c.get('quarantined', 0):,} quarantined, {c.get('file_errors', 0)} file errors"
        )
    if stage == "validate":
        n = c.get("validation_reports", 0)
        return f"校验报告 {n} 个文件 / {n} validation report files"
    if stage == "standardize":
        n = c.get("std_records", 0)
        return f"标准化记录 {n:,} 条 / {n:,} records standardized"
    if stage == "link":
        n, kids, pairs = c.get("records_linked", 0), c.get("children", 0), c.get("pairs_scored", 0)
        return (
            f"{n:,} 条记录关联为 {kids:,} 名儿童（评分 {pairs:,} 对）/ "
            f"{n:,} records linked to {kids:,} children ({pairs:,} pairs scored)"
        )
    if stage == "decide":
        n, flags, review = c.get("ledger", 0), c.get("flags", 0), c.get("review", 0)
        return (
            f"流动儿童 {n:,} 名，标记 {flags:,} 条，待核实 {review:,} 条 / "
            f"{n:,} migrant children, {flags:,} flags, {review:,} to review"
        )
    if stage == "emit":
        books, push = c.get("county_workbooks_written", 0), c.get("push_lists", 0)
        return f"县台账 {books} 个，推送清单 {push} 个 / {books} county workbooks, {push} push lists"
    return ", ".join(f"{k}={v:,}" for k, v in c.items())
