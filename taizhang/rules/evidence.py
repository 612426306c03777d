"""Evidence of a decision as JSON text: the source rows and status events behind it.

Every flag carries ``{"records": [{source, file, row_number}, …], "events":
[{file, row_number, status, start, end}, …]}`` so that a county worker can
open the department extract at the right row. Statuses are already masked
(艾滋病病毒感染 → 特殊疾病（已脱敏）) and the text passes through the emit mask
once more, so the sensitive term cannot leak through this path either.
"""

from __future__ import annotations

import polars as pl

from taizhang.masking import SENSITIVE_TERM, mask_sensitive
from taizhang.rules.row_refs import EVENT_DTYPE, REF_DTYPE

REFS = pl.List(REF_DTYPE)
EVENTS = pl.List(EVENT_DTYPE)


def _mask_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(SENSITIVE_TERM, mask_sensitive(SENSITIVE_TERM), literal=True)


def sorted_unique(lists: pl.Expr, dtype: pl.Struct) -> pl.Expr:
    """Each list of ``dtype`` structs sorted field by field, duplicates dropped.

    The same lists as ``.list.unique().list.sort()``, several times faster: polars
    sorts a list of structs by encoding every element on its own, where sorting by
    the fields in turn works on plain columns.
    """
    e = pl.element()
    fields = [e.struct.field(f.name) for f in dtype.fields]
    return lists.list.eval(e.sort_by(*fields).unique(maintain_order=True))


def refs_of(*lists: pl.Expr) -> pl.Expr:
    """Concatenate lists of row refs (nulls as empty), unique and sorted for determinism."""
    parts = [e.cast(REFS).fill_null(pl.lit([], dtype=REFS)) for e in lists]
    return sorted_unique(pl.concat_list(parts), REF_DTYPE)


def events_of(*lists: pl.Expr) -> pl.Expr:
    """Concatenate lists of event structs (nulls as empty), unique and sorted by file and row."""
    parts = [e.cast(EVENTS).fill_null(pl.lit([], dtype=EVENTS)) for e in lists]
    return sorted_unique(pl.concat_list(parts), EVENT_DTYPE)


def evidence_json(records: pl.Expr, events: pl.Expr | None = None) -> pl.Expr:
    """The JSON evidence text of one decision."""
    ev = events if events is not None else pl.lit([], dtype=EVENTS)
    return _mask_expr(
        pl.struct(records.cast(REFS).alias("records"), ev.cast(EVENTS).alias("events")).struct.json_encode()
    )
