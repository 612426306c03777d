"""What a liaison is told about each file a department sent (or that was refused), from file reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


def field_of(obj: Any, *names: str, default: Any = None) -> Any:
    """A field of a file report, whether it is a dataclass, an object or a dict."""
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj and obj[name] is not None:
                return obj[name]
        elif getattr(obj, name, None) is not None:
            return getattr(obj, name)
    return default


@dataclass(frozen=True)
class FileLine:
    """What a liaison needs to know about one received (or refused) file."""

    file: str
    form: str  # encoding or sheet names
    rows_read: int | None
    staged: int | None
    quarantined: int | None
    unknown_headers: tuple[str, ...]
    error_code: str | None
    error_zh: str | None


def file_lines(reports: Iterable[Any], source: str) -> list[FileLine]:
    lines = []
    for r in reports:
        if field_of(r, "source") != source:
            continue
        error = field_of(r, "error")
        sheets = field_of(r, "sheets", "sheet_names", default=())
        form = " ".join(str(x) for x in (field_of(r, "format"), field_of(r, "encoding")) if x)
        if sheets and not isinstance(sheets, str):
            form = "工作表：" + "、".join(str(s) for s in sheets)
        elif sheets:
            form = f"工作表：{sheets}"
        unknown = field_of(r, "unknown_headers", default=())
        lines.append(
            FileLine(
                file=str(field_of(r, "file", default="（未收到文件）")),
                form=str(form),
                rows_read=field_of(r, "rows_read", "rows"),
                staged=field_of(r, "staged", "rows_staged"),
                quarantined=field_of(r, "quarantined", "rows_quarantined"),
                unknown_headers=tuple(str(h) for h in (unknown or ())),
                error_code=field_of(error, "code") if error is not None else field_of(r, "code"),
                error_zh=(
                    field_of(error, "message_zh", "zh", "message")
                    if error is not None
                    else field_of(r, "message_zh", "zh", "message_cn")
                ),
            )
        )
    # A file error may arrive both inside its file report and in the error list: show it once.
    unique = {(f.file, f.error_code, f.error_zh): f for f in lines}
    return sorted(unique.values(), key=lambda f: (f.file, f.error_code or ""))
