"""County workbooks: what a county director opens in Excel."""

from __future__ import annotations

import openpyxl
import polars as pl

from taizhang.emit import emit_period

SHEETS = ["流动儿童台账", "重点关爱", "紧急情况", "变动情况", "推送户籍地", "待核实", "初步筛查"]


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
        for ws in wb.worksheets:
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
