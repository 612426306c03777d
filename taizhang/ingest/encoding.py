"""Detect and decode the encoding of a CSV extract: UTF-8, UTF-8 with BOM, or GB18030.

DuckDB cannot read GB18030 offline, so every CSV is decoded here and handed
on as text. Bytes that do not decode are replaced by a marker
character (a Unicode noncharacter absent from the file), so the reader can
quarantine exactly the rows that hold them and read the rest of the file.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from taizhang.ingest.results import FileProblem

BOM = b"\xef\xbb\xbf"
_SAMPLE_LINES = 2000
_NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
# Magic numbers of formats departments have been seen to rename to .csv by mistake.
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
# Noncharacters: never meaningful in interchanged text, so a safe in-band marker.
_MARKER_CANDIDATES = tuple(chr(c) for c in range(0xFDD0, 0xFDF0))


@dataclass(frozen=True)
class Decoded:
    text: str  # the decoded file, no BOM
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    marker: str | None  # the character that stands for undecodable bytes, if any were found


def _marking_handler(marker: str):
    def handler(exc: UnicodeDecodeError) -> tuple[str, int]:
        return marker, exc.end

    return handler


def _decode_marking(data: bytes, encoding: str) -> Decoded:
    """Decode with undecodable byte runs replaced by a marker absent from the file."""
    marker = next(m for m in _MARKER_CANDIDATES if m.encode(encoding) not in data)
    name = f"taizhang-mark-{ord(marker):x}"
    try:
        codecs.lookup_error(name)
    except LookupError:
        codecs.register_error(name, _marking_handler(marker))
    return Decoded(text=data.decode(encoding, errors=name), encoding=encoding, marker=marker)


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_text(line: bytes) -> bool:
    """The line is UTF-8 text: it decodes, to more than U+FFFD (锟斤拷 in GBK *is* UTF-8 of U+FFFD)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(ord(c) > 127 and c != "\ufffd" for c in text)


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not delimited text: a known binary magic, or control bytes everywhere.

    A text file damaged in places (a few NUL bytes, some flipped bytes) is
    still text: its damaged rows are quarantined one by one. Only when more
    than one byte in twenty of the file's start is a control byte (binary
    formats are full of them; text has none but tab and line ends) is the
    file no table at all.
    """
    head = data[:65536]
    if head.startswith(_BINARY_MAGIC):
        return True
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    return controls > max(64, len(head) // 20)


def decode_csv(data: bytes) -> Decoded:
    """Decode CSV bytes, detecting the encoding from the bytes alone.

    Valid UTF-8 is UTF-8. Otherwise lines holding non-ASCII bytes are sampled:
    genuine GB18030 text practically never forms a valid UTF-8 line of
    Chinese, while UTF-8 text often *does* decode as GB18030 (as mojibake),
    so UTF-8 wins when at least a tenth of the sampled lines are valid UTF-8
    (a small file may have more broken rows than whole ones) and the failing
    lines are corrupt rows. Raises :class:`FileProblem` for binary data and for bytes
    that neither encoding can explain.
    """
    if data.startswith(BOM):
        body = data[len(BOM) :]
        try:
            return Decoded(body.decode("utf-8"), "utf-8-sig", None)
        except UnicodeDecodeError:
            decoded = _decode_marking(body, "utf-8")
            return Decoded(decoded.text, "utf-8-sig", decoded.marker)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(
            "undecodable_encoding",
            "文件为 UTF-16 编码，仅支持 UTF-8、带 BOM 的 UTF-8 和 GB18030（GBK）编码。",
            "the file is UTF-16; only UTF-8, UTF-8 with BOM and GB18030 (GBK) are supported.",
        )
    if looks_binary(data):
        raise FileProblem(
            "binary_garbage",
            "文件内容不是文本表格（可能是二进制文件或已损坏），无法读取。",
            "the file is not delimited text (binary or damaged) and cannot be read.",
        )
    try:
        return Decoded(data.decode("utf-8"), "utf-8", None)
    except UnicodeDecodeError:
        pass
    sample = [m.group(0) for _, m in zip(range(_SAMPLE_LINES), _NON_ASCII_LINE.finditer(data), strict=False)]
    utf8_ok = sum(_utf8_text(line) for line in sample)
    if utf8_ok * 10 >= len(sample):
        return _decode_marking(data, "utf-8")
    gb_ok = sum(_decodes(line, "gb18030") for line in sample)
    if gb_ok * 2 >= len(sample):
        try:
            return Decoded(data.decode("gb18030"), "gb18030", None)
        except UnicodeDecodeError:
            return _decode_marking(data, "gb18030")
    raise FileProblem(
        "undecodable_encoding",
        "无法识别文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030/GBK），文件未读取。",
        "the encoding is none of UTF-8, UTF-8 with BOM, GB18030/GBK; the file was not read.",
    )
