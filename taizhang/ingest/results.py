"""What ingest hands to the later stages: staged frames, quarantine, file reports and file errors.

Every message here is built from file names, header names and counts only:
a cell value never reaches a report, an exception or a log line, because cell
values are personal data (names, identity numbers, health statuses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Row quarantine: code -> the Chinese sentence shown to the department liaison.
REASONS: dict[str, str] = {
    # The row as a whole is damaged: its cells cannot be trusted to be the values typed.
    "undecodable": "该行含有无法按文件编码解码的字节，无法读取。",
    "control_characters": "该行含有不可见的控制字符（如 NUL），数据已损坏，无法读取。",
    "bad_quote": "该行引号不成对（多余或缺少的英文双引号），无法确定各字段的起止。",
    "oversized_cell": "该行有单元格超过 32767 个字符（Excel 单元格的上限），数据已损坏。",
    "truncated_row": "文件在该行中途结束（最后一行不完整），该行无法读取。",
    "ragged_row": "该行字段数与表头列数不一致，无法确定各值所属列。",
    # The row holds no child: a person would delete it from the sheet.
    "empty_row": "该行所有字段均为空。",
    "total_row": "该行是合计、总计或小计行，不是儿童记录。",
    "error_values": "该行只有 Excel 错误值（如 #N/A、#REF!、#VALUE!、#DIV/0!），不是儿童记录。",
    "serial_only": "该行只有一个序号或数字，没有儿童信息。",
    "garbled_row": "该行内容全部为乱码或问号（如“锟斤拷”“????”），无法识别。",
    "no_identifier": "该行用于识别儿童（人员）的字段全部为空或为乱码，无法识别。",
    "missing_required_value": "该行必填字段为空。",
    "bad_status": "该行状态类别不在规定的类别清单内。",
}
REASON_ORDER: tuple[str, ...] = tuple(REASONS)

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "file": pl.String(),
    "row_number": pl.Int64(),
    "reason_code": pl.String(),
    "reason": pl.String(),
    "column": pl.String(),
    "sheet": pl.String(),  # xlsx: the sheet the row is on; csv: null
    "excel_row": pl.Int64(),  # the row number Excel shows in its margin when the file is opened
}

# File-level error codes. Only the two ``missing_*`` codes stop a run (the
# pipeline treats a code containing "missing" as fatal); the others leave the
# remaining files to be read.
FILE_ERROR_CODES = (
    "missing_source",  # a required source has no file at all
    "missing_source_data",  # a required source has files, none of them readable
    "unknown_file",  # a csv/xlsx file whose name belongs to no source
    "empty_file",  # 0 bytes, or a header and no data rows
    "unmatched_headers",  # the header lacks required columns of the contract
    "binary_garbage",  # a .csv that is not text
    "not_a_workbook",  # a .xlsx that is not an Excel workbook at all
    "corrupt_xlsx",  # a zip that no Excel reader can open (truncated, damaged)
    "undecodable_encoding",  # CSV in none of UTF-8, UTF-8 with BOM, GB18030
    "read_failed",  # an unexpected error while reading (its type is named, never its text)
)


@dataclass(frozen=True)
class FileError:
    """A problem with a whole file (or a whole source); the other files are still read."""

    code: str
    file: str | None
    source: str | None
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class RowSegment:
    """Rows ``first``..``last`` of a file lie on ``sheet``; data row k is at Excel row ``k + offset``.

    Every row below a header is counted, so within one sheet (or one CSV) the
    row Excel shows is the data row number plus a constant: the Excel row of
    the header, less the rows counted on earlier sheets.
    """

    sheet: str | None  # null for a csv
    first: int
    last: int
    offset: int


@dataclass
class FileReport:
    """What ingest did with one file: how it was decoded, how its headers mapped, row counts."""

    source: str
    file: str
    format: str  # "csv" or "xlsx"
    encoding: str | None = None  # csv: utf-8, utf-8-sig or gb18030
    sheets: list[str] = field(default_factory=list)  # xlsx: sheets read, in order
    sheets_ignored: list[str] = field(default_factory=list)  # xlsx: sheets with no header of the source
    # Where the rows are: one segment per sheet read (one for a csv), see ``RowSegment``.
    row_segments: list[RowSegment] = field(default_factory=list)
    header_mapping: dict[str, str] = field(default_factory=dict)  # header as written -> column
    unknown_headers: list[str] = field(default_factory=list)  # kept in ``extra``
    missing_columns: list[str] = field(default_factory=list)  # optional columns absent (null)
    rows_read: int = 0
    staged: int = 0
    quarantined: int = 0
    quarantine_counts: dict[str, int] = field(default_factory=dict)
    error: FileError | None = None


@dataclass
class IngestResult:
    """Stage 1 output (see docs/ARCHITECTURE.md): one staged frame per contract source."""

    staged: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    file_reports: list[FileReport]
    errors: list[FileError]
    unknown_files: list[str] = field(default_factory=list)


class FileProblem(Exception):
    """Raised by a reader when a file cannot be read at all; becomes a :class:`FileError`.

    It carries a code and two messages that name the file, never its content.
    """

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def to_error(self, file: str, source: str | None) -> FileError:
        return FileError(
            code=self.code,
            file=file,
            source=source,
            message_zh=f"文件 {file}：{self.message_zh}",
            message_en=f"file {file}: {self.message_en}",
        )
