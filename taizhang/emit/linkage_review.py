"""The operator's linkage review page: the pairs a person should look at, and why they scored so.

Two lists: the scored pairs nearest the linkage threshold (where a small error
in the data decides link or no link), and the pairs a rename veto kept apart
(renamed children or twins). Each pair shows its match weight as a waterfall,
as Splink draws it: the prior, each comparison's weight (its log2 Bayes
factor at the level the pair reached), the name-frequency adjustment, and the
total against the threshold. Below, the two source rows to compare: source,
file and row number, the name masked (first character only), birth month and
the counties. No identity number, phone or full name is shown.
"""

from __future__ import annotations

import html
import io
import math
import re
from pathlib import Path

import polars as pl

from taizhang.charts import PAGE_CSS, page, waterfall

NEAREST = 20  # pairs nearest the threshold shown
MAX_VETOED = 50  # renamed-or-twin pairs shown (the review list in the county workbooks has them all)

COMPARISON_ZH = {
    "name": "姓名",
    "id": "身份证号",
    "dob": "出生日期",
    "sex": "性别",
    "family": "家庭（监护人）",
    "mother_name": "母亲姓名",
    "father_name": "父亲姓名",
    "residence": "居住地",
    "hukou": "户籍地",
    "birth_cert": "出生医学证明编号",
    "birthplace": "出生地",
    "id_county_hukou": "身份证地址码与户籍地",
}
LEVEL_ZH = {
    "exact": "相同",
    "different": "不同",
    "null": "缺失",
    "homophone": "同音",
    "pinyin_close": "拼音相近",
    "given_changed": "名字不同",
    "one_char": "差一字",
    "lookalike": "形近字",
    "same_county": "同县",
    "born_where_living": "出生于现居地",
    "origin": "出生于户籍地",
}
_TERM = re.compile(r"([a-z_]+):([a-z_0-9]+)\(([+-]?[0-9.]+)\)")
_RECORD_COLUMNS = (
    "record_id",
    "source",
    "file",
    "row_number",
    "name",
    "birth_date",
    "residence_county",
    "hukou_county",
)


def threshold_weight(probability: float) -> float:
    """The match weight (log2 odds) at which a pair's match probability reaches ``probability``."""
    return math.log2(probability / (1 - probability))


def _steps(explanation: str) -> list[tuple[str, float]]:
    """(Chinese label, weight) of every comparison that moved the weight, in the pair's order."""
    steps = []
    for comparison, level, weight in _TERM.findall(explanation or ""):
        w = float(weight)
        if w != 0.0:
            label = f"{COMPARISON_ZH.get(comparison, comparison)}：{LEVEL_ZH.get(level, level)}"
            steps.append((label, w))
    return steps


def select_pairs(
    pairs: pl.DataFrame | pl.LazyFrame, vetoed: pl.DataFrame | None, threshold: float
) -> pl.DataFrame:
    """The pairs to show, with ``kind`` (``near`` or ``vetoed``), nearest the threshold first.

    Lazy over the pairs, so a province's tens of millions of scored pairs are never all in memory:
    only the few shown are collected.
    """
    lazy = pairs.lazy()
    cols = ["l", "r", "match_weight", "match_probability", "tf_adjustment", "explanation"]
    near = (
        lazy.filter(~pl.col("cannot_link") & ~pl.col("vetoed"))
        .with_columns((pl.col("match_weight") - threshold).abs().alias("_d"))
        .sort(["_d", "l", "r"])
        .head(NEAREST)
        .select(*cols, pl.lit("near").alias("kind"))
    )
    parts = [near]
    if vetoed is not None and vetoed.height:
        parts.append(
            lazy.join(vetoed.lazy().select("l", "r"), on=["l", "r"], how="semi")
            .sort(["match_weight", "l", "r"], descending=[True, False, False])
            .head(MAX_VETOED)
            .select(*cols, pl.lit("vetoed").alias("kind"))
        )
    return pl.concat(parts).collect()


def _mask_name(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.str.len_chars() > 0).then(
        expr.str.slice(0, 1) + pl.lit("*").repeat_by(expr.str.len_chars() - 1).list.join("")
    )


