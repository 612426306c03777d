"""Rows that are damaged or hold no child, told apart by the look of the whole row.

All checks are polars expressions over the whole file. A row gets at most one
reason, the first that applies: first damage (the reader's ``_damage``,
control characters, an oversized cell), then rows that hold no child (empty,
a total, error values, mojibake, a lone number). The checks look at one
string per row, its cells joined by a separator no cell holds, so each is one
regular-expression pass over the file.
"""

from __future__ import annotations

import polars as pl

# Excel's error values, as Excel shows them (also when exported to CSV as text).
ERROR_VALUE = r"#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NULL!|NUM!|GETTING_DATA|SPILL!|CALC!)"
# Mojibake: UTF-8 text of U+FFFD read as GBK (锟斤拷), uninitialised memory shown as GBK (烫烫, 屯屯).
MOJIBAKE = r"锟斤拷|烫烫|屯屯"
# A character that is no text: punctuation, symbols, controls, U+FFFD (``?`` of a failed conversion).
JUNK_CHAR = r"[[\p{P}\p{S}\p{C}\x{FFFD}]--[\x1f]]"
SPACE = r"[ \t\r\n\x{3000}\x{A0}]"
# Garbage identifiers: nothing but junk characters, mojibake, error values and spaces.
GARBAGE = rf"^(?:{JUNK_CHAR}|{SPACE}|\p{{Z}}|{MOJIBAKE}|{ERROR_VALUE})*$"
# Row strings: cells joined by a unit separator (no department types one).
_SEP = "\x1f"
_NUMBER = r"\d{1,7}(?:\.0+)?"  # a serial number (or the 0 of an empty formula)
_JUNK_CELL = rf"{SPACE}*(?:{ERROR_VALUE}|{_NUMBER}|(?:{JUNK_CHAR}|{MOJIBAKE})+)?{SPACE}*"
_JUNK_ROW = rf"^{_JUNK_CELL}(?:{_SEP}{_JUNK_CELL})*$"
_GAP = rf"[{_SEP} \t\x{{3000}}]"
# A total row: its first cell (after a serial number, if any) starts 合计, 总计 or 小计.
_TOTAL_ROW = rf"^{_GAP}*(?:{_NUMBER}{_GAP}+)?(?:合|总|小){SPACE}*计"
_EMPTY_ROW = rf"^[{_SEP} \t\r\n\x{{3000}}\x{{A0}}]*$"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1e\x7f]"
# Excel holds at most 32,767 characters in a cell; a longer one is damage, not data.
CELL_LIMIT = 32_767


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
        .when(junk & pl.col("_text").str.contains(ERROR_VALUE))
        .then(pl.lit("error_values"))
        .when(junk & pl.col("_text").str.contains(rf"{JUNK_CHAR}|{MOJIBAKE}"))
        .then(pl.lit("garbled_row"))
        .when(junk)
        .then(pl.lit("serial_only"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return reasons.scatter(picked, sub.select(reason).to_series())
