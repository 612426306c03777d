"""Stage 2's three tables, each made by its own module: the entry points the runner calls.

``std_records`` (:mod:`transforms.std_records`), ``std_guardians``
(:mod:`transforms.std_guardians`) and ``std_status`` (:mod:`transforms.std_status`)
from the staged rows; what they share in :mod:`transforms.staged_rows` and
:mod:`transforms.value_tables`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import polars as pl

from transforms.staged_rows import stacked_child_rows
from transforms.std_guardians import GUARDIAN_INPUTS, guardians_from_rows, standardize_guardians
from transforms.std_records import RECORD_INPUTS, records_from_rows, standardize_records
from transforms.std_status import standardize_status
from transforms.value_tables import value_tables

__all__ = [
    "stacked_child_rows",
    "standardize_guardians",
    "standardize_records",
    "standardize_status",
    "standardized_tables",
]


def standardized_tables(
    staged: dict[str, pl.DataFrame], today: date | None = None
) -> Iterator[tuple[str, pl.DataFrame]]:
    """``std_records``, ``std_guardians`` and ``std_status`` one after the other, as (name, table).

    The same tables as the three functions above, made for a whole province:
    the child-level rows are stacked once (sharing the staged frames' memory)
    and names, identity numbers and phones parsed once for both child tables;
    each table is handed over before the next is built, so a caller that
    writes it and lets it go holds one table at a time. The generator keeps no
    reference to ``staged`` once it has stacked it, so pass a dict nobody else holds.
    """
    status_staged = {s: frame for s, frame in staged.items() if s == "person_status"}
    rows = stacked_child_rows(staged, tuple(dict.fromkeys([*RECORD_INPUTS, *GUARDIAN_INPUTS])))
    del staged
    tables = value_tables(rows, today)
    yield "std_records", records_from_rows(rows, tables, today)
    yield "std_guardians", guardians_from_rows(rows, tables)
    del rows, tables
    yield "std_status", standardize_status(status_staged, today)
