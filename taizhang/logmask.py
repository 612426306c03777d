"""The last line of defence for logs and error output: personal values masked before they are written.

The pipeline logs counts and codes and its errors name files, rows and
columns, never values. Should a value slip into a message anyway (a library's
error quoting a raw row, say), :class:`MaskPersonalData` rewrites every log
record before any handler writes it, and :func:`install` also masks what
Python prints for an uncaught exception:

- an 18-character identity number (17 digits and a digit or X) or a 15-digit
  one, standing alone (not inside a longer run of letters and digits, such as
  a sha256 digest), becomes ``[身份证号已脱敏]``;
- an 11-digit mainland mobile number (1[3-9] and 9 digits) becomes ``[手机号已脱敏]``;
- ``艾滋病病毒感染`` becomes ``特殊疾病（已脱敏）``.

:func:`install` puts the filter on the root logger's and Prefect's handlers
and wraps the log record factory, so records of loggers that write through
their own handlers, or handlers added later (Prefect adds its own when a
flow starts), are masked as well.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType
from typing import Any

from taizhang.masking import mask_sensitive

_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
ID_MASK = "[身份证号已脱敏]"
MOBILE_MASK = "[手机号已脱敏]"
_LOGGERS = ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.server", "uvicorn", "taizhang")


def mask_text(text: str) -> str:
    """``text`` with identity numbers, mobiles and the sensitive status masked."""
    return mask_sensitive(_MOBILE.sub(MOBILE_MASK, _ID.sub(ID_MASK, text)))


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_taizhang_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: keep both, masked
        message = f"{record.msg} {record.args!r}"
    masked = mask_text(str(message))
    if record.exc_info and record.exc_info[1] is not None:
        # Handlers format the traceback themselves (some, like rich, from exc_info): hand them
        # the masked text instead of the exception object.
        text = "".join(traceback.format_exception(*record.exc_info))
        masked = f"{masked}\n{mask_text(text).rstrip()}"
        record.exc_info = None
        record.exc_text = None
    elif record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    record.msg = masked
    record.args = None
    record._taizhang_masked = True


class MaskPersonalData(logging.Filter):
    """A logging filter that masks personal values in a record (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


_FILTER = MaskPersonalData()
_installed: list[Any] = []


def add_to_handlers(names: tuple[str, ...] = _LOGGERS) -> None:
    """Put the filter on every handler of the named loggers (idempotent)."""
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    sys.stderr.write(mask_text("".join(traceback.format_exception(kind, value, tb))))


def install() -> None:
    """Mask every log record and uncaught exception of this process from now on."""
    add_to_handlers()
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _mask_record(record)
        return record

    logging.setLogRecordFactory(factory)
    sys.excepthook = _excepthook
    _installed.append(factory)
