"""Mainland mobile numbers: 11 digits starting with 1[3-9].

Accepts ``+86``/``0086``/``86`` prefixes, spaces, dashes, dots, parentheses,
full-width digits and an Excel ``.0`` tail. Landlines and anything else give
null: only a mobile is a reliable contact key shared across departments.
"""

from __future__ import annotations

import polars as pl

_MOBILE = r"^1[3-9]\d{9}$"


def parse_phone(raw: pl.Expr) -> pl.Expr:
    """The 11-digit mobile number in raw phone text, or null."""
    text = (
        raw.str.normalize("NFKC")
        .str.strip_chars()
        .str.replace(r"\.0+$", "")
        .str.replace_all(r"[\s\-().·/]", "")
        .str.replace(r"^(?:\+?0{0,2}86)(1\d{10})$", "$1")
    )
    return pl.when(text.str.contains(_MOBILE)).then(text)
