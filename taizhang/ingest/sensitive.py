"""Sensitive values replaced by their codes the moment a file is read.

A contract may declare sensitive values with a code each (``person_status``:
艾滋病病毒感染 → ``SD01``). Staged frames carry the code in place of the value,
in every text column and every source (a remark may name it too), so neither
the stage cache, the period's state, a validation report nor a log line ever
holds the words. The rules need only to know that a status is the sensitive
one, which the code says; the validation suites check the category against
the allowed list with the code in place of the value.
"""

from __future__ import annotations

import polars as pl

from data_contracts import Contract, load_contracts

_ROW_KEYS = frozenset({"source", "file", "row_number"})


def sensitive_codes(contracts: dict[str, Contract] | None = None) -> dict[str, str]:
    """Every contract's sensitive values and their codes, longest value first."""
    codes: dict[str, str] = {}
    for contract in (contracts or load_contracts()).values():
        codes.update(dict(contract.sensitive_codes))
    return dict(sorted(codes.items(), key=lambda kv: (-len(kv[0]), kv[0])))


def code_sensitive_values(frame: pl.DataFrame, codes: dict[str, str] | None = None) -> pl.DataFrame:
    """``frame`` with every sensitive value in its text columns replaced by its code."""
    codes = sensitive_codes() if codes is None else codes
    text = [c for c, t in frame.schema.items() if t == pl.Utf8 and c not in _ROW_KEYS]
    if not codes or not text or frame.height == 0:
        return frame
    # Only the columns that hold a sensitive value are rewritten (one scan decides which).
    hits = frame.select(
        pl.any_horizontal([pl.col(c).str.contains(value, literal=True) for value in codes]).any().alias(c)
        for c in text
    ).row(0, named=True)
    rewrite = [c for c in text if hits[c]]
    if not rewrite:
        return frame
    exprs = []
    for column in rewrite:
        expr = pl.col(column)
        for value, code in codes.items():
            expr = expr.str.replace_all(value, code, literal=True)
        exprs.append(expr.alias(column))
    return frame.with_columns(exprs)
