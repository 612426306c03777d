"""Push lists by hukou destination, and a province summary without personal information."""

from __future__ import annotations

import zipfile

import openpyxl
import polars as pl


def _ids(path) -> list[str]:
    ws = openpyxl.load_workbook(path).active
    headers = [c.value for c in ws[1]]
    col = headers.index("儿童编号")
    return sorted(row[col] for row in ws.iter_rows(min_row=2, values_only=True))


def test_push_lists_by_jilin_county_and_by_other_province(two_periods):
    out, _ = two_periods
    push = out / "push"
    assert sorted(p.name for p in push.iterdir()) == [
        "110000_北京市.xlsx",
        "210000_辽宁省.xlsx",
        "220102_南关区.xlsx",
    ]
    assert _ids(push / "210000_辽宁省.xlsx") == ["CA", "CB", "CE", "CF"]
    assert _ids(push / "110000_北京市.xlsx") == ["CH"]
    # 南关区 receives 周七, who lives in 延吉市 with hukou in 南关区.
    assert _ids(push / "220102_南关区.xlsx") == ["CG"]
    ws = openpyxl.load_workbook(push / "220102_南关区.xlsx").active
    headers = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    assert ws.cell(row=2, column=headers.index("现居住地") + 1).value == "吉林省延边朝鲜族自治州延吉市"


def test_province_summary_counts_per_county(two_periods):
    out, _ = two_periods
    summary = pl.read_parquet(out / "province_summary.parquet")
    nanguan = summary.filter(pl.col("county_code") == "220102").row(0, named=True)
    assert nanguan["county_name"] == "南关区"
    expected = {
        "migrant_children": 4,
        "new": 2,
        "status_changed": 1,
        "continuing": 1,
        "left": 1,
        "turned_16": 0,
        "suspected_unsupported": 1,
        "refer_orphan": 1,
        "key_cases": 2,
        "urgent": 1,
        "service_gap:未参保": 2,
        "service_gap:未入学": 1,
    }
    assert {k: nanguan[k] for k in expected} == expected
    kuancheng = summary.filter(pl.col("county_code") == "220103").row(0, named=True)
    assert (kuancheng["migrant_children"], kuancheng["turned_16"]) == (1, 1)
    # Every Jilin county is listed, with zeros where there is nobody.
    assert summary.filter(pl.col("county_code") == "220104")["migrant_children"].to_list() == [0]
    assert summary["migrant_children"].sum() == 7


def test_province_summary_holds_no_personal_information(fx, two_periods):
    out, _ = two_periods
    rows = fx.current_ledger_rows() + fx.previous_ledger_rows()
    secrets = {
        r[k] for r in rows for k in ("name", "id_number", "guardian_name", "guardian_phone", "child_id")
    }
    secrets.discard(None)
    summary = pl.read_parquet(out / "province_summary.parquet")
    personal = {"name", "id_number", "guardian_name", "guardian_phone", "child_id", "birth_date"}
    assert not personal & set(summary.columns)
    values = {str(v) for col in summary.iter_columns() for v in col.to_list()}
    with zipfile.ZipFile(out / "province_summary.xlsx") as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist()).decode("utf-8")
    for secret in secrets:
        assert secret not in values
        assert f">{secret}<" not in xml


def test_province_summary_has_excel_charts_a_prefecture_sheet_and_a_page(fx, two_periods):
    import openpyxl

    out, _ = two_periods
    with zipfile.ZipFile(out / "province_summary.xlsx") as zf:
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 3  # Excel's own charts: care levels, flags, changes per prefecture
    wb = openpyxl.load_workbook(out / "province_summary.xlsx")
    assert {"图表", "全省汇总", "按市州", "数据质量"} <= set(wb.sheetnames)
    rows = list(wb["按市州"].iter_rows(min_row=2, values_only=True))
    headers = [c.value for c in wb["按市州"][1]]
    children = headers.index("流动儿童")
    assert sum(r[children] for r in rows) == 7  # the prefectures add up to the province
    page = (out / "province_summary.html").read_text(encoding="utf-8")
    assert "全省流动儿童台账汇总" in page and page.count("<svg") >= 3
    rows = fx.current_ledger_rows()
    for secret in {r[k] for r in rows for k in ("name", "id_number", "guardian_phone", "child_id")} - {None}:
        assert secret not in page
