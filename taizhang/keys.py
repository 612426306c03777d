"""The key that seals a run's working data (``taizhang.sealed``): where it comes from, how it is checked.

The key is 32 random bytes, written as URL-safe base64 on one line. It comes
from, in this order:

1. ``TAIZHANG_KEY``: the base64 text itself (for a secret store or a scheduler);
2. ``TAIZHANG_KEY_FILE``: a file holding it;
3. ``$XDG_CONFIG_HOME/taizhang/key`` (``~/.config/taizhang/key``).

A key file must be readable by its owner only (mode 0600 or stricter): a file
that its group or the world can read is refused, since anyone who can read the
key can read the province's records. When no key is configured at all, the
commands that write working data create the default key file on first use, so
``taizhang demo`` and the tests need no manual step.

A key's *id* (16 hex characters of a sha256 over the key) is written into
every sealed file's header; it tells a wrong key from a damaged file without
revealing anything about the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from taizhang.errors import PipelineError

KEY_ENV = "TAIZHANG_KEY"
KEY_FILE_ENV = "TAIZHANG_KEY_FILE"
NEW_KEY_ENV = "TAIZHANG_NEW_KEY"  # the next key, when rotating a key that lives in the environment
KEY_BYTES = 32


@dataclass(frozen=True)
class Key:
    """A data key and where it came from (never printed: ``repr`` shows the id only)."""

    material: bytes
    origin: str  # "environment" or the key file's path

    @property
    def id(self) -> str:
        return key_id(self.material)

    def __repr__(self) -> str:
        return f"Key(id={self.id}, origin={self.origin})"


def key_id(material: bytes) -> str:
    return hashlib.sha256(b"taizhang key id\x00" + material).hexdigest()[:16]


def default_key_file() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "taizhang" / "key"


def key_file() -> Path:
    """The key file in use: ``$TAIZHANG_KEY_FILE`` or the default."""
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured).expanduser() if configured else default_key_file()


def encode(material: bytes) -> str:
    return base64.urlsafe_b64encode(material).decode("ascii")


def decode(text: str, where: str) -> bytes:
    """The key bytes of a base64 text, or a clear error naming where it came from (never the text)."""
    try:
        material = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        material = b""
    if len(material) != KEY_BYTES:
        raise PipelineError(
            "key_malformed",
            f"{where} 中的密钥格式不对（应为 {KEY_BYTES} 字节的 base64 文本，见 docs/privacy.md）。",
            f"the key in {where} is malformed (expected {KEY_BYTES} bytes as base64 text; "
            "see docs/privacy.md).",
        )
    return material


def generate() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def check_owner_only(path: Path) -> None:
    """Refuse a key file its group or others may read or write, or that another user owns."""
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PipelineError(
            "key_file_permissions",
            f"密钥文件 {path} 的权限过宽（{stat.filemode(info.st_mode)}），其他用户可以读取。"
            f"请执行 chmod 600 {path} 后重试。",
            f"the key file {path} is readable by other users ({stat.filemode(info.st_mode)}); "
            f"run `chmod 600 {path}` and try again.",
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise PipelineError(
            "key_file_owner",
            f"密钥文件 {path} 不属于当前用户。",
            f"the key file {path} is not owned by the current user.",
        )


def read_key_file(path: Path) -> Key:
    check_owner_only(path)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise PipelineError(
            "key_unreadable",
            f"无法读取密钥文件 {path}。",
            f"the key file {path} cannot be read.",
        ) from None
    return Key(decode(text, str(path)), str(path))


def write_key_file(path: Path, material: bytes) -> None:
    """Write a key file with mode 0600 (created so, never widened), its folder 0700."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(encode(material) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def no_key_error() -> PipelineError:
    return PipelineError(
        "key_missing",
        f"没有找到加密密钥：请设置环境变量 {KEY_ENV}，或提供密钥文件 {key_file()}（见 docs/privacy.md）。"
        "没有密钥就无法读取本系统保存的工作数据。",
        f"no encryption key: set {KEY_ENV} or provide the key file {key_file()} (see docs/privacy.md). "
        "The saved working data cannot be read without it.",
    )


def load(create: bool = False) -> Key:
    """The configured key; with ``create``, a new default key file when none is configured."""
    text = os.environ.get(KEY_ENV)
    if text:
        return Key(decode(text, f"${KEY_ENV}"), "environment")
    path = key_file()
    if path.is_file():
        return read_key_file(path)
    if not create:
        raise no_key_error()
    write_key_file(path, generate())
    return read_key_file(path)
