"""Province summary files: ``province_summary.{parquet,xlsx,html}`` from the counts.

The counts per county come from :mod:`taizhang.emit.province_counts`; emit
writes them as the parquet table (:func:`write_province_counts`). The workbook
(county and prefecture tables, data quality per department, Excel charts) and
the self-contained page are written from that table and the run's validation
summary (:func:`write_province_summary`), once both are there: on a small run
the validation finishes after emit has started. None of them holds personal
information.
"""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from taizhang.emit.atomic import write_parquet_atomic, write_with_atomic
from taizhang.emit.division_names import JILIN_PROVINCE
from taizhang.emit.province_counts import COUNT_COLUMNS, GAP_PREFIX, LABEL_COLUMNS, by_prefecture
from taizhang.emit.sheets import add_table_sheet, new_workbook
from taizhang.period import Period


def _chinese(summary: pl.DataFrame) -> pl.DataFrame:
    """Chinese headers, with a 全省合计 row at the bottom."""
    numeric = [c for c in summary.columns if c not in LABEL_COLUMNS]
    total = summary.select(
        pl.lit(f"{JILIN_PROVINCE}0000").alias("county_code"),
        pl.lit("全省合计").alias("county_name"),
        pl.lit(None, dtype=pl.Utf8).alias("prefecture_name"),
        *(pl.col(c).sum() for c in numeric),
    )
    names = {**LABEL_COLUMNS, **COUNT_COLUMNS}
    rename = {c: names.get(c, "服务缺口：" + c.removeprefix(GAP_PREFIX)) for c in summary.columns}
    return pl.concat([summary, total]).rename(rename)


CARE_SERIES = (("care_quarterly", "每三个月走访"), ("care_monthly", "每月走访"), ("key_cases", "重点关爱"))
FLAG_SERIES = (
    ("suspected_orphan", "疑似孤儿"),
    ("suspected_unsupported", "疑似事实无人抚养"),
    ("refer_orphan", "参照孤儿保障"),
    ("urgent", "紧急情况"),
)
CHANGE_SERIES = (("new", "新增"), ("status_changed", "状态变化"), ("left", "离开"), ("turned_16", "满16周岁"))
QUALITY_COLUMNS = {
    "title": "数据源",
    "department": "报送部门",
    "status_zh": "结论",
    "files": "文件数",
    "unreadable_files": "无法读取的文件",
    "rows": "入库行数",
    "quarantined": "隔离行数",
    "failed_checks": "未通过的检查",
    "to_fix": "待修正行",
}
_STATUS_ZH = {"unreadable": "文件无法读取", "to_fix": "待修正", "passed": "通过", "missing": "未收到文件"}


def read_quality(out_dir: Path) -> pl.DataFrame:
    """Data quality per department, from the run's ``validation/summary.json`` (counts only)."""
    import json

    path = Path(out_dir) / "validation" / "summary.json"
    rows = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    schema = {
        k: (
            pl.Int64
            if k in {"files", "unreadable_files", "rows", "quarantined", "failed_checks", "to_fix"}
            else pl.Utf8
        )
        for k in QUALITY_COLUMNS
    }
    frame = pl.DataFrame(
        [
            {k: r.get(k) for k in QUALITY_COLUMNS if k != "status_zh"}
            | {"status_zh": _STATUS_ZH.get(r.get("status"), "")}
            for r in rows
        ],
        schema=schema,
    )
    return frame.select(list(QUALITY_COLUMNS))


def _add_chart(
    wb,
    ws_chart,
    anchor: str,
    kind: str,
    title: str,
    sheet: str,
    rows: int,
    label_col: int,
    series: list[tuple[int, str]],
    stacked: bool = True,
) -> None:
    """An Excel chart over ``sheet``'s rows 2..rows+1: categories in ``label_col``, one series per column."""
    chart = wb.add_chart({"type": kind, **({"subtype": "stacked"} if stacked and len(series) > 1 else {})})
    for col, name in series:
        chart.add_series(
            {
                "name": name,
                "categories": [sheet, 1, label_col, rows, label_col],
                "values": [sheet, 1, col, rows, col],
                "gap": 60,
            }
        )
    chart.set_title({"name": title, "name_font": {"size": 12}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 420})
    ws_chart.insert_chart(anchor, chart)


