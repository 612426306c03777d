"""Turn a file's raw cells into contract columns and split its rows into staged and quarantined.

All checks are polars expressions over the whole file. A row gets at most one
reason, the first that applies in ``REASON_ORDER``: first damage (the reader's
``_damage``, control characters, an oversized cell), then rows that hold no
child (empty, a total, error values, mojibake, a lone number), then the
contract's row checks. Bad identity numbers, odd dates and unknown codes are
*not* reasons here (standardisation and validation report them as warnings),
because a record with a typo still describes a child.

The row checks look at one string per row, its cells joined by a separator
no cell holds, so each is one regular-expression pass over the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from data_contracts import Contract
from taizhang.ingest.headers import HeaderMap
from taizhang.ingest.model import QUARANTINE_SCHEMA, REASONS

# Empty: null, or nothing but (also full-width) spaces.
_EMPTY = r"^[\s\x{3000}]*$"
# Excel's error values, as Excel shows them (also when exported to CSV as text).
_ERROR_VALUE = r"#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NULL!|NUM!|GETTING_DATA|SPILL!|CALC!)"
# Mojibake: UTF-8 text of U+FFFD read as GBK (锟斤拷), uninitialised memory shown as GBK (烫烫, 屯屯).
_MOJIBAKE = r"锟斤拷|烫烫|屯屯"
# A character that is no text: punctuation, symbols, controls, U+FFFD (``?`` of a failed conversion).
_JUNK_CHAR = r"[[\p{P}\p{S}\p{C}\x{FFFD}]--[\x1f]]"
_SPACE = r"[ \t\r\n\x{3000}\x{A0}]"
# Garbage identifiers: nothing but junk characters, mojibake, error values and spaces.
_GARBAGE = rf"^(?:{_JUNK_CHAR}|{_SPACE}|\p{{Z}}|{_MOJIBAKE}|{_ERROR_VALUE})*$"
# Row strings: cells joined by a unit separator (no department types one).
_SEP = "\x1f"
_NUMBER = r"\d{1,7}(?:\.0+)?"  # a serial number (or the 0 of an empty formula)
_JUNK_CELL = rf"{_SPACE}*(?:{_ERROR_VALUE}|{_NUMBER}|(?:{_JUNK_CHAR}|{_MOJIBAKE})+)?{_SPACE}*"
_JUNK_ROW = rf"^{_JUNK_CELL}(?:{_SEP}{_JUNK_CELL})*$"
_GAP = rf"[{_SEP} \t\x{{3000}}]"
# A total row: its first cell (after a serial number, if any) starts 合计, 总计 or 小计.
_TOTAL_ROW = rf"^{_GAP}*(?:{_NUMBER}{_GAP}+)?(?:合|总|小){_SPACE}*计"
_EMPTY_ROW = rf"^[{_SEP} \t\r\n\x{{3000}}\x{{A0}}]*$"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1e\x7f]"
# Excel holds at most 32,767 characters in a cell; a longer one is damage, not data.
CELL_LIMIT = 32_767


def staged_schema(contract: Contract) -> dict[str, pl.DataType]:
    """Columns of ``stg_<source>``: row identity, one text column per contract column, ``extra``."""
    schema: dict[str, pl.DataType] = {"source": pl.String(), "file": pl.String(), "row_number": pl.Int64()}
    schema.update({name: pl.String() for name in contract.column_names})
    schema["extra"] = pl.String()
    return schema


def empty_staged(contract: Contract) -> pl.DataFrame:
    return pl.DataFrame(schema=staged_schema(contract))


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def map_cells(
    cells: pl.DataFrame, header_map: HeaderMap, contract: Contract, source: str, file: str
) -> pl.DataFrame:
    """Raw cells -> contract columns (missing ones null) and ``extra`` (JSON of unknown columns)."""
    by_name = {name: f"c{pos}" for pos, name in header_map.columns.items()}
    exprs = [
        pl.lit(source, dtype=pl.String).alias("source"),
        pl.lit(file, dtype=pl.String).alias("file"),
        pl.col("row_number"),
    ]
    for name in contract.column_names:
        cell = by_name.get(name)
        exprs.append((pl.col(cell) if cell else pl.lit(None, dtype=pl.String)).alias(name))
    if header_map.extra:
        # Keys in header order; a row whose unknown cells are all empty carries no extra.
        fields = [pl.col(f"c{pos}").alias(key) for pos, key in sorted(header_map.extra.items())]
        any_value = pl.any_horizontal(pl.col(f"c{pos}").is_not_null() for pos in header_map.extra)
        exprs.append(
            pl.when(any_value).then(pl.struct(fields).struct.json_encode()).otherwise(None).alias("extra")
        )
    else:
        exprs.append(pl.lit(None, dtype=pl.String).alias("extra"))
    # The row's place and its reader/row-check reason travel along when present.
    exprs.extend(pl.col(c) for c in ("sheet", "excel_row", "_pre") if c in cells.columns)
    return cells.select(exprs)


def row_reasons(rows: pl.DataFrame) -> pl.Series:
    """The reason code of each raw row that is damaged or holds no child, else null.

    ``rows`` has ``_damage`` (the reader's code) and the cells ``c0..cN``.
    Three anchored or one-class regular expressions pass over every row; the
    reason is then told apart only on the few rows they pick.
    """
    cells = [c for c in rows.columns if not c.startswith("_") and c != "row_number"]
    if not cells:
        return rows["_damage"].alias("_reason")
    text = rows.select(
        pl.concat_str([pl.col(c).fill_null("") for c in cells], separator=_SEP).alias("_text"),
        "_damage",
    )
    picked = text.select(
        (
            pl.col("_damage").is_not_null()
            | pl.col("_text").str.contains(_JUNK_ROW)
            | pl.col("_text").str.contains(_TOTAL_ROW)
            | pl.col("_text").str.contains(_CONTROL)
            | (pl.col("_text").str.len_bytes() > CELL_LIMIT)
        ).arg_true()
    ).to_series()
    reasons = pl.repeat(None, rows.height, dtype=pl.String, eager=True).alias("_reason")
    if picked.len() == 0:
        return reasons
    longest = rows[picked].select(pl.max_horizontal(pl.col(c).str.len_chars() for c in cells).fill_null(0))
    sub = text[picked].with_columns(longest.to_series().alias("_longest"))
    junk = pl.col("_text").str.contains(_JUNK_ROW)
    reason = (
        pl.when(pl.col("_damage").is_not_null())
        .then(pl.col("_damage"))
        .when(pl.col("_text").str.contains(_CONTROL))
        .then(pl.lit("control_characters"))
        .when(pl.col("_longest") > CELL_LIMIT)
        .then(pl.lit("oversized_cell"))
        .when(pl.col("_text").str.contains(_TOTAL_ROW))
        .then(pl.lit("total_row"))
        .when(pl.col("_text").str.contains(_EMPTY_ROW))
        .then(pl.lit("empty_row"))
        .when(junk & pl.col("_text").str.contains(_ERROR_VALUE))
        .then(pl.lit("error_values"))
        .when(junk & pl.col("_text").str.contains(rf"{_JUNK_CHAR}|{_MOJIBAKE}"))
        .then(pl.lit("garbled_row"))
        .when(junk)
        .then(pl.lit("serial_only"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return reasons.scatter(picked, sub.select(reason).to_series())


def _is_empty(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(_EMPTY)


def _is_garbage(col: str) -> pl.Expr:
    return pl.col(col).is_null() | pl.col(col).str.contains(_GARBAGE)


@dataclass(frozen=True)
class Split:
    staged: pl.DataFrame
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA


def split_rows(mapped: pl.DataFrame, contract: Contract) -> Split:
    """Apply the row checks to ``mapped`` rows, whose ``_pre`` holds :func:`row_reasons`' code.

    ``mapped`` also carries ``sheet`` and ``excel_row``, which go to the
    quarantine only.
    """
    branches: list[tuple[pl.Expr, pl.Expr, str | None]] = [
        (pl.col("_pre").is_not_null(), pl.col("_pre"), None)
    ]
    if contract.identifying:
        no_id = pl.all_horizontal(_is_garbage(c) for c in contract.identifying)
        branches.append((no_id, pl.lit("no_identifier"), None))
    for col in contract.columns:
        if col.row_required:
            branches.append((_is_empty(col.name), pl.lit("missing_required_value"), col.name))
    for col in contract.columns:
        if col.row_required and col.allowed and col.type == "enum":
            trimmed = pl.col(col.name).str.strip_chars(" \t\r\n\u3000")
            branches.append((~trimmed.is_in(list(col.allowed)), pl.lit("bad_status"), col.name))

    code = pl.lit(None, dtype=pl.String)
    column = pl.lit(None, dtype=pl.String)
    for cond, reason_code, col_name in reversed(branches):
        code = pl.when(cond).then(reason_code).otherwise(code)
        column = pl.when(cond).then(pl.lit(col_name, dtype=pl.String)).otherwise(column)
    frame = mapped.with_columns(code.alias("reason_code"), column.alias("column"))
    staged = frame.filter(pl.col("reason_code").is_null()).drop(
        "_pre", "reason_code", "column", "sheet", "excel_row"
    )
    quarantine = quarantine_frame(frame.filter(pl.col("reason_code").is_not_null()))
    return Split(staged=staged, quarantine=quarantine)


def quarantine_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Quarantine rows (QUARANTINE_SCHEMA) with the Chinese ``reason`` of their ``reason_code``."""
    return rows.with_columns(
        pl.col("reason_code").replace_strict(REASONS, return_dtype=pl.String).alias("reason")
    ).select(list(QUARANTINE_SCHEMA))
