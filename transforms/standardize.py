"""Stage 2's three tables, each made by its own module: the entry points the runner calls.

``std_records`` (:mod:`transforms.std_records`), ``std_guardians``
(:mod:`transforms.std_guardians`) and ``std_status`` (:mod:`transforms.std_status`)
from the staged rows; what they share in :mod:`transforms.staged_rows`.
"""

from __future__ import annotations

from transforms.staged_rows import stacked_child_rows
from transforms.std_guardians import standardize_guardians
from transforms.std_records import standardize_records
from transforms.std_status import standardize_status

__all__ = ["stacked_child_rows", "standardize_guardians", "standardize_records", "standardize_status"]
