"""The column-wise sheet rows must be the bytes xlsxwriter writes cell by cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from taizhang.emit import sheet_rows, sheets
from taizhang.period import Period

PERIOD = Period.parse("2026H1")


def _workbook(path: Path, frame: pl.DataFrame, fast: bool, monkeypatch: pytest.MonkeyPatch) -> bytes:
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(sheets, "write_rows", lambda *a, **k: False)
        wb = sheets.new_workbook(path, PERIOD, "测试")
        sheets.add_table_sheet(wb, "台账", frame, ("公民身份号码",))
        sheets.add_table_sheet(wb, "空表", frame.clear(), ("公民身份号码",))
        wb.close()
    return path.read_bytes()


def test_column_wise_rows_equal_cell_by_cell(tmp_path, monkeypatch):
    frame = pl.DataFrame(
        {
            "姓名": ["张三", " 李四", "王五 ", "A&B<C>&lt;>", "", None, "赵\u3000", 'say "hi"\n'],
            "公民身份号码": ["22010220150315123X", None, "0123", "x", "y", "z", "w", "v"],
            "出生日期": [date(2015, 3, 15), None, date(1900, 3, 1), date(2026, 6, 30)] * 2,
            "疑似孤儿": [True, False, None, True, False, None, True, False],
            "年龄": [10, None, 0, -3, 15, 1, 2, 3],
        }
    )
    built = []
    real = sheet_rows.rows_xml
    monkeypatch.setattr(sheet_rows, "rows_xml", lambda *a: built.append(1) or real(*a))
    fast = _workbook(tmp_path / "fast.xlsx", frame, True, monkeypatch)
    assert built, "the column-wise path was not taken"
    slow = _workbook(tmp_path / "slow.xlsx", frame, False, monkeypatch)
    assert fast == slow
    built.clear()
    monkeypatch.setattr(sheet_rows, "ROWS_PER_PIECE", 3)  # the rows made three at a time
    assert _workbook(tmp_path / "pieces.xlsx", frame, True, monkeypatch) == slow
    assert len(built) == 3


def test_values_xlsxwriter_must_escape_fall_back_to_cell_by_cell(tmp_path, monkeypatch):
    frame = pl.DataFrame({"备注": ["bell\x07", "_x0041_ literal", "plain"], "分数": [0.5, 1.0, 2.25]})
    columns = [(0, frame["备注"], None, "text")]
    assert not sheet_rows.plain_columns(columns)
    fast = _workbook(tmp_path / "fast.xlsx", frame, True, monkeypatch)
    slow = _workbook(tmp_path / "slow.xlsx", frame, False, monkeypatch)
    assert fast == slow


def test_form_sheet_rows_under_taller_header_rows_equal_cell_by_cell(tmp_path, monkeypatch):
    groups = (("基本信息", ("姓名", "出生日期")), ("编号", ("儿童编号",)), ("走访", ("走访人",)))
    frame = pl.DataFrame(
        {
            "姓名": ["张三", " 李四", "A&B<C>", None],
            "出生日期": [date(2015, 3, 15), None, date(2020, 1, 2), date(2011, 12, 31)],
            "儿童编号": ["C0001", "C0002", None, "C0004"],
            "走访人": pl.Series([None] * 4, dtype=pl.Utf8),
        }
    )

    def form(path: Path, fast: bool) -> bytes:
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(sheets, "write_rows", lambda *a, **k: False)
            wb = sheets.new_workbook(path, PERIOD, "测试")
            sheets.add_form_sheet(wb, "登记表", "登记表（测试）", groups, frame, ("儿童编号",))
            wb.close()
        return path.read_bytes()

    built = []
    real = sheet_rows.rows_xml
    monkeypatch.setattr(sheet_rows, "rows_xml", lambda *a: built.append(a[2]) or real(*a))
    fast = form(tmp_path / "fast.xlsx", True)
    assert built == [sheets.FORM_HEADER_ROWS], "the form's data rows did not take the column-wise path"
    assert fast == form(tmp_path / "slow.xlsx", False)


def test_sheets_cut_from_the_province_equal_each_county_made_alone():
    frame = pl.DataFrame(
        {
            "county": ["220102", "220103", "220102", "220102", "220103"],
            "姓名": ["张三", "欧阳李四李四李四", "王五", None, "bell\x07"],
            "出生日期": [date(2015, 3, 15), None, date(2020, 1, 2), date(2011, 12, 31), date(2012, 2, 2)],
            "疑似孤儿": [True, None, False, True, False],
        }
    )
    with pytest.raises(ValueError, match="not together"):
        sheets.sheet_values_by(frame, "county")
    frame = frame.sort("county", maintain_order=True)
    by_county, empty = sheets.sheet_values_by(frame, "county")
    assert sorted(by_county) == ["220102", "220103"]
    for code, sheet in by_county.items():
        alone = sheets.sheet_values(frame.filter(pl.col("county") == code).drop("county"))
        assert sheet.values.equals(alone.values)
        assert (sheet.widths, sheet.plain, sheet.schema) == (alone.widths, alone.plain, alone.schema)
    assert by_county["220102"].values["序号"].to_list() == [1, 2, 3]
    assert by_county["220102"].values["疑似孤儿"].to_list() == ["是", "否", "是"]
    assert by_county["220102"].plain and not by_county["220103"].plain  # a bell needs xlsxwriter
    assert by_county["220103"].widths[1] > by_county["220102"].widths[1]
    assert empty.height == 0 and empty.values.columns == by_county["220102"].values.columns
    assert empty.widths == [len(c) * 2 + 2 for c in empty.values.columns]
