"""Header variants, row numbering, and every row quarantine code."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from taizhang.ingest import REASONS, read_extracts

from .conftest import write_csv


def _quarantine(result, source: str) -> list[tuple[int, str, str | None]]:
    q = result.quarantine.filter(pl.col("source") == source).sort("row_number")
    return q.select("row_number", "reason_code", "column").rows()


def test_header_decorations_and_aliases_map_to_contract_columns(extracts: Path) -> None:
    header = [
        " 居住证号 ",  # alias, surrounding spaces
        "\u3000姓名\u3000",  # ideographic spaces
        "身份证号码*",  # alias, trailing required marker
        "居住地区划代码＊",  # full-width star
        "户籍地代码（必填）",  # alias, full-width parens with 必填
        "监护人身份证号(*)",
        "来本地日期",
        "监护关系",
        "现住址",
    ]
    write_csv(
        extracts / "residence_permits.csv",
        [
            ",".join(header),
            "JZ001,张伟,220102201503151234,220102,220203,220102198001011237,2020-01-01,父亲,某街1号",
        ],
    )
    result = read_extracts(extracts)
    row = result.staged["residence_permits"].row(0, named=True)
    assert row["permit_no"] == "JZ001"
    assert row["name"] == "张伟"
    assert row["id_number"] == "220102201503151234"
    assert row["residence_code"] == "220102"
    assert row["hukou_code"] == "220203"
    assert row["guardian1_id"] == "220102198001011237"
    assert row["residence_start"] == "2020-01-01"
    assert row["guardian1_relation"] == "父亲"
    assert row["residence_address"] == "某街1号"
    # optional columns that are absent exist and are null
    assert row["issue_date"] is None and row["guardian1_phone"] is None
    report = next(r for r in result.file_reports if r.source == "residence_permits")
    assert "issue_date" in report.missing_columns
    assert report.unknown_headers == []


def test_unknown_columns_are_kept_as_json_in_extra(extracts: Path) -> None:
    write_csv(
        extracts / "insurance.csv",
        [
            "姓名,证件号码,录入人,数据来源",
            "张伟,220102201107071236,管理员,医保系统",
            "李娜,220102201107071244,,",
        ],
    )
    result = read_extracts(extracts)
    staged = result.staged["insurance"]
    assert json.loads(staged["extra"][0]) == {"录入人": "管理员", "数据来源": "医保系统"}
    assert staged["extra"][1] is None  # no unknown value on that row
    report = next(r for r in result.file_reports if r.source == "insurance")
    assert report.unknown_headers == ["录入人", "数据来源"]


def test_raw_text_is_kept_exactly(extracts: Path) -> None:
    write_csv(
        extracts / "insurance.csv",
        [
            "姓名,证件号码,出生日期",
            " 张 伟 ,２２０１０２２０１１０７０７１２３６,'220102",
            "李娜,2.20102201107071E+17,2011年7月7日",
        ],
    )
    staged = read_extracts(extracts).staged["insurance"]
    assert staged["name"].to_list() == [" 张 伟 ", "李娜"]
    assert staged["id_number"].to_list() == ["２２０１０２２０１１０７０７１２３６", "2.20102201107071E+17"]
    assert staged["birth_date"].to_list() == ["'220102", "2011年7月7日"]


def test_blank_lines_are_rows_counted_and_quarantined(extracts: Path) -> None:
    write_csv(
        extracts / "insurance.csv",
        [
            "姓名,证件号码,性别",
            "",
            "张伟,220102201107071236,男",
            "",
            "  ",
            ",,",
            "李娜,220102201107071244,女",
            "",
        ],
    )
    result = read_extracts(extracts)
    staged = result.staged["insurance"]
    # A person counts the blank rows: 李娜 is the sixth row below the header (Excel row 7).
    assert staged.select("row_number", "name").rows() == [(2, "张伟"), (6, "李娜")]
    q = result.quarantine.filter(pl.col("source") == "insurance").sort("row_number")
    assert q.select("row_number", "reason_code", "sheet", "excel_row").rows() == [
        (1, "empty_row", None, 2),
        (3, "empty_row", None, 4),
        (4, "empty_row", None, 5),
        (5, "empty_row", None, 6),
    ]
    report = next(r for r in result.file_reports if r.source == "insurance")
    # The empty line after the last row is no row.
    assert (report.rows_read, report.staged, report.quarantined) == (6, 2, 4)


def test_ragged_rows_are_quarantined_never_padded(extracts: Path) -> None:
    write_csv(
        extracts / "insurance.csv",
        [
            "姓名,证件号码,性别",
            "张伟,220102201107071236",
            "李娜,220102201107071244,女,多余",
            "王芳,220102201107071252,女",
        ],
    )
    result = read_extracts(extracts)
    assert result.staged["insurance"]["row_number"].to_list() == [3]
    assert _quarantine(result, "insurance") == [(1, "ragged_row", None), (2, "ragged_row", None)]


def test_no_identifier_when_every_identifying_column_is_empty_or_garbage(extracts: Path) -> None:
    # school_enrollment identifies by name, id_number and pupil_no
    write_csv(
        extracts / "school_enrollment.csv",
        [
            "学生姓名,身份证件号,全国学籍号,学校名称",
            "--,,？？,第一小学",  # punctuation only
            "\ufffd\ufffd, ,,第二小学",  # replacement characters and a space
            ",,G220102201309011235,第三小学",  # a pupil number alone is enough
            "无名,,,第四小学",  # letters are not garbage
        ],
    )
    result = read_extracts(extracts)
    assert result.staged["school_enrollment"]["row_number"].to_list() == [3, 4]
    assert _quarantine(result, "school_enrollment") == [
        (1, "no_identifier", None),
        (2, "no_identifier", None),
    ]


def test_missing_required_value_and_bad_status(extracts: Path) -> None:
    write_csv(
        extracts / "person_status.csv",
        [
            "证件号码,状态类别,状态细项",
            "220102198001011237, 死亡 ,",  # trimmed, allowed
            "220102198001011245,,",  # required value empty
            "220102198001011253,坐牢,",  # not in the list
            "220102198001011261,\u3000,",  # full-width space only: empty
            "220102198001011279,艾滋病病毒感染,",
        ],
    )
    result = read_extracts(extracts)
    staged = result.staged["person_status"]
    assert staged["row_number"].to_list() == [1, 5]
    assert staged["status"].to_list() == [" 死亡 ", "艾滋病病毒感染"]  # raw text; trimming is for the check
    assert _quarantine(result, "person_status") == [
        (2, "missing_required_value", "status"),
        (3, "bad_status", "status"),
        (4, "missing_required_value", "status"),
    ]


def test_every_quarantine_row_has_a_chinese_reason_and_no_cell_value(extracts: Path) -> None:
    write_csv(
        extracts / "person_status.csv",
        ["证件号码,状态类别", "220102198001011237,坐牢", ",死亡", "220102198001011245", ","],
    )
    q = read_extracts(extracts).quarantine
    assert set(q["reason_code"]) == {"bad_status", "no_identifier", "ragged_row", "empty_row"}
    for code, reason in q.select("reason_code", "reason").rows():
        assert reason == REASONS[code]
        assert "坐牢" not in reason and "2201" not in reason


def test_rows_read_equals_staged_plus_quarantined_for_every_file(extracts: Path) -> None:
    write_csv(
        extracts / "vaccination.csv",
        [
            "受种者姓名,出生日期,身份证号",
            "张伟,2023-01-01,",
            ",,",
            "李娜,2023-02-02",
            ",2023-03-03,",
            "王芳,2023-04-04,",
        ],
    )
    result = read_extracts(extracts)
    for report in result.file_reports:
        assert report.rows_read == report.staged + report.quarantined
        n_staged = result.staged[report.source].filter(pl.col("file") == report.file).height
        n_quarantined = result.quarantine.filter(pl.col("file") == report.file).height
        assert (n_staged, n_quarantined) == (report.staged, report.quarantined)
    vacc = next(r for r in result.file_reports if r.source == "vaccination")
    assert vacc.quarantine_counts == {"empty_row": 1, "no_identifier": 1, "ragged_row": 1}
