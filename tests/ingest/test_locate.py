"""A liaison's row to fix names its sheet and the row Excel shows, for checks as for quarantined rows."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
import xlsxwriter

from taizhang import sealed
from taizhang.ingest import read_extracts
from taizhang.ingest.locate import locate_rows, segments_frame
from taizhang.stages import ingest, validate


def test_rows_are_located_on_their_sheet(extracts: Path) -> None:
    wb = xlsxwriter.Workbook(str(extracts / "school_enrollment_吉林.xlsx"))
    first = wb.add_worksheet("长春")
    first.write_row(0, 0, ["学生姓名", "身份证件号"])
    first.write_row(1, 0, ["张伟", "220102201309011235"])
    second = wb.add_worksheet("吉林")
    second.write_string(0, 0, "随迁子女名单")
    second.write_row(2, 0, ["姓名", "身份证号"])
    second.write_row(3, 0, ["李娜", "220203201410021236"])
    second.write_row(5, 0, ["王芳", "220203201511031237"])
    wb.close()
    result = read_extracts(extracts)
    rows = pl.DataFrame(
        {
            "file": ["school_enrollment_吉林.xlsx"] * 3 + ["school_enrollment.csv", "nowhere.csv"],
            "row_number": [3, 1, 2, 1, 1],
        }
    )
    located = locate_rows(rows, segments_frame(result.file_reports))
    assert located.rows() == [
        ("school_enrollment_吉林.xlsx", 3, "吉林", 5),
        ("school_enrollment_吉林.xlsx", 1, "长春", 2),
        ("school_enrollment_吉林.xlsx", 2, "吉林", 4),
        ("school_enrollment.csv", 1, None, 2),
        ("nowhere.csv", 1, None, None),
    ]


def test_the_fix_list_names_sheet_and_excel_row(extracts: Path, tmp_path: Path) -> None:
    wb = xlsxwriter.Workbook(str(extracts / "insurance_长春.xlsx"))
    ws = wb.add_worksheet("参保名单")
    ws.write_string(0, 0, "2026年参保儿童")
    ws.write_row(1, 0, ["姓名", "证件号码"])
    ws.write_row(2, 0, ["张伟", "220102201107071236"])
    ws.write_row(3, 0, ["李娜", "220102201107071299"])  # a wrong check digit: a check fails on it
    ws.write_row(4, 0, ["合计", "2人"])
    wb.close()
    (tmp_path / "ingest").mkdir()
    ingest(extracts, tmp_path / "ingest")
    validate(tmp_path / "ingest", tmp_path)
    # The stage keeps its copy of the reports sealed (the run publishes them in clear).
    attachment = sealed.read_bytes(tmp_path / "validation" / "insurance_待修正行.csv")
    table = pl.read_csv(io.BytesIO(attachment), infer_schema=False)
    ours = table.filter(pl.col("文件") == "insurance_长春.xlsx").select(
        "行号", "工作表", "Excel行号", "检查项"
    )
    # A failed check and the quarantined total row, each on its sheet and Excel row (header on row 2).
    assert ours.filter(~pl.col("检查项").str.starts_with("quarantine:")).height >= 1
    assert ("3", "参保名单", "5", "quarantine:total_row") in ours.rows()
    for number, sheet, excel_row, _ in ours.rows():
        assert (sheet, int(excel_row)) == ("参保名单", int(number) + 2)
