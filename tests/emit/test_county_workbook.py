"""County workbooks: what a county director opens in Excel."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import openpyxl
import polars as pl

from taizhang.emit import emit_period

SHEETS = ["流动儿童台账", "重点关爱", "紧急情况", "变动情况", "推送户籍地", "待核实", "初步筛查", "登记表"]
TABLES = SHEETS[:-1]


def _column(ws, header: str) -> list:
    headers = [c.value for c in ws[1]]
    idx = headers.index(header) + 1
    return [ws.cell(row=r, column=idx) for r in range(2, ws.max_row + 1)]


def _ids(ws) -> list[str]:
    return [c.value for c in _column(ws, "儿童编号")]


def test_one_workbook_per_county_named_by_code_and_name(two_periods):
    out, _ = two_periods
    names = sorted(p.name for p in (out / "counties").iterdir())
    assert names == ["220102_南关区.xlsx", "220103_宽城区.xlsx", "222401_延吉市.xlsx", "229999.xlsx"]


def test_each_workbook_holds_only_its_county_with_text_ids_frozen_headers_and_filters(two_periods):
    out, _ = two_periods
    ledger = pl.read_parquet(out / "ledger.parquet")
    for path in sorted((out / "counties").iterdir()):
        code = path.name[:6]
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == SHEETS
        for ws in (wb[name] for name in TABLES):
            assert ws.freeze_panes == "A2"
            assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A1:")
        main = wb["流动儿童台账"]
        expected = ledger.filter(pl.col("residence_county") == code)["child_id"].sort().to_list()
        assert sorted(_ids(main)) == expected
        for cell in _column(main, "公民身份号码"):
            if cell.value is not None:
                assert cell.data_type == "s" and len(cell.value) == 18
            assert cell.number_format == "@"
        for cell in _column(main, "出生日期"):
            assert cell.is_date


def test_key_urgent_change_push_and_review_sheets_of_nanguan(two_periods):
    out, _ = two_periods
    wb = openpyxl.load_workbook(out / "counties" / "220102_南关区.xlsx")
    assert sorted(_ids(wb["重点关爱"])) == ["CB", "CF"]
    assert _ids(wb["紧急情况"]) == ["CF"]
    assert [c.value for c in _column(wb["紧急情况"], "监护人")] == ["监护人CF（母亲）"]
    changes = {
        (c.value, k.value)
        for c, k in zip(_column(wb["变动情况"], "儿童编号"), _column(wb["变动情况"], "变动情况"), strict=True)
    }
    assert changes == {("CF", "新增"), ("CI", "新增"), ("CB", "状态变化"), ("CC", "离开"), ("CE", "迁出")}
    # CI has no known hukou, so it cannot be pushed anywhere.
    assert sorted(_ids(wb["推送户籍地"])) == ["CA", "CB", "CF"]
    assert _ids(wb["待核实"]) == ["CI"]
    kuancheng = openpyxl.load_workbook(out / "counties" / "220103_宽城区.xlsx")
    kinds = {c.value for c in _column(kuancheng["变动情况"], "变动情况")}
    assert kinds == {"满16周岁", "迁入"}


def test_text_that_looks_like_a_formula_or_number_stays_text(tmp_path, fx):
    rows = fx.current_ledger_rows()
    rows[0] = {**rows[0], "name": "=HYPERLINK(1)", "guardian_phone": "+86 138 0000 0000", "id_number": None}
    emit_period(fx.decisions_for(rows), tmp_path, fx.CURRENT, None, counties=None)
    ws = openpyxl.load_workbook(tmp_path / "counties" / "220102_南关区.xlsx")["流动儿童台账"]
    names = _column(ws, "姓名")
    target = next(c for c in names if c.value == "=HYPERLINK(1)")
    assert target.data_type == "s"
    phones = [c for c in _column(ws, "联系电话") if c.value == "+86 138 0000 0000"]
    assert phones and all(c.data_type == "s" for c in phones)


def test_identity_column_is_wide_enough_to_read_18_characters(two_periods):
    out, _ = two_periods
    ws = openpyxl.load_workbook(out / "counties" / "220102_南关区.xlsx")["流动儿童台账"]
    headers = [c.value for c in ws[1]]
    letter = openpyxl.utils.get_column_letter(headers.index("公民身份号码") + 1)
    assert ws.column_dimensions[letter].width >= 18


def test_full_run_removes_workbooks_of_counties_without_children(tmp_path, fx):
    rows = fx.current_ledger_rows()
    emit_period(fx.decisions_for(rows), tmp_path, fx.CURRENT, None)
    assert (tmp_path / "counties" / "222401_延吉市.xlsx").exists()
    assert (tmp_path / "push" / "220102_南关区.xlsx").exists()
    without_yanji = [r for r in rows if r["residence_county"] != "222401"]
    emit_period(fx.decisions_for(without_yanji), tmp_path, fx.CURRENT, None)
    assert not (tmp_path / "counties" / "222401_延吉市.xlsx").exists()
    # 周七 of 延吉市 was the only child with hukou in 南关区.
    assert not (tmp_path / "push" / "220102_南关区.xlsx").exists()
    assert (tmp_path / "counties" / "220102_南关区.xlsx").exists()


def _rows(ws, header_row: int = 1) -> list[dict]:
    headers = [c.value for c in ws[header_row]]
    return [
        dict(zip(headers, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=header_row + 1)
    ]


def test_review_items_reach_the_county_the_child_lives_in_even_outside_the_ledger(tmp_path, fx):
    """A child whose hukou is unknown is not in the ledger, but its county must still check it."""
    import dataclasses

    decisions = fx.decisions_for(fx.current_ledger_rows())
    outside = pl.DataFrame(
        {
            "child_id": ["CX"],
            "reason_code": ["hukou_unknown"],
            "reason": ["户籍地不明，无法判断是否跨县域流动"],
            "evidence": [
                '{"records":[{"source":"insurance","file":"insurance.csv","row_number":7}],"events":[]}'
            ],
        }
    )
    profiles = pl.DataFrame(
        {
            "child_id": ["CX"],
            "name": ["钱十"],
            "birth_date": [date(2018, 3, 1)],
            "residence_county": ["220103"],
        }
    )
    review = pl.concat([decisions.review, outside], how="diagonal")
    decisions = SimpleNamespace(**dataclasses.asdict(decisions) | {"review": review, "profiles": profiles})
    emit_period(decisions, tmp_path, fx.CURRENT, None)
    in_sheets = []
    for path in sorted((tmp_path / "counties").iterdir()):
        in_sheets += [(path.name[:6], r["儿童编号"]) for r in _rows(openpyxl.load_workbook(path)["待核实"])]
    province = pl.read_parquet(tmp_path / "review.parquet")
    assert len(in_sheets) == province.height  # every review row with a county is in its county's sheet
    assert ("220103", "CX") in in_sheets
    summary = pl.read_parquet(tmp_path / "province_summary.parquet")
    assert summary["review_items"].sum() == province.height  # every item is counted where it belongs
    assert summary.filter(pl.col("county_code") == "220103")["review_items"].to_list() == [1]
    row = next(
        r for r in _rows(openpyxl.load_workbook(tmp_path / "counties" / "220103_宽城区.xlsx")["待核实"])
    )
    assert row["姓名"] == "钱十" and row["问题类别"] == "户籍地不明"
    assert row["依据（来源文件与行号）"] == "城乡居民医保参保儿童 insurance.csv 第 7 行"


def test_no_english_code_is_visible_anywhere_in_a_county_workbook(two_periods):
    import re

    out, _ = two_periods
    code_like = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^[a-z]{3,}$")
    for path in sorted((out / "counties").iterdir()):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            assert re.search(r"[\u4e00-\u9fff]", ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert not code_like.match(cell.value), (path.name, ws.title, cell.coordinate)
    review = _rows(openpyxl.load_workbook(out / "counties" / "220102_南关区.xlsx")["待核实"])
    assert [r["问题类别"] for r in review] == ["户籍地不明"]


def test_registration_form_sheet_groups_fields_like_the_paper_form_and_prints_on_a4(two_periods):
    out, _ = two_periods
    wb = openpyxl.load_workbook(out / "counties" / "220102_南关区.xlsx")
    ws = wb["登记表"]
    assert ws["A1"].value.startswith("吉林省流动儿童基本情况登记表")
    groups = [c.value for c in ws[2] if c.value]
    assert groups == [
        "序号",
        "基本信息",
        "就学情况",
        "居住证",
        "健康管理",
        "预防接种",
        "医疗保险",
        "残疾与康复",
        "监护与生活状况",
        "编号",
    ]
    rows = _rows(ws, header_row=3)
    main = _rows(wb["流动儿童台账"])
    assert sorted(r["儿童编号"] for r in rows) == sorted(r["儿童编号"] for r in main)
    assert {"监护情况", "生活状况", "走访人", "走访日期"} <= set(rows[0])
    for sheet in wb.worksheets:
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows is not None
    assert ws.print_title_rows == "$1:$3"


def test_a_county_rerun_writes_no_new_empty_workbook(tmp_path, fx):
    rows = fx.current_ledger_rows()
    emit_period(fx.decisions_for(rows), tmp_path, fx.CURRENT, None)
    before = sorted(p.name for p in (tmp_path / "counties").iterdir())
    report = emit_period(fx.decisions_for(rows), tmp_path, fx.CURRENT, None, counties=["220104"])
    assert sorted(p.name for p in (tmp_path / "counties").iterdir()) == before
    assert report["county_workbooks_written"] == 0


def test_every_service_gap_has_its_field_on_the_registration_form():
    from taizhang.emit.registration_form import _GAP_FIELDS
    from taizhang.rules.service_gaps import GAP_ORDER

    named = [g for gaps in _GAP_FIELDS.values() for g in gaps]
    assert sorted(named) == sorted(GAP_ORDER)
