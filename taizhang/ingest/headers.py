"""Find the header row of a sheet and map its cells to a contract's columns.

Departments decorate headers: spaces anywhere (also full-width), a ``*`` or
``＊`` marking required fields, an annotation in full- or half-width
parentheses after the name (``出生日期（年月日）``, ``身份证号(必填)``). NFKC
folds the full-width forms to ASCII; whitespace, the stars and trailing
parenthesised annotations are then dropped, and what is left (the name) is
compared with the equally normalised header and aliases of each contract
column.

The header is the first row, among the first rows of a sheet, that reads as
the source's header (names every required column); rows above it (a title,
often a merged cell, blank rows) are not data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from data_contracts import Contract

_SPACES = re.compile(r"\s+")
# An annotation after the name: ``(...)`` at the end (after NFKC, full-width parentheses are ASCII).
_ANNOTATION = re.compile(r"\([^()]*\)$")
# How many rows from the top of a sheet may hold the header (titles and notes come first).
HEADER_SCAN_ROWS = 30


def normalize_header(cell: str | None) -> str:
    """The comparison key of a header cell: NFKC, no whitespace, no ``*``, no trailing annotation."""
    if cell is None:
        return ""
    text = _SPACES.sub("", unicodedata.normalize("NFKC", cell)).strip("*")
    while True:
        name = _ANNOTATION.sub("", text).strip("*")
        if name == text or not name:
            return text
        text = name


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
    ``extra`` under the header's name (made unique with ``#2``, ``#3`` so no
    value is lost); an empty header cell is keyed ``列<position>``.
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
        # Keyed by the name (annotations and spaces dropped): the same column on every sheet.
        shown = normalize_header(cell) or f"列{pos + 1}"
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


@dataclass(frozen=True)
class HeaderSearch:
    """The header row of one sheet (``index`` into the rows scanned), or the best near miss."""

    index: int | None  # None: no row reads as the source's header
    header_map: HeaderMap  # the header's map, or the near miss's (naming what is missing)
    cells: list[str | None]  # the cells of that row as written


def find_header(rows: list[list[str | None]], contract: Contract) -> HeaderSearch | None:
    """The first of ``rows`` that reads as ``contract``'s header; else the row naming most columns.

    Returns None when no row has a single non-empty cell.
    """
    best: HeaderSearch | None = None
    for i, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        header_map = map_headers(cells, contract)
        if header_map.matches:
            return HeaderSearch(i, header_map, cells)
        if best is None or len(header_map.columns) > len(best.header_map.columns):
            best = HeaderSearch(None, header_map, cells)
    return best
