"""XLSX: sheets, header position, and cells shown as Excel shows them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from taizhang.ingest import read_extracts

from .conftest import write_xlsx

HEADER = ["学生姓名", "身份证件号", "出生日期", "学校所在地区划代码", "年级"]


def _school(folder: Path):
    result = read_extracts(folder)
    report = next(r for r in result.file_reports if r.source == "school_enrollment")
    return result, result.staged["school_enrollment"], report


def test_sheets_sharing_a_header_are_read_in_order_with_continuing_row_numbers(extracts: Path) -> None:
    write_xlsx(
        extracts / "school_enrollment.xlsx",
        {
            "长春": [HEADER, ["张伟", "220102201309011235", "2013-09-01", "220102", "五年级"]],
            "吉林": [  # the same header, decorated
                [" 学生姓名 ", "身份证件号*", "出生日期", "学校所在地区划代码", "年级"],
                ["李娜", "220203201410021236", "2014-10-02", "220203", "四年级"],
                ["王芳", "220203201511031237", "2015-11-03", "220203", "三年级"],
            ],
            "说明": [["填表说明"], ["本表由教育厅导出"]],  # another header: ignored
        },
    )
    (extracts / "school_enrollment.csv").unlink()
    _, staged, report = _school(extracts)
    assert staged.select("row_number", "name").rows() == [(1, "张伟"), (2, "李娜"), (3, "王芳")]
    assert report.sheets == ["长春", "吉林"]
    assert report.sheets_ignored == ["说明"]
    assert (report.rows_read, report.staged) == (3, 3)


def test_only_first_sheet_when_the_second_has_another_header(extracts: Path) -> None:
    write_xlsx(
        extracts / "school_enrollment.xlsx",
        {
            "名单": [HEADER, ["张伟", "220102201309011235", "2013-09-01", "220102", "五年级"]],
            "统计": [["学校名称", "人数"], ["第一小学", 3]],
        },
    )
    (extracts / "school_enrollment.csv").unlink()
    _, staged, report = _school(extracts)
    assert staged["name"].to_list() == ["张伟"]
    assert report.sheets == ["名单"] and report.sheets_ignored == ["统计"]


def test_rows_above_the_header_are_skipped_and_empty_rows_are_counted(extracts: Path) -> None:
    rows = [
        [None],
        HEADER,
        ["张伟", "220102201309011235", "2013-09-01", "220102", "五年级"],
        [None],  # a row with no cell at all
        [" ", None, "  "],  # cells of spaces
        ["李娜", "220203201410021236", "2014-10-02", "220203", "四年级"],
    ]
    write_xlsx(extracts / "school_enrollment.xlsx", {"Sheet1": rows}, start_row=2)
    (extracts / "school_enrollment.csv").unlink()
    result, staged, report = _school(extracts)
    assert staged.select("row_number", "name").rows() == [(1, "张伟"), (4, "李娜")]
    q = result.quarantine.filter(pl.col("source") == "school_enrollment")
    # The header is on Excel row 4: data row k is on Excel row 4 + k.
    assert q.select("row_number", "reason_code", "sheet", "excel_row").rows() == [
        (2, "empty_row", "Sheet1", 6),
        (3, "empty_row", "Sheet1", 7),
    ]
    assert [(s.sheet, s.first, s.last, s.offset) for s in report.row_segments] == [("Sheet1", 1, 4, 4)]


def test_excel_numbers_and_dates_come_through_as_the_text_excel_shows(extracts: Path) -> None:
    write_xlsx(
        extracts / "school_enrollment.xlsx",
        {
            "Sheet1": [
                HEADER,
                # an identity number typed as a number: Excel keeps 15 significant digits
                ["张伟", 2.20102201503151e17, datetime(2015, 3, 15), 220102.0, 5],
                # text that looks like a number stays text, even when a double holds it exactly
                ["李娜", "220102201503151008", "2015/3/15", "220102", "5"],
                # full-width digits and an Excel serial day number typed as text
                ["王芳", "２２０１０２２０１５０３１５１２３４", "42078", "２２０１０２", "五年级"],
                ["赵敏", 220102150315123.0, 42078, 220102, 3.5],
            ]
        },
    )
    (extracts / "school_enrollment.csv").unlink()
    _, staged, _ = _school(extracts)
    rows = staged.select("id_number", "birth_date", "school_code", "grade").rows()
    assert rows[0] == ("2.20102201503151e+17", "2015-03-15", "220102", "5")
    assert rows[1] == ("220102201503151008", "2015/3/15", "220102", "5")
    assert rows[2] == ("２２０１０２２０１５０３１５１２３４", "42078", "２２０１０２", "五年级")
    assert rows[3] == ("220102150315123", "42078", "220102", "3.5")


def test_truncated_workbook_is_a_file_error(extracts: Path) -> None:
    path = write_xlsx(extracts / "school_enrollment_吉林.xlsx", {"Sheet1": [HEADER, ["张伟"] + [""] * 4]})
    path.write_bytes(path.read_bytes()[:400])
    result = read_extracts(extracts)
    errors = [e for e in result.errors if e.file == "school_enrollment_吉林.xlsx"]
    assert [e.code for e in errors] == ["corrupt_xlsx"]
    assert result.staged["school_enrollment"].height == 1  # the csv of the same source is still read


def test_non_workbook_named_xlsx_is_not_a_workbook(extracts: Path) -> None:
    (extracts / "school_enrollment_长春.xlsx").write_bytes("学生姓名,身份证件号\n张伟,1\n".encode())
    result = read_extracts(extracts)
    assert [e.code for e in result.errors if e.file == "school_enrollment_长春.xlsx"] == ["not_a_workbook"]


def test_workbook_with_only_a_header_is_empty(extracts: Path) -> None:
    write_xlsx(extracts / "school_enrollment_空.xlsx", {"Sheet1": [HEADER]})
    result = read_extracts(extracts)
    assert [e.code for e in result.errors if e.file == "school_enrollment_空.xlsx"] == ["empty_file"]
