"""Sealed files: the pipeline's working data, encrypted at rest with AES-256-GCM.

Everything the pipeline writes and reads back (the stage cache under
``<out>/.cache/``, the period's ``state/``) goes through this module. A table is
serialized to parquet in memory and sealed before a byte reaches the disk; a
read decrypts into memory and hands polars the plaintext. Published outputs
(ledgers, workbooks, reports) are not sealed: they are what people open.

File layout (all integers big-endian)::

    header  = b"TZSEAL" | version (1 byte) | key id (8 bytes) | salt (16 bytes) | chunk size (4 bytes)
    body    = chunk_0 | chunk_1 | ... | chunk_n        each chunk = AES-GCM ciphertext + 16-byte tag

Each file gets its own AES-256 key, derived with HKDF-SHA256 from the data key
(``taizhang.keys``) and the file's random salt, so nonces never repeat across
files. The plaintext is cut into chunks (a single AES-GCM call is limited in
size, and chunks bound memory per call); chunk ``i`` is sealed with the nonce
``i`` (11 bytes) followed by a last-chunk flag, and the header is the
associated data of every chunk. So a reordered, truncated, extended or
altered file fails to open, as does one whose header was edited. The
cryptography is the ``cryptography`` package's AESGCM and HKDF; nothing here
implements a primitive.

Files are written atomically (a temporary file beside the target, created
0600, renamed into place), so a crash or a full disk leaves the old file or
none, never half a file.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import polars as pl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from taizhang import keys
from taizhang.errors import PipelineError

MAGIC = b"TZSEAL"
VERSION = 1
_SALT_BYTES = 16
_TAG_BYTES = 16
_HEADER_BYTES = len(MAGIC) + 1 + 8 + _SALT_BYTES + 4
CHUNK_BYTES = 16 << 20  # 16 MiB of plaintext per AES-GCM call
_INFO = b"taizhang sealed file v1"


# --------------------------------------------------------------------------- the cipher


def _file_key(material: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(material)
    return AESGCM(derived)


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def seal(plain: bytes | memoryview, key: keys.Key) -> list[bytes]:
    """The sealed file's parts (header, then one part per chunk) for ``plain``."""
    salt = secrets.token_bytes(_SALT_BYTES)
    header = MAGIC + bytes([VERSION]) + bytes.fromhex(key.id)[:8] + salt + CHUNK_BYTES.to_bytes(4, "big")
    cipher = _file_key(key.material, salt)
    view = memoryview(plain)
    starts = range(0, max(len(view), 1), CHUNK_BYTES)
    parts = [header]
    for index, start in enumerate(starts):
        last = index == len(starts) - 1
        parts.append(cipher.encrypt(_nonce(index, last), view[start : start + CHUNK_BYTES], header))
    return parts


def _header_fields(data: bytes, path: Path) -> tuple[bytes, str, bytes, int]:
    if len(data) < _HEADER_BYTES + _TAG_BYTES or not data.startswith(MAGIC):
        raise PipelineError(
            "not_sealed",
            f"{path} 不是本系统加密保存的工作数据（可能由旧版本以明文写入，或已损坏）。"
            "请删除该文件所在的缓存或重新运行本期。",
            f"{path} is not sealed working data (written in clear by an older version, or damaged). "
            "Delete the cache folder holding it, or run the period again.",
        )
    header = data[:_HEADER_BYTES]
    version = header[len(MAGIC)]
    if version != VERSION:
        raise PipelineError(
            "sealed_version",
            f"{path} 的加密格式版本 {version} 不受本版本支持。",
            f"{path} is sealed in format version {version}, which this version cannot read.",
        )
    kid = header[len(MAGIC) + 1 : len(MAGIC) + 9].hex()
    salt = header[len(MAGIC) + 9 : len(MAGIC) + 9 + _SALT_BYTES]
    chunk = int.from_bytes(header[-4:], "big")
    return header, kid, salt, chunk


def sealed_key_id(path: Path) -> str:
    """The id of the key a sealed file was written with."""
    with Path(path).open("rb") as fh:
        head = fh.read(_HEADER_BYTES + _TAG_BYTES)
    return _header_fields(head, Path(path))[1]


