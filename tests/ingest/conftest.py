"""Hand-made extract fixtures, written in tmp_path by small helpers.

The fixture values are invented (fake names, made-up identity numbers); they
still never appear in assertion messages about errors, which is itself tested.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

# Minimal valid content per required source: header line and one data row.
MINIMAL: dict[str, tuple[list[str], list[str]]] = {
    "residence_permits": (
        ["姓名", "公民身份号码", "居住地区划代码"],
        [
            "甲一",
            "220102201503151234",
            "220102",
        ],
    ),
    "school_enrollment": (["学生姓名", "身份证件号"], ["乙二", "220102201309011235"]),
    "child_health": (["儿童姓名", "出生日期"], ["丙三", "2024-01-05"]),
    "vaccination": (["受种者姓名", "出生日期"], ["丁四", "2023-02-06"]),
    "insurance": (["姓名", "证件号码"], ["戊五", "220102201107071236"]),
    "birth_certificates": (["出生医学证明编号", "出生日期"], ["P220123456", "2022-03-04"]),
    "person_status": (["证件号码", "状态类别"], ["220102198001011237", "死亡"]),
}


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write CSV lines as given (no quoting added), so tests control every byte."""
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], start_row: int = 0) -> Path:
    """Write a workbook; numbers stay numbers, ``datetime`` values become date cells."""
    wb = xlsxwriter.Workbook(str(path))
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if hasattr(value, "year"):
                    ws.write_datetime(start_row + r, c, value, date_format)
                elif isinstance(value, str):
                    ws.write_string(start_row + r, c, value)
                else:
                    ws.write(start_row + r, c, value)
    wb.close()
    return path


def write_minimal(folder: Path, skip: tuple[str, ...] = ()) -> Path:
    """Every required source as a one-row UTF-8 CSV, except those in ``skip``."""
    folder.mkdir(parents=True, exist_ok=True)
    for source, (header, row) in MINIMAL.items():
        if source not in skip:
            write_csv(folder / f"{source}.csv", [",".join(header), ",".join(row)])
    return folder


@pytest.fixture
def extracts(tmp_path: Path) -> Path:
    """An extracts folder holding every required source (field_visits absent)."""
    return write_minimal(tmp_path / "extracts")
