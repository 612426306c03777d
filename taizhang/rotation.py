"""Key rotation: re-encrypt every sealed file of some output folders with a new key.

The new key is made first and kept beside the current one (``<key file>.new``,
0600); every sealed file under each output folder and its stage cache is then
re-encrypted file by file (each atomically, so a file is always whole and
sealed with one key or the other); only when all are done does the new key
replace the old one. A rotation that stops half-way (a crash, a full disk) is
finished by running it again: files already under the new key are skipped.

A key given in the environment (``TAIZHANG_KEY``) is rotated to the key in
``TAIZHANG_NEW_KEY``; the operator then puts the new key in place of the old
one wherever the environment is set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from taizhang import audit, keys, runlock, sealed
from taizhang.diskfaults import reported_as_disk_faults
from taizhang.errors import PipelineError


@dataclass
class Rotation:
    old_id: str
    new_id: str
    resealed: dict[str, int] = field(default_factory=dict)  # folder -> files re-encrypted
    key_origin: str = ""


def _new_key(current: keys.Key) -> keys.Key:
    if current.origin == "environment":
        text = os.environ.get(keys.NEW_KEY_ENV)
        if not text:
            raise PipelineError(
                "new_key_missing",
                f"密钥来自环境变量 {keys.KEY_ENV}：请把新密钥放入 {keys.NEW_KEY_ENV} 后再轮换。",
                f"the key comes from {keys.KEY_ENV}: put the new key in {keys.NEW_KEY_ENV} and rotate again.",
            )
        return keys.Key(keys.decode(text, f"${keys.NEW_KEY_ENV}"), "environment")
    pending = Path(f"{current.origin}.new")
    if not pending.is_file():
        keys.write_key_file(pending, keys.generate())
    return keys.read_key_file(pending)


def _sealed_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.name.endswith((".tmp", runlock.ALIVE_SUFFIX)):
            continue
        if sealed.is_sealed(path):
            found.append(path)
    return found


def rotate(outs: list[Path], cache_dirs: list[Path] | None = None) -> Rotation:
    """Re-encrypt the sealed files under ``outs`` (and extra cache folders) with a new key, then switch."""
    old = keys.load()
    new = _new_key(old)
    if new.id == old.id:
        raise PipelineError(
            "new_key_same",
            "新密钥与当前密钥相同。",
            "the new key is the same as the current key.",
        )
    result = Rotation(old.id, new.id, key_origin=old.origin)
    for out in outs:
        out = Path(out)
        if not out.is_dir():
            raise PipelineError(
                "out_missing", f"找不到输出文件夹 {out}。", f"the output folder {out} does not exist."
            )
        with (
            reported_as_disk_faults(out),
            audit.recorded(out, "rotate-key", old_key_id=old.id, new_key_id=new.id) as entry,
            runlock.folder_lock(out, "rotate-key"),
        ):
            count = sum(sealed.reseal(path, old, new) for path in _sealed_files(out))
            entry["files_resealed"] = count
            result.resealed[str(out)] = count
    for folder in cache_dirs or ():
        with reported_as_disk_faults(Path(folder)):
            count = sum(sealed.reseal(path, old, new) for path in _sealed_files(Path(folder)))
        result.resealed[str(folder)] = count
    if old.origin != "environment":
        os.replace(f"{old.origin}.new", old.origin)
    return result