def write_province_counts(out_dir: Path, summary: pl.DataFrame) -> dict[str, Path]:
    """Write the counts per county (:func:`taizhang.emit.province_counts.province_counts`) as
    ``province_summary.parquet`` into ``out_dir``."""
    return {
        "province_summary_parquet": write_parquet_atomic(
            summary, Path(out_dir) / "province_summary.parquet", ["county_code"]
        )
    }


def write_province_summary(
    out_dir: Path, period: Period, quality: pl.DataFrame | None = None
) -> dict[str, Path]:
    """Write ``province_summary.{xlsx,html}`` into ``out_dir`` from its ``province_summary.parquet``
    and the data quality per department (by default from its ``validation/summary.json``).

    The workbook holds the county table, the prefecture table, data quality per
    department and a sheet of Excel charts over them; the page shows the same
    counts with inline charts. Neither holds personal information.
    """
    out_dir = Path(out_dir)
    summary = pl.read_parquet(out_dir / "province_summary.parquet")
    quality = read_quality(out_dir) if quality is None else quality
    prefectures = _chinese_prefectures(by_prefecture(summary))

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp, period, f"{period} 流动儿童台账全省汇总")
        charts = wb.add_worksheet("图表")
        add_table_sheet(wb, "全省汇总", _chinese(summary), ("区划代码",))
        add_table_sheet(wb, "按市州", prefectures, ())
        add_table_sheet(wb, "数据质量", quality.rename(QUALITY_COLUMNS), ())
        n = prefectures.height
        col = {name: i for i, name in enumerate(["序号", *prefectures.columns])}
        charts.write_string(0, 0, f"{period} 全省流动儿童台账汇总图表（数据见其他工作表）")
        _add_chart(
            wb,
            charts,
            "A3",
            "bar",
            "各市（州）流动儿童与关爱等级",
            "按市州",
            n,
            col["市（州）"],
            [(col[zh], zh) for _, zh in CARE_SERIES],
        )
        _add_chart(
            wb,
            charts,
            "M3",
            "column",
            "各市（州）疑似对象与紧急情况",
            "按市州",
            n,
            col["市（州）"],
            [(col[zh], zh) for _, zh in FLAG_SERIES],
            stacked=False,
        )
        _add_chart(
            wb,
            charts,
            "A25",
            "column",
            "各市（州）较上半年的变动",
            "按市州",
            n,
            col["市（州）"],
            [(col[zh], zh) for _, zh in CHANGE_SERIES],
            stacked=False,
        )
        if quality.height:
            qcol = {name: i for i, name in enumerate(["序号", *QUALITY_COLUMNS.values()])}
            _add_chart(
                wb,
                charts,
                "M25",
                "bar",
                "各部门数据质量（行数）",
                "数据质量",
                quality.height,
                qcol["数据源"],
                [(qcol["入库行数"], "入库行数"), (qcol["隔离行数"], "隔离行数")],
            )
        charts.set_paper(9)
        charts.set_landscape()
        wb.close()

    page_html = summary_page(period, summary, prefectures, quality)
    return {
        "province_summary_xlsx": write_with_atomic(out_dir / "province_summary.xlsx", build),
        "province_summary_html": write_with_atomic(
            out_dir / "province_summary.html", lambda tmp: tmp.write_text(page_html, encoding="utf-8")
        ),
    }


def _chinese_prefectures(prefectures: pl.DataFrame) -> pl.DataFrame:
    names = {"prefecture_name": "市（州）", **COUNT_COLUMNS}
    keep = ["prefecture_name", *COUNT_COLUMNS]
    return prefectures.select(keep).rename(names)


