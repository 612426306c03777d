"""Sex as ``男``/``女``/null, from the codes departments use.

``男``/``女`` (also ``男性``/``女性``), the GB/T 2261.1 digits ``1``/``2`` (``0``
unknown and ``9`` unspecified give null), ``M``/``F`` and ``male``/``female``
in any case. A recorded sex that disagrees with the identity number's 17th
digit is flagged, not resolved: either may be the typo, and the linker and
profile rules weigh the evidence.
"""

from __future__ import annotations

import polars as pl

_CODES: dict[str, str] = {
    "男": "男",
    "男性": "男",
    "1": "男",
    "M": "男",
    "MALE": "男",
    "女": "女",
    "女性": "女",
    "2": "女",
    "F": "女",
    "FEMALE": "女",
}


def parse_sex(raw: pl.Expr) -> pl.Expr:
    """``男``/``女`` or null from raw sex text."""
    text = raw.str.normalize("NFKC").str.strip_chars().str.to_uppercase().str.replace(r"\.0+$", "")
    return text.replace_strict(_CODES, default=None, return_dtype=pl.Utf8)


def sex_conflict(sex: pl.Expr, id_sex: pl.Expr) -> pl.Expr:
    """True when both are known and differ; False otherwise (never null)."""
    return (sex.is_not_null() & id_sex.is_not_null() & (sex != id_sex)).fill_null(False)
