"""Map the header cells of a file to a contract's columns.

Departments decorate headers: surrounding (also full-width) spaces,
full-width parentheses, a ``*``, ``＊`` or ``（必填）`` marking required fields. NFKC folds
the full-width forms to ASCII; whitespace and the required-field marker are
then dropped, and the result is compared with the equally normalised header
and aliases of each contract column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from data_contracts import Contract

_SPACES = re.compile(r"\s+")
# Required-field markers: a leading/trailing ``*``, or a trailing ``(必填)`` / ``(*)``.
_REQUIRED_MARK = re.compile(r"\((?:必填项?|\*)\)$")


def normalize_header(cell: str | None) -> str:
    """The comparison key of a header cell: NFKC, no whitespace, no leading/trailing ``*``."""
    if cell is None:
        return ""
    text = unicodedata.normalize("NFKC", cell)
    text = _SPACES.sub("", text)
    text = _REQUIRED_MARK.sub("", text)
    return text.strip("*")


@dataclass(frozen=True)
class HeaderMap:
    """How the header cells of one file map to the contract.

    ``columns`` maps a cell position to a contract column; ``extra`` maps a
    position to the key it gets in the ``extra`` JSON object.
    """

    columns: dict[int, str]
    extra: dict[int, str]
    mapping: dict[str, str]  # header cell as written -> contract column
    unknown: list[str]  # header cells as written that match no column
    missing_required: list[str]  # canonical headers of required columns not found
    missing_optional: list[str]  # names of optional columns not found

    @property
    def matches(self) -> bool:
        return not self.missing_required and bool(self.columns)


def map_headers(headers: list[str | None], contract: Contract) -> HeaderMap:
    """Match header cells to contract columns; the first cell for a column wins.

    A second cell naming an already-mapped column, and any unknown cell, go to
    ``extra`` under the header as written (made unique with ``#2``, ``#3`` so
    no value is lost); an empty header cell is keyed ``列<position>``.
    """
    lookup: dict[str, str] = {}
    for col in contract.columns:
        for h in col.headers:
            lookup.setdefault(normalize_header(h), col.name)
    columns: dict[int, str] = {}
    extra: dict[int, str] = {}
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    used_keys: set[str] = set()
    for pos, cell in enumerate(headers):
        name = lookup.get(normalize_header(cell))
        if name is not None and name not in columns.values():
            columns[pos] = name
            mapping[str(cell)] = name
            continue
        shown = (cell or "").strip() or f"列{pos + 1}"
        key, n = shown, 1
        while key in used_keys:
            n += 1
            key = f"{shown}#{n}"
        used_keys.add(key)
        extra[pos] = key
        if (cell or "").strip():
            unknown.append(str(cell))
    found = set(columns.values())
    return HeaderMap(
        columns=columns,
        extra=extra,
        mapping=mapping,
        unknown=unknown,
        missing_required=[c.header for c in contract.columns if c.required and c.name not in found],
        missing_optional=[c.name for c in contract.columns if not c.required and c.name not in found],
    )
