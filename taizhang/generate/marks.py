"""The marks extracts carry as they arrive: junk rows, annotated headers, titles, extra sheets.

These are the marks listed in docs/extracts.md, section "Rows and headers as
they arrive" (restated in docs/generator.md): rows that hold no child (blank
lines, lines of delimiters, Excel error values, 合计/总计/小计 rows, a lone
serial number or ``0``, mojibake), header cells with annotations, a leading
``序号`` column, a column named twice, a title and blank rows above the header,
one sheet of a workbook using another documented header variant, a
``填表说明`` sheet and an empty sheet, and dates in workbooks as date cells,
serial numbers or text mixed in one column.

Every draw here comes from the file's own marks generator, never from the one
that draws the records and their noise, so the same seed writes the same records
with or without marks: only the rows and cells around them differ. That is what
lets a benchmark compare linkage with and without marks on the same children.

A junk row is a frame row with ``_kind`` set to one of ``JUNK_KINDS`` and
``_junk`` true; it carries no child or person key. In CSV, a row whose ``_line``
is set is written as that literal line (a blank line, a line of delimiters).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from data_contracts import Contract

# the reason each junk row is expected to be quarantined with
JUNK_KINDS = ("empty_row", "error_values", "total_row", "serial_only", "garbled_row")
ERROR_VALUES = ("#N/A", "#REF!", "#VALUE!", "#DIV/0!")
# the formula a workbook cell holding each error value was computed by
ERROR_FORMULAS = {"#N/A": "=NA()", "#REF!": "=#REF!", "#VALUE!": '="-"+1', "#DIV/0!": "=1/0"}
TOTAL_WORDS = ("合计", "总计", "小计")
MOJIBAKE = ("锟斤拷", "?")
SERIAL_HEADER = "序号"
TWICE_SUFFIX = "__twice"  # frame column of the second cell naming a column
INSTRUCTIONS_SHEET = "填表说明"
INSTRUCTIONS = (
    "填表说明",
    "1. 每名儿童填写一行，不得合并单元格。",
    "2. 带*号的列为必填项。",
    "3. 身份证号请填写18位公民身份号码，末位为X的请大写。",
    "4. 日期格式为2015-03-15。",
    "5. 区划代码填写6位国家标准代码。",
)
# annotations a department writes after a header name, by contract column type
ANNOTATIONS = {
    "date": ("（年月日）", "(年月日)", "（yyyy-mm-dd）"),
    "id_number": ("(必填)", "（18位）", "(18位)"),
    "phone": ("（手机）", "(手机)"),
    "name": ("*", "（必填）"),
    "division": ("（6位代码）",),
}
DATE_FORMATS_XLSX = ("yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"')


@dataclass
class Layout:
    """How a file's tables are laid out: header cells per table, rows above each header."""

    names: list[str]  # frame columns in file order
    heads: list[list[str]]  # header cells, one list per table
    above: list[list[list[str | None]]]  # rows above each table's header
    merged_title: list[bool]  # XLSX: the title row above a table is one merged cell
    extra_sheets: list[tuple[int, str, list[str]]] = field(default_factory=list)  # (position, name, lines)


def rate(marks: float, base: float) -> float:
    return min(base * marks, 1.0)


def annotate_headers(
    heads: list[str], names: list[str], contract: Contract, rng: np.random.Generator, marks: float
) -> list[str]:
    """Header cells with annotations after the name, inner spaces (also U+3000), trailing ``*``."""
    types = {c.name: c.type for c in contract.columns}
    out = []
    for name, h in zip(names, heads, strict=True):
        kind = types.get(name)
        bare = h.strip()
        decorated = bare != h or bare.endswith("*") or bare.endswith("）") or bare.endswith(")")
        if kind in ANNOTATIONS and not decorated and rng.random() < rate(marks, 0.12):
            options = ANNOTATIONS[kind]
            h = bare + options[int(rng.integers(0, len(options)))]
        elif len(bare) >= 2 and not decorated and rng.random() < rate(marks, 0.04):
            cut = int(rng.integers(1, len(bare)))
            space = " " if rng.random() < 0.7 else "\u3000"
            h = bare[:cut] + space + bare[cut:]
        out.append(h)
    return out


