"""Rows as a person counts them, headers as departments write them, rows that hold no child.

Each test writes a file the way a department's system or a clerk does, and
checks what a liaison would see: which rows are staged under which row
number, and which are quarantined, on which sheet and Excel row, and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter

from taizhang.ingest import REASONS, read_extracts

from .conftest import write_csv


def _quarantine(result, source: str) -> list[tuple]:
    q = result.quarantine.filter(pl.col("source") == source).sort("row_number")
    return q.select("row_number", "reason_code", "sheet", "excel_row").rows()


def _report(result, file: str):
    return next(r for r in result.file_reports if r.file == file)


def test_csv_title_row_annotated_header_serial_column_and_a_column_named_twice(extracts: Path) -> None:
    write_csv(
        extracts / "insurance.csv",
        [
            "2026年上半年城乡居民医保参保儿童名单,,,,,",
            ",,,,,",
            "序号,姓 名*,证件号码（必填）,出生日期(年月日),姓名,性别",
            "1,张伟,220102201107071236,2011-07-07,张 伟,男",
            "2,李娜,220102201107071244,2011-07-07,,女",
        ],
    )
    result = read_extracts(extracts)
    staged = result.staged["insurance"]
    assert staged.select("row_number", "name", "id_number", "birth_date").rows() == [
        (1, "张伟", "220102201107071236", "2011-07-07"),
        (2, "李娜", "220102201107071244", "2011-07-07"),
    ]
    # 序号 and the second 姓名 are kept as unknown columns, no row lost for them.
    assert json.loads(staged["extra"][0]) == {"序号": "1", "姓名": "张 伟"}
    report = _report(result, "insurance.csv")
    assert report.unknown_headers == ["序号", "姓名"]
    assert report.error is None and result.quarantine.filter(pl.col("source") == "insurance").height == 0
    # The header is the file's third row: data row 1 is on row 4.
    assert [(s.sheet, s.first, s.last, s.offset) for s in report.row_segments] == [(None, 1, 2, 3)]


def test_every_sheet_with_the_header_is_data_whatever_variant_it_uses(extracts: Path) -> None:
    (extracts / "school_enrollment.csv").unlink()
    wb = openpyxl.Workbook()
    changchun = wb.active
    changchun.title = "长春市"
    changchun.append(["学生姓名", "身份证件号", "年级"])
    changchun.append(["张伟", "220102201309011235", "五年级"])
    notes = wb.create_sheet("填表说明")
    notes.append(["本表由教育厅导出，请勿修改表头。"])
    jilin = wb.create_sheet("吉林市")
    jilin["A1"] = "2026年上半年随迁子女名单"
    jilin.merge_cells("A1:D1")
    jilin.append(["序号", "身份证号", "姓名（学生）", "年级"])  # other variants, other order
    jilin.append([1, "220203201410021236", "李娜", "四年级"])
    jilin.append([])
    jilin.append([2, "220203201511031237", "王芳", "三年级"])
    wb.create_sheet("空表")
    wb.save(extracts / "school_enrollment.xlsx")

    result = read_extracts(extracts)
    staged = result.staged["school_enrollment"]
    assert staged.select("row_number", "name", "id_number").rows() == [
        (1, "张伟", "220102201309011235"),
        (2, "李娜", "220203201410021236"),
        (4, "王芳", "220203201511031237"),
    ]
    report = _report(result, "school_enrollment.xlsx")
    assert report.sheets == ["长春市", "吉林市"]
    assert report.sheets_ignored == ["填表说明", "空表"]
    assert _quarantine(result, "school_enrollment") == [(3, "empty_row", "吉林市", 4)]
    assert [(s.sheet, s.first, s.last, s.offset) for s in report.row_segments] == [
        ("长春市", 1, 1, 1),
        ("吉林市", 2, 4, 1),
    ]


def _workbook_with_errors(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名单")
    ws.write_row(0, 0, ["学生姓名", "身份证件号", "出生日期", "年级"])
    ws.write_row(1, 0, ["张伟", "220102201309011235", "2013-09-01", "五年级"])
    for col, (formula, value) in enumerate([("=NA()", "#N/A"), ("=#REF!", "#REF!"), ("=1/0", "#DIV/0!")]):
        ws.write_formula(2, col, formula, None, value)
    ws.write_row(3, 0, ["李娜", "220203201410021236"])
    ws.write_formula(3, 2, '=VALUE("x")', None, "#VALUE!")  # one error cell in a real record
    ws.write_row(4, 0, ["王芳", "220203201511031237", "2015-11-03", "三年级"])
    wb.close()


def test_excel_error_cells_are_error_values_and_an_error_row_is_counted(extracts: Path) -> None:
    (extracts / "school_enrollment.csv").unlink()
    _workbook_with_errors(extracts / "school_enrollment.xlsx")
    result = read_extracts(extracts)
    staged = result.staged["school_enrollment"]
    assert staged.select("row_number", "name", "birth_date").rows() == [
        (1, "张伟", "2013-09-01"),
        (3, "李娜", "#VALUE!"),
        (4, "王芳", "2015-11-03"),
    ]
    assert _quarantine(result, "school_enrollment") == [(2, "error_values", "名单", 3)]


def test_rows_that_hold_no_child_get_their_own_reasons(extracts: Path) -> None:
    write_csv(
        extracts / "vaccination.csv",
        [
            "序号,受种者姓名,身份证号,出生日期",
            "1,张伟,220102202301011234,2023-01-01",
            ",合计,共312人,",
            "3,,,",
            ",0,,",
            ",,,",
            "6,#N/A,#N/A,#N/A",
            "7,锟斤拷锟斤拷,????,",
            "8,？？？,,",
            "9,李娜,220102202302021234,2023-02-02",
            "小计：2,,,",
        ],
    )
    result = read_extracts(extracts)
    assert result.staged["vaccination"].select("row_number", "name").rows() == [(1, "张伟"), (9, "李娜")]
    codes = [(row, code) for row, code, *_ in _quarantine(result, "vaccination")]
    assert codes == [
        (2, "total_row"),
        (3, "serial_only"),
        (4, "serial_only"),
        (5, "empty_row"),
        (6, "error_values"),
        (7, "garbled_row"),
        (8, "garbled_row"),
        (10, "total_row"),
    ]
    assert _report(result, "vaccination.csv").quarantine_counts == {
        "empty_row": 1,
        "error_values": 1,
        "garbled_row": 2,
        "serial_only": 2,
        "total_row": 2,
    }
    for code in {c for _, c in codes}:
        assert REASONS[code]


def test_a_record_with_a_serial_number_or_mojibake_in_one_cell_is_still_a_child(extracts: Path) -> None:
    write_csv(
        extracts / "vaccination.csv",
        [
            "序号,受种者姓名,身份证号,出生日期",
            "1,锟斤拷,220102202301011234,2023-01-01",  # a garbled name, a good number: a child
            "2,张伟,,0",  # a name and a 0: a child with an odd birth date
        ],
    )
    result = read_extracts(extracts)
    assert result.staged["vaccination"]["row_number"].to_list() == [1, 2]


def test_no_header_anywhere_names_file_missing_columns_and_headers_found(extracts: Path) -> None:
    write_csv(
        extracts / "person_status.csv",
        ["人员名单,,", "身份证,类别,姓名", "220102198001011237,死亡,张伟"],
    )
    result = read_extracts(extracts)
    error = next(e for e in result.errors if e.file == "person_status.csv")
    assert error.code == "unmatched_headers"
    for message in (error.message_zh, error.message_en):
        assert "person_status.csv" in message
        assert "证件号码" in message and "状态类别" in message
        assert "身份证" in message and "类别" in message
        assert "220102198001011237" not in message and "张伟" not in message


def test_a_stray_quote_costs_its_row_and_a_quoted_line_break_is_one_row(extracts: Path) -> None:
    path = extracts / "person_status.csv"
    path.write_bytes(
        "\r\n".join(
            [
                "证件号码,状态类别,状态细项",
                '"220102198001011237,死亡,',  # a stray quote: the rest of the line is one open field
                "220102198102021238,重残,肢体残疾一级",
                '220102198203031239,服刑在押,"第一行',  # a field with a line break: one row
                '第二行"',
                "220102198304041230,失踪,",
                '220102198405051231,失联,"未闭合',  # the file ends inside an open quote
            ]
        ).encode()
    )
    result = read_extracts(extracts)
    staged = result.staged["person_status"]
    assert staged.select("row_number", "status", "status_detail").rows() == [
        (2, "重残", "肢体残疾一级"),
        (3, "服刑在押", "第一行\r\n第二行"),
        (4, "失踪", None),
    ]
    assert _quarantine(result, "person_status") == [(1, "bad_quote", None, 2), (5, "truncated_row", None, 6)]