def _sides(shown: pl.DataFrame, records: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``shown`` with both records' columns; only the shown pairs' records are read from ``records``."""
    ids = pl.concat([shown.get_column("l"), shown.get_column("r")]).unique()
    wanted = records.lazy().select(_RECORD_COLUMNS).filter(pl.col("record_id").is_in(ids.implode()))
    rec = wanted.collect().select(
        "record_id",
        "source",
        "file",
        "row_number",
        _mask_name(pl.col("name")).alias("name_masked"),
        pl.col("birth_date").dt.strftime("%Y-%m").alias("birth_month"),
        "residence_county",
        "hukou_county",
    )
    left = rec.rename(lambda c: f"{c}_l")
    right = rec.rename(lambda c: f"{c}_r")
    return shown.join(left, left_on="l", right_on="record_id_l", how="left", maintain_order="left").join(
        right, left_on="r", right_on="record_id_r", how="left", maintain_order="left"
    )


def review_page(
    pairs: pl.DataFrame | pl.LazyFrame,
    records: pl.DataFrame | pl.LazyFrame,
    vetoed: pl.DataFrame | None,
    probability: float,
) -> str:
    """The whole page (see the module docstring)."""
    from data_contracts import load_contracts

    titles = {name: c.title for name, c in load_contracts().items()}
    threshold = threshold_weight(probability)
    shown = _sides(select_pairs(pairs, vetoed, threshold), records)
    esc = html.escape
    n_near = shown.filter(pl.col("kind") == "near").height
    n_vetoed = shown.height - n_near
    body = [
        "<h1>儿童记录关联复核</h1>",
        f"<p class='box'>关联阈值：匹配概率 {probability:.0%}（匹配权重 {threshold:.2f}）。"
        f"下列为权重最接近阈值的 {n_near} 对记录，以及因名字不同、又无共同证件号而被分开的 {n_vetoed} 对"
        "（可能是同一儿童改名，也可能是双胞胎）。每对的瀑布图从先验出发，逐项加上各比较项的权重，"
        "绿色为支持同一人，红色为反对；虚线为阈值。姓名只显示首字。</p>",
    ]
    sections = (("near", "一、最接近阈值的记录对"), ("vetoed", "二、疑似改名或双胞胎（被分开的记录对）"))
    for kind, heading in sections:
        body.append(f"<h2>{heading}</h2>")
        part = shown.filter(pl.col("kind") == kind)
        if not part.height:
            body.append("<p class='muted'>无。</p>")
        for i, row in enumerate(part.iter_rows(named=True), start=1):  # at most NEAREST or MAX_VETOED pairs
            steps = _steps(row["explanation"])
            tf = float(row["tf_adjustment"] or 0.0)
            if tf:
                steps.append(("名字频率调整", tf))
            prior = row["match_weight"] - sum(w for _, w in steps)
            verdict = "高于阈值" if row["match_weight"] >= threshold else "低于阈值"
            body.append(
                f"<section class='pair'><h3>第 {i} 对：匹配权重 {row['match_weight']:.2f}，"
                f"匹配概率 {row['match_probability']:.3f}，{verdict}</h3>"
            )
            body.append("<div class='pairbody'>")
            body.append(waterfall(f"第 {i} 对的匹配权重构成", steps, prior=prior, threshold=threshold))
            body.append(
                "<table class='sides'><tr><th></th><th>来源</th><th>文件</th><th>行号</th>"
                "<th>姓名（脱敏）</th><th>出生年月</th><th>居住地代码</th><th>户籍地代码</th></tr>"
            )
            for side, label in (("l", "记录甲"), ("r", "记录乙")):
                values = [
                    titles.get(row[f"source_{side}"] or "", row[f"source_{side}"]),
                    row[f"file_{side}"],
                    row[f"row_number_{side}"],
                    row[f"name_masked_{side}"],
                    row[f"birth_month_{side}"],
                    row[f"residence_county_{side}"],
                    row[f"hukou_county_{side}"],
                ]
                body.append(
                    f"<tr><th>{label}</th>"
                    + "".join(f"<td>{esc(str(v or '—'))}</td>" for v in values)
                    + "</tr>"
                )
            body.append("</table></div></section>")
    css = PAGE_CSS + ".pairbody{display:flex;gap:1.2em;align-items:flex-start}table.sides{width:auto;flex:1}"
    return page("儿童记录关联复核", "\n".join(body), css=css)


def write_linkage_review(std_dir: Path, link_dir: Path, path: Path, probability: float) -> Path | None:
    """Write the review page from a run's standardized records and linkage outputs; None without pairs."""
    from taizhang.emit.atomic import write_with_atomic

    pairs_path = Path(link_dir) / "pairs.parquet"
    if not pairs_path.is_file():
        return None
    from taizhang import sealed

    # The stage files are sealed working data: decrypted in memory, never copied in clear. Scanned,
    # not read: the page shows some seventy pairs of a province's millions, so only the columns the
    # choice needs are decoded, and only the shown pairs' records (the rest stay encoded bytes).
    pairs = pl.scan_parquet(io.BytesIO(sealed.read_bytes(pairs_path)))
    vetoed_path = Path(link_dir) / "link_vetoed_apart.parquet"
    vetoed = sealed.read_frame(vetoed_path, columns=["l", "r"]) if vetoed_path.is_file() else None
    records = pl.scan_parquet(io.BytesIO(sealed.read_bytes(Path(std_dir) / "std_records.parquet")))
    text = review_page(pairs, records, vetoed, probability)
    return write_with_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
