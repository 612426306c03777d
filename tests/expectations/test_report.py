"""Liaison reports: counts and row numbers to fix, never a cell value, never the sensitive status."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

NAMES = ("王小明", "李娜娜", "金顺姬")
PHONE = "13900001111"


@pytest.fixture(scope="module")
def reports(contracts, make_staged, ids, tmp_path_factory) -> tuple[Path, dict]:
    from expectations.report import write_reports
    from expectations.validate import validate_source

    valid_id, bad_check_id = ids
    child_id = valid_id("22010220150315123")
    wrong_id = bad_check_id("22010220160101456")
    parent_id = valid_id("22010219850101777")
    ins = contracts["insurance"]
    rows = [
        {
            "file": "insurance.csv",
            "row_number": n,
            "name": NAMES[n % 3],
            "id_number": child_id,
            "sex": "1",
            "birth_date": "20140611",
            "insured_division": "南关区",
            "insurance_status": "参保缴费",
            "insurance_year": "2026",
            "remote_care": "否",
        }
        for n in range(1, 51)
    ]
    for row in rows[:40]:  # rows 1..40: wrong check digit, more than the page shows
        row["id_number"] = wrong_id
    rows[44]["insurance_status"] = "断缴"  # row 45
    insurance = validate_source(ins, make_staged(ins, rows), today=date(2026, 6, 30))

    ps = contracts["person_status"]
    status_rows = [
        {
            "file": "person_status.csv",
            "row_number": 1,
            "id_number": parent_id,
            "name": "赵大海",
            "status": "艾滋病病毒感染",
        },
        {
            "file": "person_status.csv",
            "row_number": 2,
            "id_number": parent_id,
            "name": "赵大海",
            "status": "服刑在押",
            "start_date": "2099-01-01",
        },
    ]
    person_status = validate_source(ps, make_staged(ps, status_rows), today=date(2026, 6, 30))

    file_reports = [
        {
            "source": "insurance",
            "file": "insurance.csv",
            "encoding": "utf-8",
            "rows_read": 52,
            "staged": 50,
            "quarantined": 2,
            "unknown_headers": ["备用列"],
        },
        {
            "source": "insurance",
            "file": "insurance_old.xlsx",
            "error": {
                "code": "truncated_xlsx",
                "message_zh": "文件不完整，无法打开",
                "message_en": "truncated xlsx",
            },
        },
        {
            "source": "person_status",
            "file": "person_status.csv",
            "encoding": "utf-8",
            "rows_read": 3,
            "staged": 2,
            "quarantined": 1,
        },
        {
            "source": "school_enrollment",
            "file": "school_enrollment.xlsx",
            "sheets": ["长春", "吉林"],
            "rows_read": 0,
            "staged": 0,
            "quarantined": 0,
        },
    ]
    quarantine = pl.DataFrame(
        {
            "source": ["insurance", "insurance", "person_status"],
            "file": ["insurance.csv", "insurance.csv", "person_status.csv"],
            "row_number": [51, 52, 3],
            "reason_code": ["ragged_row", "missing_required_value", "bad_status"],
            "reason": ["字段数与表头不一致", "必填项为空", "状态类别不在规定范围内"],
            "column": [None, "name", "status"],
        }
    )
    out = tmp_path_factory.mktemp("out")
    written = write_reports([insurance, person_status], file_reports, quarantine, out)
    secrets = {*NAMES, "赵大海", child_id, wrong_id, parent_id, PHONE, "断缴", "2099-01-01", "20140611"}
    inputs = ([insurance, person_status], file_reports, quarantine)
    return out / "validation", {"written": written, "secrets": secrets, "inputs": inputs}


def _read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8-sig")


def test_one_page_attachment_and_summary_per_source(reports):
    folder, info = reports
    names = sorted(p.name for p in info["written"])
    assert names == sorted(
        [
            "index.html",
            "summary.json",
            "insurance.html",
            "insurance_待修正行.csv",
            "insurance_摘要.md",
            "person_status.html",
            "person_status_待修正行.csv",
            "person_status_摘要.md",
            "school_enrollment.html",
            "school_enrollment_待修正行.csv",
            "school_enrollment_摘要.md",
        ]
    )
    assert all(p.parent == folder for p in info["written"])


def test_page_shows_files_errors_quarantine_and_findings(reports):
    folder, _ = reports
    page = _read(folder, "insurance.html")
    assert "医保局" in page and "insurance.csv" in page and "utf-8" in page and "备用列" in page
    assert "insurance_old.xlsx" in page and "truncated_xlsx" in page and "文件不完整，无法打开" in page
    assert "字段数与表头不一致" in page and "第 51 行" in page and "第 52 行" in page
    assert "证件号码：40 行（80.0%）校验位错误，见附件" in page
    # 40 rows fail; the page lists the first 30 and counts the rest.
    assert "第 1、2、3、" in page and "30 行，及另外 10 行" in page
    assert "参保状态：1 行（2.0%）取值不在规定范围内" in page and "第 45 行" in page
    assert "insurance_待修正行.csv" in page


def test_attachment_lists_every_row_to_fix(reports):
    folder, _ = reports
    table = pl.read_csv(folder / "insurance_待修正行.csv", schema_overrides={"行号": pl.Int64})
    assert table.columns == ["文件", "工作表", "Excel行号", "行号", "列名", "表头", "问题", "检查项"]
    check_digit = table.filter(pl.col("检查项") == "id_check_digit")
    assert check_digit["行号"].to_list() == list(range(1, 41))
    assert set(table.filter(pl.col("检查项").str.starts_with("quarantine:"))["行号"]) == {51, 52}
    assert table.filter(pl.col("行号") == 45)["表头"].to_list() == ["参保状态"]


def test_summary_is_short_and_counts(reports):
    folder, _ = reports
    summary = _read(folder, "insurance_摘要.md")
    assert "入库行数：50" in summary and "隔离行数：2" in summary
    assert "证件号码：40 行（80.0%）校验位错误，见附件" in summary
    assert len(summary.splitlines()) < 60


def test_a_source_without_data_still_gets_a_page(reports):
    folder, _ = reports
    page = _read(folder, "school_enrollment.html")
    assert "工作表：长春、吉林" in page and "没有可校验的数据" in page


def test_index_links_every_source_with_counts_only(reports):
    folder, info = reports
    index = _read(folder, "index.html")
    for source in ("insurance", "person_status", "school_enrollment"):
        assert f"href='{source}.html'" in index
    for secret in info["secrets"]:
        assert secret not in index


def test_no_cell_value_in_any_report_file(reports):
    _folder, info = reports
    for path in info["written"]:
        text = path.read_text(encoding="utf-8-sig")
        for secret in info["secrets"]:
            assert secret not in text, (path.name, "a cell value leaked")


def test_sensitive_status_never_appears(reports):
    folder, _info = reports
    for path in folder.iterdir():
        assert "艾滋病病毒感染" not in path.read_text(encoding="utf-8-sig"), path.name
    assert "特殊疾病（已脱敏）" in _read(folder, "person_status.html")  # the check is still described


def test_reports_are_deterministic(reports, tmp_path):
    from expectations.report import write_reports

    _folder, info = reports
    again = write_reports(*info["inputs"], tmp_path)
    assert [p.name for p in again] == [p.name for p in info["written"]]
    for first, second in zip(info["written"], again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_no_inputs_still_give_an_index(tmp_path):
    from expectations.report import write_reports

    folder = tmp_path / "validation"
    assert write_reports([], [], None, tmp_path) == [folder / "index.html", folder / "summary.json"]


def test_reads_the_ingest_file_report_classes(tmp_path):
    from expectations.report import write_reports
    from taizhang.ingest.results import FileError, FileReport

    error = FileError(
        "corrupt_xlsx", "field_visits_白山.xlsx", "field_visits", "文件 field_visits_白山.xlsx：无法打开", "x"
    )
    reports = [
        FileReport(
            "field_visits", "field_visits_长春.xlsx", "xlsx", sheets=["一月", "二月"], rows_read=9, staged=9
        ),
        FileReport("field_visits", "field_visits_白山.xlsx", "xlsx", error=error),
        error,  # the same error also arrives in IngestResult.errors: shown once
    ]
    write_reports([], reports, None, tmp_path)
    page = (tmp_path / "validation" / "field_visits.html").read_text(encoding="utf-8")
    assert "工作表：一月、二月" in page and "field_visits_长春.xlsx" in page
    assert page.count("corrupt_xlsx") == 1
    summary = (tmp_path / "validation" / "field_visits_摘要.md").read_text(encoding="utf-8")
    assert "收到文件：1 个" in summary


def test_a_source_with_an_unreadable_file_is_failed_on_its_page_and_the_index(reports):
    from expectations.report import unreadable_files

    folder, _info = reports
    page = _read(folder, "insurance.html")
    assert "data-status='unreadable'" in page and "文件无法读取" in page
    assert "insurance_old.xlsx：文件不完整，无法打开" in page
    index = _read(folder, "index.html")
    row = next(line for line in index.splitlines() if "href='insurance.html'" in line)
    assert "data-status='unreadable'" in row
    # a file read with a header and no usable row is as unreadable as a broken one
    school = _read(folder, "school_enrollment.html")
    assert "data-status='unreadable'" in school and "没有可读取的数据行" in school
    assert {(u["source"], u["file"]) for u in unreadable_files(folder)} == {
        ("insurance", "insurance_old.xlsx"),
        ("school_enrollment", "school_enrollment.xlsx"),
    }
    assert "所有检查均通过" not in school


def test_index_and_page_count_the_same_rows_to_fix(reports):
    folder, _info = reports
    table = pl.read_csv(folder / "insurance_待修正行.csv", infer_schema_length=0)
    distinct = table.select(pl.struct("文件", "行号").n_unique()).item()
    page = _read(folder, "insurance.html")
    assert f"待修正行<b>{distinct:,}</b>" in page
    index = _read(folder, "index.html")
    row = next(line for line in index.splitlines() if "href='insurance.html'" in line)
    assert row.endswith(f"<td class='n'>{distinct:,}</td></tr>")


def test_pages_show_thresholds_charts_and_the_date_bound(reports):
    folder, _info = reports
    page = _read(folder, "insurance.html")
    assert "至少 98% 符合要求" in page  # the check digit's threshold, beside the check
    assert page.count("<figure class='chart") >= 3 and "<svg" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # nothing from the network
    status = _read(folder, "person_status.html")
    assert "日期界限：不晚于 2026-06-30（校验当天）" in status


def test_fix_list_names_sheet_and_excel_row_when_ingest_gives_them(contracts, tmp_path):
    from expectations.report import write_reports

    quarantine = pl.DataFrame(
        {
            "source": ["field_visits"],
            "file": ["field_visits_长春.xlsx"],
            "row_number": [12],
            "reason_code": ["empty_row"],
            "reason": ["该行所有字段均为空。"],
            "column": [None],
            "sheet": ["二月"],
            "excel_row": [5],
        }
    )
    report = {"source": "field_visits", "file": "field_visits_长春.xlsx", "rows_read": 20, "staged": 19}
    write_reports([], [report], quarantine, tmp_path)
    table = pl.read_csv(tmp_path / "validation" / "field_visits_待修正行.csv", infer_schema_length=0)
    assert table.select("文件", "工作表", "Excel行号", "行号").row(0) == (
        "field_visits_长春.xlsx",
        "二月",
        "5",
        "12",
    )
    page = (tmp_path / "validation" / "field_visits.html").read_text(encoding="utf-8")
    assert "<td>二月</td><td class='n'>5</td><td class='n'>12</td>" in page