def summary_page(
    period: Period, summary: pl.DataFrame, prefectures: pl.DataFrame, quality: pl.DataFrame
) -> str:
    """The province summary as a self-contained page: totals, charts per prefecture, quality, counties."""
    from taizhang.charts import Series, bar_chart, page

    esc = html.escape
    total = {c: int(summary[c].sum()) for c in COUNT_COLUMNS}
    labels = prefectures["市（州）"].to_list()
    unplaced = int(summary.filter(pl.col("county_code").is_null())["review_items"].sum())

    def series(pairs: tuple[tuple[str, str], ...]) -> list[Series]:
        return [Series(zh, [float(v) for v in prefectures[zh].to_list()]) for _, zh in pairs]

    cards = [
        ("流动儿童", total["migrant_children"]),
        ("本期新增", total["new"]),
        ("离开", total["left"]),
        ("满16周岁", total["turned_16"]),
        ("疑似孤儿", total["suspected_orphan"]),
        ("疑似事实无人抚养", total["suspected_unsupported"]),
        ("重点关爱", total["key_cases"]),
        ("紧急情况", total["urgent"]),
        ("待核实事项", total["review_items"]),
    ]
    body = [
        f"<h1>{esc(str(period))} 全省流动儿童台账汇总</h1>",
        "<p class='muted'>只含数量，不含任何个人信息。各县明细见 province_summary.xlsx 与各县台账。</p>",
        "<div class='cards'>"
        + "".join(f"<div class='card'>{k}<b>{v:,}</b></div>" for k, v in cards)
        + "</div>",
        *(
            [
                f"<p class='warn'>其中 {unplaced:,} 条待核实事项的儿童居住地不详，不属于任何县的台账："
                "请省级操作员在 review.parquet 中核实。</p>"
            ]
            if unplaced
            else []
        ),
        "<h2>一、各市（州）流动儿童与关爱等级</h2><div class='charts'>",
        bar_chart("各市（州）流动儿童（按关爱等级）", labels, series(CARE_SERIES), unit="人"),
        "</div><h2>二、疑似对象与紧急情况</h2><div class='charts'>",
        bar_chart("各市（州）疑似对象与紧急情况", labels, series(FLAG_SERIES), unit="人", grouped=True),
        "</div><h2>三、较上半年的变动</h2><div class='charts'>",
        bar_chart("各市（州）变动情况", labels, series(CHANGE_SERIES), unit="人"),
        "</div><h2>四、各部门数据质量</h2>",
    ]
    if quality.height:
        body.append("<div class='charts'>")
        body.append(
            bar_chart(
                "各部门入库与隔离行数",
                quality["title"].to_list(),
                [
                    Series("入库", [float(v) for v in quality["rows"].to_list()]),
                    Series("隔离", [float(v) for v in quality["quarantined"].to_list()]),
                ],
            )
        )
        body.append(
            "</div><table><tr>" + "".join(f"<th>{h}</th>" for h in QUALITY_COLUMNS.values()) + "</tr>"
        )
        for row in quality.iter_rows(named=True):  # one row per department
            body.append(
                "<tr>"
                + "".join(
                    f"<td class='n'>{v:,}</td>" if isinstance(v, int) else f"<td>{esc(str(v or ''))}</td>"
                    for v in row.values()
                )
                + "</tr>"
            )
        body.append("</table><p><a href='validation/index.html'>各部门数据校验报告</a></p>")
    else:
        body.append("<p class='muted'>本次没有数据校验结果。</p>")
    shown = [
        "county_name",
        "prefecture_name",
        "migrant_children",
        "new",
        "left",
        "suspected_orphan",
        "suspected_unsupported",
        "key_cases",
        "urgent",
        "review_items",
    ]
    names = {**LABEL_COLUMNS, **COUNT_COLUMNS}
    body.append(
        "<h2>五、各县（市、区）</h2><table><tr>" + "".join(f"<th>{names[c]}</th>" for c in shown) + "</tr>"
    )
    for row in (
        summary.filter((pl.col("migrant_children") > 0) | (pl.col("review_items") > 0))
        .select(shown)
        .iter_rows()
    ):  # ~60 counties
        body.append(
            "<tr>"
            + "".join(
                f"<td class='n'>{v:,}</td>" if isinstance(v, int) else f"<td>{esc(str(v or ''))}</td>"
                for v in row
            )
            + "</tr>"
        )
    body.append("</table>")
    return page(f"{period} 全省流动儿童台账汇总", "\n".join(body))
