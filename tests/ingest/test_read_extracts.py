"""Folder-level behaviour: discovery, file-level errors, staging into DuckDB, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from data_contracts import load_contracts
from taizhang.ingest import FILE_ERROR_CODES, read_extracts, stage_to_duckdb

from .conftest import write_csv, write_minimal


def _codes(result) -> list[tuple[str, str | None, str | None]]:
    return sorted((e.code, e.source, e.file) for e in result.errors)


def test_complete_folder_reads_without_errors_and_every_source_has_a_frame(extracts: Path) -> None:
    result = read_extracts(extracts)
    assert result.errors == []  # field_visits is optional
    assert set(result.staged) == set(load_contracts())
    assert result.staged["field_visits"].height == 0
    for source, frame in result.staged.items():
        contract = load_contracts()[source]
        assert frame.columns == ["source", "file", "row_number", *contract.column_names, "extra"]
        assert all(dtype == pl.String for name, dtype in frame.schema.items() if name != "row_number")
        assert frame.schema["row_number"] == pl.Int64


def test_several_files_per_source_keep_their_own_row_numbers(extracts: Path) -> None:
    write_csv(
        extracts / "insurance_长春.csv",
        ["姓名,证件号码", "张伟,220102201107071236", "李娜,220102201107071244"],
    )
    write_csv(extracts / "insurance_吉林.CSV", ["姓名,证件号码", "王芳,220203201107071252"])
    result = read_extracts(extracts)
    staged = result.staged["insurance"]
    assert staged.select("file", "row_number", "name").rows() == [
        ("insurance.csv", 1, "戊五"),
        ("insurance_吉林.CSV", 1, "王芳"),
        ("insurance_长春.csv", 1, "张伟"),
        ("insurance_长春.csv", 2, "李娜"),
    ]


def test_files_of_no_source_are_reported_and_others_read(extracts: Path) -> None:
    write_csv(extracts / "hospital_discharges.csv", ["姓名", "张伟"])
    write_csv(extracts / "insurances.csv", ["姓名", "张伟"])  # not "insurance_…"
    (extracts / "README.txt").write_text("说明", encoding="utf-8")  # not an extract type at all
    result = read_extracts(extracts)
    assert _codes(result) == [
        ("unknown_file", None, "hospital_discharges.csv"),
        ("unknown_file", None, "insurances.csv"),
    ]
    assert result.unknown_files == ["hospital_discharges.csv", "insurances.csv"]
    assert result.staged["insurance"].height == 1


def test_missing_required_source_is_an_error_but_missing_field_visits_is_not(tmp_path: Path) -> None:
    folder = write_minimal(tmp_path / "x", skip=("birth_certificates",))
    result = read_extracts(folder)
    assert _codes(result) == [("missing_source", "birth_certificates", None)]
    assert "birth_certificates" in result.errors[0].message_zh
    assert result.staged["birth_certificates"].height == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty_file"),
        ("证件号码,状态类别\n".encode(), "empty_file"),
        ("证件号码,状态类别\n\n\n".encode(), "empty_file"),
        ("编号,类别,备注\n1,2,3\n".encode(), "unmatched_headers"),
    ],
)
def test_file_level_errors_leave_other_files_readable(extracts: Path, content: bytes, code: str) -> None:
    (extracts / "person_status_新.csv").write_bytes(content)
    result = read_extracts(extracts)
    assert _codes(result) == [(code, "person_status", "person_status_新.csv")]
    assert result.staged["person_status"]["file"].to_list() == ["person_status.csv"]
    report = next(r for r in result.file_reports if r.file == "person_status_新.csv")
    assert report.error is not None and report.error.code == code


def test_unmatched_headers_names_missing_and_found_headers_but_no_values(extracts: Path) -> None:
    write_csv(extracts / "person_status.csv", ["身份证,类别,姓名", "220102198001011237,死亡,张伟"])
    result = read_extracts(extracts)
    error = next(e for e in result.errors if e.code == "unmatched_headers")
    for message in (error.message_zh, error.message_en):
        assert "证件号码" in message and "状态类别" in message  # required headers missing
        assert "身份证" in message and "类别" in message  # headers found
        assert "220102198001011237" not in message and "张伟" not in message and "死亡" not in message
    # the only file of a required source failed: the source has no data, which stops a run
    assert ("missing_source_data", "person_status", None) in _codes(result)


def test_error_codes_are_from_the_documented_list(extracts: Path) -> None:
    (extracts / "person_status_a.csv").write_bytes(b"")
    (extracts / "vaccination_b.xlsx").write_bytes(b"PK\x03\x04broken")
    write_csv(extracts / "other.csv", ["a", "b"])
    result = read_extracts(extracts)
    assert {e.code for e in result.errors} == {"empty_file", "corrupt_xlsx", "unknown_file"}
    assert {e.code for e in result.errors} <= set(FILE_ERROR_CODES)


def test_stage_to_duckdb_creates_all_tables(extracts: Path) -> None:
    write_csv(extracts / "insurance_x.csv", ["姓名,证件号码,备注", "张伟,220102201107071236,新增", ",,"])
    (extracts / "vaccination_坏.csv").write_bytes(b"")
    result = read_extracts(extracts)
    con = duckdb.connect()
    stage_to_duckdb(con, result)
    tables = {row[0] for row in con.sql("SHOW TABLES").fetchall()}
    assert {f"stg_{s}" for s in load_contracts()} | {"quarantine", "ingest_files"} <= tables
    assert con.sql("SELECT count(*) FROM stg_insurance").fetchall() == [(2,)]
    assert con.sql("SELECT count(*) FROM stg_field_visits").fetchall() == [(0,)]
    assert con.sql("SELECT file, row_number, reason_code FROM quarantine").fetchall() == [
        ("insurance_x.csv", 2, "empty_row")
    ]
    files = con.sql(
        "SELECT file, rows_read, staged, quarantined, error_code FROM ingest_files "
        "WHERE source = 'insurance' "
        "OR error_code IS NOT NULL ORDER BY file"
    ).fetchall()
    assert files == [
        ("insurance.csv", 1, 1, 0, None),
        ("insurance_x.csv", 2, 1, 1, None),
        ("vaccination_坏.csv", 0, 0, 0, "empty_file"),
    ]
    mapping = con.sql("SELECT header_mapping FROM ingest_files WHERE file = 'insurance_x.csv'").fetchall()[0][
        0
    ]
    assert json.loads(mapping) == {"姓名": "name", "证件号码": "id_number"}
    # a second staging replaces, never appends
    stage_to_duckdb(con, result)
    assert con.sql("SELECT count(*) FROM stg_insurance").fetchall() == [(2,)]


def test_same_folder_gives_identical_frames(extracts: Path) -> None:
    write_csv(extracts / "insurance_b.csv", ["姓名,证件号码,录入人", "张伟,220102201107071236,甲", ",,"])
    first, second = read_extracts(extracts), read_extracts(extracts)
    for source in first.staged:
        assert first.staged[source].equals(second.staged[source])
    assert first.quarantine.equals(second.quarantine)


def test_generated_extracts_quarantine_exactly_the_unreadable_rows(tmp_path: Path) -> None:
    """The generator's truth lists which rows it made unreadable and why; ingest must agree row by row."""
    from taizhang.generate import generate

    generate(tmp_path, children=400, seed=11, periods=["2026H1"])
    result = read_extracts(tmp_path / "2026H1")
    assert result.errors == []
    truth = pl.read_parquet(tmp_path / "truth" / "2026H1" / "records.parquet")
    staged = pl.concat(f.select("source", "file", "row_number") for f in result.staged.values())
    ours = pl.concat(
        [
            staged.with_columns(pl.lit(None, dtype=pl.String).alias("reason_code")),
            result.quarantine.select("source", "file", "row_number", "reason_code"),
        ]
    )
    joined = truth.join(ours, on=["source", "file", "row_number"], how="full", coalesce=True)
    assert joined.height == truth.height == ours.height
    disagree = joined.filter(pl.col("unreadable_kind").fill_null("") != pl.col("reason_code").fill_null(""))
    assert disagree.select("source", "file", "row_number").rows() == []
