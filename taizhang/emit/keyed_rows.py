"""A province frame cut by a key (a county, a push destination) once, and written a batch of keys at a time.

Emit writes one workbook per county and one push list per destination. Making
every workbook's sheets for the whole province at once holds all of them in
memory; making them one key at a time filters the province once per key.
Instead the rows are put in key order once, as row indices (the frame itself
is not copied), and the keys are taken in batches of about
:data:`ROWS_PER_BATCH` rows: a batch's rows are gathered, its sheets made and
written, and let go before the next batch. Memory then follows the batch, and
the work is one sort and one gather per row, whatever the number of keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

# Rows (of all a key's sheets together) made and written as one batch. A batch's sheets and
# workbooks in flight cost about 1 kB a row; a key with more rows than this is a batch of its own.
ROWS_PER_BATCH = 100_000


@dataclass(frozen=True)
class KeyedRows:
    """``frame``'s rows by ``key``, and within a key in a given order (nulls last, ties kept)."""

    frame: pl.DataFrame
    order: pl.Series  # row indices of ``frame``, key by key
    spans: dict[Any, tuple[int, int]]  # key -> (offset, length) in ``order``

    @classmethod
    def of(cls, frame: pl.DataFrame, key: str, order: Iterable[str]) -> KeyedRows:
        index = frame.select(pl.arg_sort_by([key, *order], nulls_last=True, maintain_order=True)).to_series()
        runs = frame.get_column(key).gather(index).rle().struct.unnest().rows()
        spans, offset = {}, 0
        for length, value in runs:  # one run per key value (the rows are in key order)
            spans[value] = (offset, length)
            offset += length
        return cls(frame, index, spans)

    def count(self, value: Any) -> int:
        """How many rows ``value`` of the key has."""
        return self.spans.get(value, (0, 0))[1]

    def rows_of(self, values: Sequence[Any]) -> pl.DataFrame:
        """The rows of ``values`` (in that order of keys), each key's rows in their order."""
        picked = [self.order.slice(*self.spans[v]) for v in values if v in self.spans]
        if not picked:
            return self.frame.clear()
        return self.frame.select(pl.all().gather(pl.concat(picked)))


def in_batches(
    values: Sequence[Any], rows: Callable[[Any], int], limit: int | None = None
) -> list[list[Any]]:
    """``values`` in order, cut into runs of about ``limit`` rows (:data:`ROWS_PER_BATCH`); a key
    is never split, and one larger than the limit is a batch of its own."""
    limit = ROWS_PER_BATCH if limit is None else limit
    batches: list[list[Any]] = []
    held = 0
    for value in values:  # one step per key (a county, a destination), never per row
        n = rows(value)
        if not batches or (held + n > limit and batches[-1]):
            batches.append([])
            held = 0
        batches[-1].append(value)
        held += n
    return batches
