"""A workbook written without temp files has the bytes xlsxwriter's file mode gives it."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter

from taizhang.emit import sheets
from taizhang.emit.memory_workbook import MemoryWorkbook
from taizhang.period import Period

PERIOD = Period.parse("2026H1")
FRAME = pl.DataFrame(
    {
        "姓名": ["张三", " 李四", "A&B<C>", None, "bell\x07"],
        "公民身份号码": ["22010220150315123X", None, "0123", "x", "y"],
        "出生日期": [date(2015, 3, 15), None, date(1900, 3, 1), date(2026, 6, 30), date(2011, 1, 2)],
        "疑似孤儿": [True, False, None, True, False],
    }
)


def _ledger(path: Path, memory: bool, monkeypatch) -> bytes:
    with monkeypatch.context() as m:
        if not memory:
            m.setattr(sheets, "MemoryWorkbook", xlsxwriter.Workbook)
        wb = sheets.new_workbook(path, PERIOD, "测试")
        sheets.add_table_sheet(wb, "台账", FRAME.head(3), ("公民身份号码",))  # rows written column-wise
        sheets.add_table_sheet(wb, "待核实", FRAME, ("公民身份号码",))  # a value to escape: cell by cell
        sheets.add_table_sheet(wb, "空表", FRAME.clear(), ("公民身份号码",))
        groups = (("基本信息", ("姓名", "出生日期")), ("编号", ("公民身份号码", "疑似孤儿")))
        sheets.add_form_sheet(wb, "登记表", "登记表（测试）", groups, FRAME.head(3), ("公民身份号码",))
        wb.close()
    return path.read_bytes()


def test_same_parts_as_xlsxwriter_file_mode_and_no_temp_files(tmp_path, monkeypatch):
    made: list[str] = []
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        made.append(name)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    written = _ledger(tmp_path / "memory.xlsx", True, monkeypatch)
    assert made == [], "the in-memory workbook made temp files"
    assert _members(written) == _members(_ledger(tmp_path / "files.xlsx", False, monkeypatch))
    assert made, "xlsxwriter's file mode was not what the workbook was compared with"
    assert written == _ledger(tmp_path / "again.xlsx", True, monkeypatch)  # a rerun: the same bytes


def _members(xlsx: bytes) -> list[tuple]:
    """Each zip member's name, date, permissions, compression and contents, in order."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return [(i.filename, i.date_time, i.external_attr, i.compress_type, z.read(i)) for i in z.infolist()]


def test_memory_workbook_keeps_constant_memory_rows_in_order(tmp_path):
    path = tmp_path / "rows.xlsx"
    wb = MemoryWorkbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("s")
    for row in range(3000):
        ws.write_string(row, 0, f"第{row}行")
    wb.close()
    read = pl.read_excel(path, sheet_name="s", has_header=False)
    assert read.to_series().to_list() == [f"第{row}行" for row in range(3000)]