def header_columns(
    names: list[str], heads: list[str], contract: Contract, rng: np.random.Generator, marks: float
) -> tuple[list[str], list[str]]:
    """A leading ``序号`` column, and a contract column named a second time further right."""
    names, heads = list(names), list(heads)
    known = [i for i, n in enumerate(names) if n in contract.column_names]
    if known and rng.random() < rate(marks, 0.15):
        i = known[int(rng.integers(0, len(known)))]
        col = contract.column(names[i])
        # the same name again, or another documented spelling of it
        twice = col.headers[int(rng.integers(0, len(col.headers)))]
        at = int(rng.integers(i + 1, len(names) + 1))
        names.insert(at, names[i] + TWICE_SUFFIX)
        heads.insert(at, twice)
    if rng.random() < rate(marks, 0.25):
        names.insert(0, SERIAL_HEADER)
        heads.insert(0, SERIAL_HEADER)
    return names, heads


def sheet_variant(
    names: list[str], heads: list[str], contract: Contract, rng: np.random.Generator
) -> list[str]:
    """The header of one sheet that spells a column another documented way than the others.

    Columns with aliases get another alias; a contract with none (``field_visits``)
    gets a required-field ``*`` or loses it.
    """
    out = list(heads)
    aliased = [i for i, n in enumerate(names) if n in contract.column_names and contract.column(n).aliases]
    if aliased:
        for i in aliased:
            col = contract.column(names[i])
            current = max((h for h in col.headers if h in heads[i]), key=len, default=col.header)
            others = [h for h in col.headers if h != current]
            if rng.random() < 0.5 or i == aliased[0]:
                out[i] = others[int(rng.integers(0, len(others)))]
        return out
    i = next(i for i, n in enumerate(names) if n in contract.column_names)
    bare = contract.column(names[i]).header
    out[i] = bare if out[i].strip() != bare else bare + "*"
    return out


def rows_above(title: str, width: int, rng: np.random.Generator, marks: float) -> list[list[str | None]]:
    """A title row and blank rows above a header (or nothing)."""
    rows: list[list[str | None]] = []
    if rng.random() < rate(marks, 0.1):
        rows.append([None] * width)
    if rng.random() < rate(marks, 0.3):
        # in CSV the title is a line of its own or padded with delimiters to the header's width
        rows.append([title] + [None] * (width - 1) if rng.random() < 0.5 else [title])
        if rng.random() < 0.4:
            rows.append([None] * width)
    return rows


def _mojibake(text: pl.Expr, style: str) -> pl.Expr:
    """A cell garbled beyond reading: every character lost (about one 锟斤拷 per three)."""
    if style == "?":
        return text.str.replace_all(r"(?s).", "?")
    return text.str.replace_all(r"(?s).{1,3}", "锟斤拷")


def junk_rows(
    table: pl.DataFrame,
    data_cols: list[str],
    rng: np.random.Generator,
    marks: float,
    *,
    csv: bool,
    file_rows: int | None,
    several: bool,
) -> pl.DataFrame:
    """``table`` with rows that hold no child inserted among its rows.

    Blank rows, lines of delimiters (CSV), error-value rows, lone serial numbers or
    ``0`` and mojibake copies go anywhere but after the last row; a 小计 row ends a
    sheet of a workbook with several, a 合计 or 总计 row (``file_rows`` records, given
    for the file's last table) ends the file. ``data_cols`` are the file's columns in
    order, ``序号`` included (``number_rows`` fills it afterwards).
    """
    n = table.height
    width = len(data_cols)
    junk: list[dict] = []

    def row(kind: str, **cells: object) -> dict:
        return {"_kind": kind, "_junk": True, **cells}

    def count(base: float) -> int:
        if rng.random() >= rate(marks, base):
            return 0
        return 1 + int(rng.binomial(n, min(0.0004 * marks, 0.05)))

    for _ in range(count(0.35)):  # blank rows, sometimes two or three together
        for _ in range(int(rng.choice([1, 1, 1, 2, 3]))):
            junk.append(row("empty_row", _line=""))
    if csv:
        for _ in range(count(0.25)):  # a line of delimiters, as long as the header or not
            commas = max(1, width - 1 + int(rng.choice([-3, -1, 0, 0, 2, 10])))
            junk.append(row("empty_row", _line="," * commas))
    for _ in range(count(0.3)):
        style = int(rng.integers(0, 3))
        if style == 0:  # a formula copied down a whole row
            value = ERROR_VALUES[int(rng.integers(0, len(ERROR_VALUES)))]
            junk.append(row("error_values", **{c: value for c in data_cols}))
        elif style == 1:  # one error cell, the rest empty
            c = data_cols[int(rng.integers(0, width))]
            junk.append(row("error_values", **{c: ERROR_VALUES[int(rng.integers(0, len(ERROR_VALUES)))]}))
        else:  # mixed error values
            cells = {c: ERROR_VALUES[int(rng.integers(0, len(ERROR_VALUES)))] for c in data_cols}
            junk.append(row("error_values", **cells))
    for _ in range(count(0.25)):
        junk.append(row("serial_only", _serial=0 if rng.random() < 0.4 else int(rng.integers(1, n + 2))))
    n_moji = count(0.25)
    records = table.filter(pl.col("_kind").is_null()) if "_kind" in table.columns else table
    if n_moji and records.height:
        seed = int(rng.integers(0, 2**31))
        picks = records.select(data_cols).sample(n_moji, with_replacement=True, seed=seed)
        style = MOJIBAKE[int(rng.integers(0, 2))]
        garbled = picks.select(
            pl.when(pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != ""))
            .then(_mojibake(pl.col(c), style))
            .alias(c)
            for c in data_cols
        )
        junk.extend(row("garbled_row", **r) for r in garbled.iter_rows(named=True))
    # the rows inside the table: never after its last row, so the table's end is its last row
    body = _insert(table, junk, rng)
    tail = []
    if several and rng.random() < rate(marks, 0.2):
        tail.append(row("total_row", **{data_cols[0]: "小计", data_cols[min(1, width - 1)]: f"共{n}人"}))
    if file_rows is not None and rng.random() < rate(marks, 0.3):
        word = TOTAL_WORDS[int(rng.integers(0, 2))]
        tail.append(
            row("total_row", **{data_cols[0]: word, data_cols[min(1, width - 1)]: f"共{file_rows}人"})
        )
    if tail:
        body = pl.concat([body, _frame(tail, body)], how="diagonal_relaxed")
    return body