def unseal(data: bytes, key: keys.Key, path: Path) -> bytes:
    """The plaintext of a sealed file's bytes, or a clear error (wrong key, damaged, not sealed)."""
    header, kid, salt, chunk = _header_fields(data, path)
    if kid != key.id[:16]:
        raise wrong_key_error(path, kid, key)
    cipher = _file_key(key.material, salt)
    body = memoryview(data)[_HEADER_BYTES:]
    step = chunk + _TAG_BYTES
    starts = range(0, len(body), step)
    try:
        # Decrypted straight into one buffer of the plaintext's size (no per-chunk copies).
        out = bytearray(len(body) - len(starts) * _TAG_BYTES)
        view = memoryview(out)
        for index, start in enumerate(starts):
            last = index == len(starts) - 1
            piece = body[start : start + step]
            at = index * chunk
            cipher.decrypt_into(_nonce(index, last), piece, header, view[at : at + len(piece) - _TAG_BYTES])
    except (InvalidTag, ValueError):
        raise PipelineError(
            "sealed_damaged",
            f"{path} 已损坏或被改动，无法解密（密钥编号相符）。请删除该文件所在的缓存或重新运行本期。",
            f"{path} is damaged or was altered and cannot be decrypted (the key id matches). "
            "Delete the cache folder holding it, or run the period again.",
        ) from None
    return bytes(out)


def wrong_key_error(path: Path, file_key_id: str, key: keys.Key) -> PipelineError:
    return PipelineError(
        "key_wrong",
        f"{path} 是用另一把密钥加密的（文件密钥编号 {file_key_id}，当前密钥编号 {key.id}）。"
        "请使用原来的密钥（见 docs/privacy.md，密钥轮换用 taizhang rotate-key）。",
        f"{path} was sealed with another key (file key id {file_key_id}, current key id {key.id}). "
        "Use the key it was written with (see docs/privacy.md; keys are rotated with `taizhang rotate-key`).",
    )


# --------------------------------------------------------------------------- files


def _write_parts(parts: list[bytes], path: Path) -> Path:
    """Write ``parts`` to ``path`` atomically, created 0600."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            for part in parts:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(data: bytes | memoryview, path: Path, key: keys.Key | None = None) -> Path:
    """Seal ``data`` into ``path`` (the key is created on first use when none is configured)."""
    return _write_parts(seal(data, key or keys.load(create=True)), path)


def read_bytes(path: Path, key: keys.Key | None = None) -> bytes:
    path = Path(path)
    return unseal(path.read_bytes(), key or keys.load(), path)


def write_frame(df: pl.DataFrame, path: Path) -> Path:
    """A frame as sealed parquet (serialized in memory: no clear byte reaches the disk)."""
    buffer = io.BytesIO()
    df.write_parquet(buffer, statistics=False)
    return write_bytes(buffer.getbuffer(), path)


def read_frame(path: Path, columns: list[str] | None = None) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(read_bytes(path)), columns=columns)


def read_frame_present(path: Path, wanted: list[str], file_order: bool = False) -> pl.DataFrame:
    """The columns of ``wanted`` that the file has, once each, decrypting it once.

    In the order of ``wanted``, or with ``file_order`` in the order the file holds them.
    """
    data = io.BytesIO(read_bytes(path))
    present = list(pl.read_parquet_schema(data))
    data.seek(0)
    if file_order:
        columns = [c for c in present if c in set(wanted)]
    else:
        columns = [c for c in dict.fromkeys(wanted) if c in set(present)]
    return pl.read_parquet(data, columns=columns)


def write_json(obj: Any, path: Path) -> Path:
    return write_bytes(json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8"), path)


def read_json(path: Path) -> Any:
    return json.loads(read_bytes(path).decode("utf-8"))


def is_sealed(path: Path) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def seal_tree(folder: Path) -> None:
    """Seal every clear file under ``folder`` in place (for files a library wrote, e.g. reports)."""
    key = keys.load(create=True)
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if not is_sealed(path):
            write_bytes(path.read_bytes(), path, key)


def unseal_tree(source: Path, target: Path) -> None:
    """Copy the sealed files under ``source`` into ``target`` in clear (publishing a cached report)."""
    key = keys.load()
    for path in sorted(p for p in Path(source).rglob("*") if p.is_file()):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(read_bytes(path, key))


def copy(source: Path, target: Path) -> None:
    """Copy a sealed file or folder as it is (it stays sealed)."""
    if Path(source).is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def reseal(path: Path, old: keys.Key, new: keys.Key) -> bool:
    """Re-encrypt one sealed file from ``old`` to ``new``; False when it already uses ``new``."""
    kid = sealed_key_id(path)
    if kid == new.id:
        return False
    if kid != old.id:
        raise wrong_key_error(path, kid, old)
    _write_parts(seal(read_bytes(path, old), new), path)
    return True
