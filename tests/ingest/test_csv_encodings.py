"""CSV decoding: the three supported encodings, corrupt bytes, and files that are not text."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from taizhang.ingest import read_extracts

from .conftest import write_csv

HEADER = "证件号码,姓名,状态类别,状态细项"
ROWS = [
    "220102198001011237,张伟,死亡,",
    "220102198102021238,李娜,重残,肢体残疾一级",
    "220102198203031239,王芳,服刑在押,",
]


def _status(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame, list]:
    result = read_extracts(folder)
    report = next(r for r in result.file_reports if r.source == "person_status")
    return result.staged["person_status"], result.quarantine, [report, *result.errors]


@pytest.mark.parametrize(
    ("encoding", "prefix", "expected"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("gb18030", b"", "gb18030")],
)
def test_each_encoding_is_detected_and_decoded(
    extracts: Path,
    encoding: str,
    prefix: bytes,
    expected: str,
) -> None:
    path = extracts / "person_status.csv"
    path.write_bytes(prefix + ("\n".join([HEADER, *ROWS]) + "\n").encode(encoding))
    staged, quarantine, (report, *_) = _status(extracts)
    assert report.encoding == expected
    assert staged["name"].to_list() == ["张伟", "李娜", "王芳"]
    assert staged["status_detail"].to_list() == [None, "肢体残疾一级", None]
    assert quarantine.filter(pl.col("source") == "person_status").height == 0
    # the BOM does not leak into the first header
    assert report.header_mapping["证件号码"] == "id_number"


def test_gbk_subset_characters_decode_as_gb18030(extracts: Path) -> None:
    path = extracts / "person_status.csv"
    path.write_bytes(("\n".join([HEADER, "220102198001011237,欧阳娜娜,失踪,"]) + "\n").encode("gbk"))
    staged, _, (report, *_) = _status(extracts)
    assert report.encoding == "gb18030"
    assert staged["name"].to_list() == ["欧阳娜娜"]


def test_utf8_file_with_one_corrupt_row_quarantines_only_that_row(extracts: Path) -> None:
    lines = [(line + "\n").encode() for line in [HEADER, *ROWS]]
    lines[2] = "220102198102021238,李".encode() + b"\xff\xfe" + ",重残,\n".encode()
    (extracts / "person_status.csv").write_bytes(b"".join(lines))
    staged, quarantine, (report, *_) = _status(extracts)
    assert report.encoding == "utf-8"
    assert staged["row_number"].to_list() == [1, 3]
    assert staged["name"].to_list() == ["张伟", "王芳"]
    q = quarantine.filter(pl.col("source") == "person_status")
    assert q.select("row_number", "reason_code").rows() == [(2, "undecodable")]
    assert "解码" in q["reason"][0]


def test_gb18030_file_with_invalid_bytes_quarantines_only_that_row(extracts: Path) -> None:
    good = [(line + "\n").encode("gb18030") for line in [HEADER, *ROWS]]
    good[3] = "220102198203031239,王".encode("gb18030") + b"\x81\x20" + ",服刑在押,\n".encode("gb18030")
    (extracts / "person_status.csv").write_bytes(b"".join(good))
    staged, quarantine, (report, *_) = _status(extracts)
    assert report.encoding == "gb18030"
    assert staged["name"].to_list() == ["张伟", "李娜"]
    assert quarantine.filter(pl.col("source") == "person_status")["reason_code"].to_list() == ["undecodable"]


def test_binary_file_named_csv_is_a_file_error_and_others_are_still_read(extracts: Path) -> None:
    (extracts / "person_status.csv").write_bytes(bytes(range(256)) * 40)
    result = read_extracts(extracts)
    errors = {e.code: e for e in result.errors}
    assert errors["binary_garbage"].file == "person_status.csv"
    assert "person_status.csv" in errors["binary_garbage"].message_zh
    assert result.staged["residence_permits"].height == 1


def test_utf16_is_reported_as_undecodable_encoding(extracts: Path) -> None:
    (extracts / "person_status.csv").write_bytes(("\n".join([HEADER, *ROWS])).encode("utf-16"))
    result = read_extracts(extracts)
    assert [e.code for e in result.errors if e.file == "person_status.csv"] == ["undecodable_encoding"]


def test_bytes_in_no_supported_encoding_are_a_file_error(extracts: Path) -> None:
    # every line has bytes that are invalid in UTF-8 and in GB18030 (0xFF is never valid in either)
    lines = [HEADER.encode()] + [b"\xff\xfe\xff," + str(i).encode() + b",\xff\xff," for i in range(20)]
    (extracts / "person_status.csv").write_bytes(b"\n".join(lines) + b"\n")
    result = read_extracts(extracts)
    assert [e.code for e in result.errors if e.file == "person_status.csv"] == ["undecodable_encoding"]


def test_crlf_line_endings_and_quoted_fields(extracts: Path) -> None:
    write_csv(
        extracts / "person_status.csv",
        [
            HEADER,
            '220102198001011237,"张伟",死亡,"备注,含逗号"',
            '220102198102021238,李娜,重残,"两行\r\n说明"',
        ],
        newline="\r\n",
    )
    staged, quarantine, _ = _status(extracts)
    assert staged["status_detail"].to_list() == ["备注,含逗号", "两行\r\n说明"]
    assert staged["row_number"].to_list() == [1, 2]
    assert quarantine.filter(pl.col("source") == "person_status").height == 0