def _frame(rows: list[dict], like: pl.DataFrame) -> pl.DataFrame:
    schema = {
        **{c: like.schema[c] for c in like.columns if like.schema[c] == pl.Utf8},
        "_kind": pl.Utf8,
        "_junk": pl.Boolean,
        "_line": pl.Utf8,
        "_serial": pl.Int64,
    }
    return pl.DataFrame(rows, schema={k: v for k, v in schema.items()}, strict=False)


def _insert(table: pl.DataFrame, junk: list[dict], rng: np.random.Generator) -> pl.DataFrame:
    """Junk rows at random places among the table's rows, never after the last one."""
    if not junk:
        return table
    if table.height == 0:  # a sheet with no record keeps no junk either
        return table
    extra = _frame(junk, table)
    # each junk row goes before a drawn table row; a stable sort keeps the table's own order
    before = np.sort(rng.integers(0, table.height, extra.height))
    pos_table = np.arange(table.height, dtype=np.float64)
    pos_junk = before - 0.5 + np.arange(extra.height) / (extra.height * 2.0 + 1)
    merged = pl.concat(
        [
            table.with_columns(_pos=pl.Series(pos_table)),
            extra.with_columns(_pos=pl.Series(pos_junk)),
        ],
        how="diagonal_relaxed",
    )
    return merged.sort("_pos", maintain_order=True).drop("_pos")


def number_rows(table: pl.DataFrame, first_col: str, first_serial: int) -> pl.DataFrame:
    """Fill ``序号`` (when ``first_col`` is it) with the running number of each row that is not
    junk, and put each serial row's lone number in the first column."""
    if "_serial" not in table.columns:
        table = table.with_columns(_serial=pl.lit(None, dtype=pl.Int64))
    numbered = ~pl.col("_kind").is_in(list(JUNK_KINDS)).fill_null(False)
    lone = pl.when(pl.col("_kind") == "serial_only").then(pl.col("_serial").cast(pl.Utf8))
    if first_col == SERIAL_HEADER:
        running = (numbered.cast(pl.Int64).cum_sum() + first_serial - 1).cast(pl.Utf8)
        cell = pl.when(numbered).then(running).otherwise(lone.otherwise(pl.col(first_col)))
    else:
        cell = lone.otherwise(pl.col(first_col))
    return table.with_columns(cell.alias(first_col))


def numbered_rows(table: pl.DataFrame) -> int:
    """How many rows of a table ``number_rows`` numbered."""
    return int((~table["_kind"].is_in(list(JUNK_KINDS)).fill_null(False)).sum())


def date_cell_forms(n: int, rng: np.random.Generator, marks: float) -> np.ndarray:
    """How each date of a workbook column is stored: 0 text, 1 a date cell, 2 a serial number."""
    if rng.random() >= rate(marks, 0.5):
        return np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    return np.where(u < 0.35, 1, np.where(u < 0.5, 2, 0)).astype(np.int8)
