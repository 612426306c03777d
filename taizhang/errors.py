"""The errors an operator can fix: the one exception type and the runner's messages built with it.

Shared by the runner and its storage, key, lock and disk modules.
"""

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


def bad_period(text: str) -> PipelineError:
    """A period that is not ``<year>H1`` or ``<year>H2``."""
    return PipelineError(
        "bad_period",
        f"期次「{text}」格式不对，应为 2026H1（上半年）或 2026H2（下半年）。",
        f"period {text!r} is not of the form 2026H1 (first half) or 2026H2 (second half).",
    )


def id_scheme_broken(reason: str) -> PipelineError:
    """The linker found an invariant of the child-id scheme broken: the maintainers' fault, not the data's."""
    return PipelineError(
        "id_scheme_broken",
        f"儿童编号规则的一致性检查未通过（{reason}），本期未发布任何输出；请将本消息报告给维护人员。",
        f"an invariant of the child-id scheme does not hold ({reason}); nothing was published for this "
        "half-year; report this message to the maintainers.",
    )


def required_sources_missing(errors: list[dict[str, Any]]) -> PipelineError | None:
    """The error that stops a run when a required source has no file, or none of its files could be read.

    ``errors`` are ingest's file-level errors. The message names the missing sources, and for a
    source whose files are there but unreadable, each file with its reason code and reason.
    """
    fatal = [e for e in errors if isinstance(e, dict) and "missing" in str(e.get("code", ""))]
    if not fatal:
        return None
    missing = sorted({str(e.get("source")) for e in fatal if e.get("code") == "missing_source"})
    unreadable = sorted({str(e.get("source")) for e in fatal if e.get("code") != "missing_source"})
    zh, en = [], []
    if missing:
        zh.append(f"缺少必需的数据来源：{', '.join(missing)}（提取文件夹中没有它们的文件）。")
        en.append(f"required source(s) missing: {', '.join(missing)} (none of their files is in the folder).")
    for source in unreadable:
        files = [e for e in errors if e.get("source") == source and e.get("file")]
        zh.append(
            f"必需的数据来源「{source}」的文件均无法读取："
            + "；".join(f"{e['file']}（{e.get('code')}）" for e in files)
            + "。"
        )
        en.append(
            f"no file of required source {source} could be read: "
            + "; ".join(f"{e['file']} ({e.get('code')})" for e in files)
            + "."
        )
        zh.extend(str(e.get("message_zh")) for e in files if e.get("message_zh"))
        en.extend(str(e.get("message_en")) for e in files if e.get("message_en"))
    zh.append("请补齐或更正后重新运行（各来源说明见 docs/extracts.md）。")
    en.append("Add or correct them and run again (see docs/extracts.md).")
    return PipelineError(
        "missing_source" if not unreadable else "unreadable_source", "\n".join(zh), "\n".join(en)
    )
