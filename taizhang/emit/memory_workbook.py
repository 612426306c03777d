"""An xlsxwriter workbook that writes its one xlsx file and no temporary files.

In ``constant_memory`` mode xlsxwriter keeps each sheet's finished rows in a
temporary file, and when the workbook closes writes every XML part (a dozen
per workbook) to another temporary file before zipping it: a province's run
creates, rewrites, reads back and deletes some two thousand files, which costs
seconds of system time on a busy disk. Its ``in_memory`` option avoids the
files but turns ``constant_memory`` off (every cell kept as an object) and
dates the zip members differently.

:class:`MemoryWorkbook` keeps ``constant_memory``'s way of writing (rows
flushed as XML text as soon as the next row starts) but holds that text as a
list of strings, hands it to the sheet's part without copying, and deflates
each part straight into the xlsx file. The zip members carry the names, the
date, the permissions and the contents xlsxwriter's file mode gives them
(``tests/emit`` compares them), deflated at :data:`DEFLATE_LEVEL`.

Memory: one workbook's XML text at a time (a county's sheets, written while its
workbook is open), never the province's.
"""

from __future__ import annotations

import io
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import xlsxwriter
from xlsxwriter.packager import Packager
from xlsxwriter.worksheet import Worksheet

# xlsxwriter's file mode dates every member 31 January 1980 (local time, read back as such) and
# zips it from a ``mkstemp`` file: a regular file with mode 0600.
_MEMBER_DATE = (1980, 1, 31, 0, 0, 0)
_MEMBER_ATTR = 0o100600 << 16
# The parts are deflated at zlib level 3, not its default 6: on a county's sheets (about 4.6 kB of
# XML per child) level 6 took 1.6 s of CPU per 135 MB where level 3 takes 0.8 s, for a file 16%
# larger. Deflating is a third of the emit stage's CPU, and the file stays as deterministic.
DEFLATE_LEVEL = 3
# Small writes (xlsxwriter writes a tag at a time) are joined into pieces of about this many
# characters, so a sheet is a short list of long strings.
_PIECE = 1 << 16


class TextParts(io.StringIO):
    """A write-only text sink that keeps what is written as a list of pieces.

    A piece is a string, or bytes already encoded in UTF-8 (rows made by
    :mod:`taizhang.emit.sheet_rows`, which need no round trip through a Python string).
    It is a ``StringIO`` only so that xlsxwriter's XML writer takes it as an in-memory
    handle (it checks the type); nothing is stored in the ``StringIO`` itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str | bytes] = []
        self._small: list[str] = []
        self._small_len = 0

    def write(self, s: str | bytes) -> int:  # type: ignore[override]
        if isinstance(s, bytes) or len(s) >= _PIECE:
            self._join_small()
            self.pieces.append(s)
        else:
            self._small.append(s)
            self._small_len += len(s)
            if self._small_len >= _PIECE:
                self._join_small()
        return len(s)

    def _join_small(self) -> None:
        if self._small:
            self.pieces.append("".join(self._small))
            self._small, self._small_len = [], 0

    def take(self) -> list[str | bytes]:
        """Everything written so far, handed over (the sink is empty afterwards)."""
        self._join_small()
        pieces, self.pieces = self.pieces, []
        return pieces

    def getvalue(self) -> str:
        self._join_small()
        return "".join(p.decode("utf-8") if isinstance(p, bytes) else p for p in self.pieces)


class MemoryWorksheet(Worksheet):
    """A worksheet whose ``constant_memory`` rows go to a :class:`TextParts`, not a temp file."""

    def _initialize(self, init_data: dict[str, Any]) -> None:
        constant_memory = init_data["constant_memory"]
        super()._initialize({**init_data, "constant_memory": False})
        self.constant_memory = constant_memory
        if constant_memory:
            self.row_data_fh = TextParts()
            self.fh = self.row_data_fh

    def _opt_close(self) -> None:
        self.row_data_fh_closed = True

    def _opt_reopen(self) -> None:
        self.row_data_fh_closed = False
        self.fh = self.row_data_fh

    def _write_optimized_sheet_data(self) -> None:
        # As xlsxwriter's, but the rows move from the row sink to the sheet's part as they are.
        if self.dim_rowmin is None:
            self._xml_empty_tag("sheetData")
            return
        self._xml_start_tag("sheetData")
        for piece in self.row_data_fh.take():
            self.fh.write(piece)
        self._xml_end_tag("sheetData")


class _MemoryPackager(Packager):
    """xlsxwriter's packager with every part written to a :class:`TextParts`."""

    def _filename(self, xml_filename: str) -> TextParts:
        part = TextParts()
        self.filenames.append((part, xml_filename, False))
        return part


class MemoryWorkbook(xlsxwriter.Workbook):
    """``xlsxwriter.Workbook`` in ``constant_memory`` mode, without temporary files."""

    worksheet_class = MemoryWorksheet

    def _get_packager(self) -> Packager:
        return _MemoryPackager()

    def _store_workbook(self) -> None:
        # xlsxwriter 3.3's _store_workbook for workbooks without VBA, images or charts (these
        # ledgers have none), with the parts deflated from memory into the file.
        if not self.worksheets():
            self.add_worksheet()
        if self.worksheet_meta.activesheet == 0:
            self.worksheets_objs[0].selected = 1
            self.worksheets_objs[0].hidden = 0
        for sheet in self.worksheets():
            if sheet.index == self.worksheet_meta.activesheet:
                sheet.active = 1
        self._prepare_sst_string_data()
        self._prepare_vml()
        self._prepare_defined_names()
        self._prepare_drawings()
        self._add_chart_data()
        self._prepare_tables()
        self._prepare_metadata()

        packager = self._get_packager()
        packager._add_workbook(self)
        packager._set_in_memory(False)
        parts = packager._create_package()
        with ZipFile(self.filename, "w", compression=ZIP_DEFLATED, allowZip64=self.allow_zip64) as xlsx:
            for part, name, is_binary in parts:
                if is_binary:
                    raise ValueError(f"binary workbook part {name} is not supported")
                member = ZipInfo(name, _MEMBER_DATE)
                member.compress_type = ZIP_DEFLATED
                # A member opened from its ZipInfo is deflated at the ZipInfo's own level.
                member._compresslevel = DEFLATE_LEVEL
                member.external_attr = _MEMBER_ATTR
                with xlsx.open(member, "w") as dest:
                    for piece in part.take():
                        dest.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
