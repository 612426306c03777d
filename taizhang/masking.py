"""The sensitive term and its mask: ``艾滋病病毒感染`` is never shown in clear.

A ground-floor module: every stage may use it (standardize masks the status,
the rules word their evidence with the masked term, emit masks every value it
writes, logging masks messages) and it uses no stage.

The person-status extract may report HIV infection. It can drive a flag (Jilin
treats HIV-infected children like orphans, 参照孤儿保障), but the term must not
appear in clear text in any ledger, workbook, list or report
(docs/ARCHITECTURE.md, "Personal information"). Every text value the emit stage
writes passes through :func:`mask_sensitive`; the term, its mask and the
replacement are defined here and nowhere else.
"""

from __future__ import annotations

import json
import re
from typing import overload

import polars as pl

SENSITIVE_TERM = "艾滋病病毒感染"
MASKED_TERM = "特殊疾病（已脱敏）"

# JSON written with ensure_ascii=True carries the term as \uXXXX escapes, which
# any JSON reader turns back into clear text: mask that spelling too.
_ESCAPED_MASK = json.dumps(MASKED_TERM, ensure_ascii=True)[1:-1]
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    (SENSITIVE_TERM, MASKED_TERM),
    ("".join(f"\\u{ord(c):04x}" for c in SENSITIVE_TERM), _ESCAPED_MASK),
    ("".join(f"\\u{ord(c):04X}" for c in SENSITIVE_TERM), _ESCAPED_MASK),
)


# Any spelling above, as one pattern: a text column is rewritten only when some value holds one.
_ANY_SPELLING = "|".join(re.escape(old) for old, _ in _REPLACEMENTS)


def _mask_str(text: str) -> str:
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    return text


def _mask_expr(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """An expression masking ``expr`` of type ``dtype``, or None when it holds no text."""
    if isinstance(dtype, (pl.Categorical, pl.Enum)):
        expr, dtype = expr.cast(pl.Utf8), pl.Utf8()
    if dtype == pl.Utf8:
        for old, new in _REPLACEMENTS:
            expr = expr.str.replace_all(old, new, literal=True)
        return expr
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = _mask_expr(pl.element(), dtype.inner)
        if inner is None:
            return None
        expr = expr if isinstance(dtype, pl.List) else expr.arr.to_list()
        return expr.list.eval(inner)
    if isinstance(dtype, pl.Struct):
        fields = [(f.name, _mask_expr(expr.struct.field(f.name), f.dtype)) for f in dtype.fields]
        if all(masked is None for _, masked in fields):
            return None
        rebuilt = pl.struct(
            [
                (masked if masked is not None else expr.struct.field(name)).alias(name)
                for name, masked in fields
            ]
        )
        return pl.when(expr.is_null()).then(None).otherwise(rebuilt)
    return None


@overload
def mask_sensitive(value: str) -> str: ...
@overload
def mask_sensitive(value: None) -> None: ...
@overload
def mask_sensitive(value: pl.DataFrame) -> pl.DataFrame: ...
def mask_sensitive(value: str | pl.DataFrame | None) -> str | pl.DataFrame | None:
    """Replace ``艾滋病病毒感染`` by ``特殊疾病（已脱敏）`` in a text or in every text column of a frame.

    Frames are masked column-wise (strings, categoricals, lists and structs of
    strings) and in their column names, since summary columns are named after
    data values such as service gaps.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return _mask_str(value)
    schema = value.schema
    # One scan finds the text columns holding a spelling of the term (most hold none): only
    # those are rewritten, so masking a clean frame copies no column.
    texts = [name for name, dtype in schema.items() if dtype == pl.Utf8]
    found = (
        value.select(pl.col(n).str.contains(_ANY_SPELLING).any() for n in texts).row(0)
        if texts and value.height
        else [False] * len(texts)
    )
    clean = {name for name, hit in zip(texts, found, strict=True) if not hit}
    exprs = []
    for name, dtype in schema.items():
        masked = None if name in clean else _mask_expr(pl.col(name), dtype)
        exprs.append((masked if masked is not None else pl.col(name)).alias(_mask_str(name)))
    return value.select(exprs)
