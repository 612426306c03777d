"""The index page linking every source's validation report, with counts only."""

from __future__ import annotations

from typing import Any

from expectations.overview import badge
from expectations.wording import esc
from taizhang.charts import Series, bar_chart, page


def index_html(rows: list[dict[str, Any]]) -> str:
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
            f"<tr><td><a href='{esc(r['source'])}.html'>{esc(r['title'])}</a></td>"
            f"<td>{esc(r['department'])}</td><td>{badge(r['status'])}</td>"
            + "".join(
                f"<td class='n'>{r[k]:,}</td>"
                for k in ("files", "unreadable_files", "rows", "quarantined", "failed_checks", "to_fix")
            )
            + "</tr>"
        )
    body.append("</table>")
    return page("数据校验报告", "\n".join(body))
