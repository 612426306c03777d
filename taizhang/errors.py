"""The error an operator can fix, shared by the pipeline and its storage, key, lock and disk modules."""

from __future__ import annotations

from typing import Any


class PipelineError(Exception):
    """An expected failure the operator can fix (missing source, bad period, empty folder, no key).

    ``code`` is stable for scripts; the message is Chinese then English and
    never quotes a value from a record.
    """

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.code = code
        self.zh = zh
        self.en = en

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect persists a failed task's exception; keep it unpicklable-proof.
        return (PipelineError, (self.code, self.zh, self.en))
