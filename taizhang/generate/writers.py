"""Write one source's records as department files, and the truth about every row.

Formatting noise is driven by the contract's column types; the file's header
spelling (canonical or an alias, with spaces, ``*`` or ``（必填）`` marks), extra
columns, column order, encoding and garbage rows are drawn per file. Row
numbers in the truth follow docs/ARCHITECTURE.md: 1-based data rows, header not
counted, XLSX rows counted across sheets in sheet order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from data_contracts import Contract
from taizhang.generate import marks as mk
from taizhang.generate import noise as nz

EXTRA_COLUMNS = {"备注2": "核对中", "数据来源": "省平台", "录入人": "张三", "更新时间": "2026-01-05"}
UNDECODABLE = b"\xff\x80\xfe"
RECORD_SCHEMA = {
    "source": pl.Utf8,
    "file": pl.Utf8,
    "row_number": pl.Int64,
    "child_key": pl.Utf8,
    "person_key": pl.Utf8,
    "unreadable": pl.Boolean,
    "unreadable_kind": pl.Utf8,
    "junk": pl.Boolean,
    "sheet": pl.Utf8,
    "excel_row": pl.Int64,
}
# columns never blanked by noise: the residence start's proofs, and the dates of a status event
# (an empty end means "still in force" and an empty start hides a 6-month duration)
PROTECTED = {
    "residence_start",
    "record_opened",
    "card_opened",
    "birth_cert_no",
    "status",
    "permit_no",
    "start_date",
    "end_date",
}
# id columns of people other than the child; rows flagged ``_clean_ids`` keep their digits there
PERSON_ID_ROLES = {"father", "mother", "guardian1", "guardian2", "person"}


@dataclass(frozen=True)
class FileSpec:
    """How one file is written: name, format, encoding, sheets (XLSX)."""

    name: str
    ext: str  # csv or xlsx
    encoding: str | None = None  # utf-8, utf-8-sig, gb18030
    sheet_column: str | None = None  # XLSX: one sheet per value of this meta column
    title: str = ""  # the title a department sometimes writes above the header


def format_columns(
    df: pl.DataFrame,
    contract: Contract,
    rng: np.random.Generator,
    noise: nz.Noise,
    *,
    keep_dates: bool = False,
) -> pl.DataFrame:
    """Turn clean typed values into the text a department sends, by contract column type.

    ``keep_dates`` keeps each date column's true value beside it (``_date_<column>``), for a
    workbook that stores some dates as date cells or serial numbers.
    """
    date_fmt = str(rng.choice(nz.DATE_FORMATS, p=[0.45, 0.2, 0.15, 0.1, 0.05, 0.05]))
    sex_form = int(rng.choice(3, p=[0.7, 0.2, 0.1]))
    cols = {}
    for col in contract.columns:
        if col.name not in df.columns:
            continue
        s = df[col.name]
        protected = col.name in PROTECTED
        if col.type == "id_number":
            person = contract.source == "person_status"
            keep = df["_clean_ids"] if col.role in PERSON_ID_ROLES and "_clean_ids" in df.columns else None
            cols[col.name] = nz.mangle_ids(
                s,
                rng,
                noise,
                missing=0.0 if person else 0.04,
                lossy=0.0 if person else 0.018,
                keep_digits=keep,
            )
        elif col.type == "name":
            alt = df["_alt_name"] if (col.role == "child" and "_alt_name" in df.columns) else None
            cols[col.name] = nz.mangle_names(s, rng, noise, alt)
            if "_clean_names" in df.columns:  # rows whose name must reach the person as written
                cols[col.name] = pl.select(
                    pl.when(df["_clean_names"]).then(s.cast(pl.Utf8)).otherwise(cols[col.name])
                ).to_series()
        elif col.type == "date":
            cols[col.name] = nz.format_dates(s, rng, noise, date_fmt, missing=0.0 if protected else 0.02)
            if col.name == "birth_date" and "_clean_ids" in df.columns:
                # the record that names a scenario child's parents keeps the child's birth date: without
                # it (and without a number, as on a birth certificate) nothing links it to the child
                cols[col.name] = pl.select(
                    pl.when(df["_clean_ids"] & cols[col.name].is_null())
                    .then(s.cast(pl.Date).dt.strftime("%Y-%m-%d"))
                    .otherwise(cols[col.name])
                ).to_series()
        elif col.type == "month":
            cols[col.name] = nz.format_months(s, rng)
        elif col.type == "sex":
            cols[col.name] = nz.format_sexes(s, rng, noise, sex_form)
        elif col.type == "division":
            cols[col.name] = nz.format_divisions(s, rng, noise)
        elif col.type == "phone":
            cols[col.name] = nz.format_phones(s, rng, noise)
        else:
            cols[col.name] = s.cast(pl.Utf8)
    meta = [c for c in df.columns if c.startswith("_")]
    if keep_dates:
        dates = {f"_date_{c.name}": df[c.name].cast(pl.Date) for c in contract.columns if c.type == "date"}
        cols.update({k: v for k, v in dates.items() if k[6:] in df.columns})
    return df.select(meta).with_columns(**cols)


def choose_headers(
    contract: Contract, rng: np.random.Generator, variant: int, extras: int
) -> tuple[list[str], list[str]]:
    """(column names in file order, header cells). ``variant`` rotates through the aliases."""
    names = [c.name for c in contract.columns]
    heads = []
    style = rng.choice(["plain", "star", "paren"], p=[0.6, 0.25, 0.15])
    for i, c in enumerate(contract.columns):
        h = c.headers[(variant + i) % len(c.headers)]
        if c.required and style == "star":
            h += "*"
        elif c.required and style == "paren":
            h += "（必填）"
        if rng.random() < 0.08:
            h = f" {h} "
        heads.append(h)
    extra = [str(x) for x in rng.choice(list(EXTRA_COLUMNS), size=extras, replace=False)]
    names += extra
    heads += extra
    order = rng.permutation(len(names)) if rng.random() < 0.5 else np.arange(len(names))
    return [names[i] for i in order], [heads[i] for i in order]


def _garbage_kinds(contract: Contract, ext: str) -> list[str]:
    kinds = ["no_identifier"]
    if ext == "csv":
        kinds += ["ragged_row", "empty_row", "undecodable"]
    if contract.source == "person_status":
        kinds += ["bad_status", "missing_required_value"]
    return kinds


def add_frame_garbage(
    df: pl.DataFrame, contract: Contract, ext: str, rng: np.random.Generator, noise: nz.Noise
) -> pl.DataFrame:
    """Append garbage rows (``_kind`` set) built from copies of real rows; at least one per file."""
    kinds = _garbage_kinds(contract, ext)
    n = max(1, int(rng.binomial(df.height, noise.p(0.002))))
    if contract.source == "person_status":
        n = max(n, 2)
    start = int(rng.integers(0, len(kinds)))
    chosen = [kinds[(start + i) % len(kinds)] for i in range(n)]
    if contract.source == "person_status":  # both status faults in every status file
        chosen[:2] = ["bad_status", "missing_required_value"]
    base = df.sample(n, with_replacement=True, seed=int(rng.integers(0, 2**31))) if df.height else df
    base = base.with_columns(_kind=pl.Series(chosen), _child_key=None, _person_key=None)
    if "_event_id" in base.columns:  # an unreadable copy reports no event of its own
        base = base.with_columns(pl.lit(None, dtype=pl.Int64).alias("_event_id"))
    data_cols = [c for c in df.columns if not c.startswith("_")]
    k = pl.col("_kind")
    fixes = {}
    for c in data_cols:
        e = pl.col(c)
        e = pl.when(k.is_in(["empty_row", "undecodable"])).then(pl.lit(None, dtype=pl.Utf8)).otherwise(e)
        if c in contract.identifying:
            e = pl.when(k == "no_identifier").then(pl.lit(None, dtype=pl.Utf8)).otherwise(e)
        if c == "status":
            e = (
                pl.when(k == "bad_status")
                .then(pl.lit("其他情况"))
                .when(k == "missing_required_value")
                .then(pl.lit(None, dtype=pl.Utf8))
                .otherwise(e)
            )
        fixes[c] = e
    # undecodable rows carry a marker replaced by invalid bytes when the file is encoded
    name_col = next((c for c in data_cols if c in ("name",)), data_cols[0])
    fixes[name_col] = (
        pl.when(k == "undecodable").then(pl.lit("\x00UNDECODABLE\x00")).otherwise(fixes[name_col])
    )
    garbage = base.with_columns(**fixes)
    out = pl.concat([df.with_columns(_kind=pl.lit(None, dtype=pl.Utf8)), garbage], how="diagonal_relaxed")
    return out.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(0, 2**31)))


def _csv_bytes(
    df: pl.DataFrame,
    names: list[str],
    heads: list[str],
    above: list[list[str | None]],
    encoding: str,
    crlf: bool,
) -> bytes:
    eol = "\r\n" if crlf else "\n"
    body = df.select(names).write_csv(include_header=False, line_terminator=eol)
    lines = body.split(eol)[:-1] if body else []
    # ragged rows (a handful per file): the clerk's tool dropped or added trailing fields
    # (every other one short, counted among the ragged rows so that rows around them do not matter)
    for j, i in enumerate(np.flatnonzero((df["_kind"] == "ragged_row").fill_null(False).to_numpy())):
        lines[i] = lines[i].rsplit(",", 2)[0] if j % 2 == 0 else lines[i] + ",多余,字段"
    # rows written as a literal line: a blank line, a line of delimiters
    if "_line" in df.columns:
        for i, line in enumerate(df["_line"].to_list()):
            if line is not None:
                lines[i] = line
    header = ",".join(f'"{h}"' if "," in h else h for h in heads)
    top = [",".join(c or "" for c in row) for row in above]
    text = eol.join([*top, header, *lines]) + eol
    data = text.encode(encoding)
    marker = "\x00UNDECODABLE\x00".encode("utf-8" if encoding == "utf-8-sig" else encoding)
    return data.replace(marker, UNDECODABLE)


def _tables(df: pl.DataFrame, sheet_col: str | None) -> list[tuple[str, pl.DataFrame]]:
    """The file's tables (one per sheet) in sheet order, rows in written order."""
    if not sheet_col:
        return [("Sheet1", df)]
    df = df.sort(sheet_col, maintain_order=True)
    return [(str(g[sheet_col][0])[:31], g) for g in df.partition_by(sheet_col, maintain_order=True)]


def _write_xlsx(
    path: Path,
    tables: list[tuple[str, pl.DataFrame]],
    layout: mk.Layout,
    date_cols: list[str],
    rng: np.random.Generator | None,
    marks: float,
) -> None:
    """Write the tables as sheets (ids as text; dates as text, date cells or serial numbers;
    error values as error cells; serial numbers as numbers), with the layout's extra sheets."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2026, 1, 1), "author": "taizhang-generate"})
    date_formats = [wb.add_format({"num_format": f}) for f in mk.DATE_FORMATS_XLSX]
    title_format = wb.add_format({"bold": True, "align": "center"})
    names = layout.names
    width = len(names)
    sheets: list[tuple[str, int | None, list[str]]] = [(t[0], i, []) for i, t in enumerate(tables)]
    for position, name, lines in layout.extra_sheets:
        sheets.insert(min(position, len(sheets)), (name, None, lines))
    epoch = nz.EXCEL_EPOCH
    for title, t, lines in sheets:
        ws = wb.add_worksheet(title)
        if t is None:  # an instructions sheet, or an empty one
            for r, line in enumerate(lines):
                ws.write_string(r, 0, line)
            continue
        g = tables[t][1]
        r = 0
        for row in layout.above[t]:
            text = row[0]
            if text is not None and layout.merged_title[t] and width > 1:
                ws.merge_range(r, 0, r, width - 1, text, title_format)
            elif text is not None:
                ws.write_string(r, 0, text)
            r += 1
        ws.write_row(r, 0, layout.heads[t])
        date_at = {names.index(c): c for c in date_cols if c in names}
        forms = {
            c: (mk.date_cell_forms(g.height, rng, marks) if rng is not None else np.zeros(g.height, np.int8))
            for c in date_at.values()
        }
        clean = {
            c: g[f"_date_{c}"].to_list() if f"_date_{c}" in g.columns else [None] * g.height for c in forms
        }
        kinds = g["_kind"].to_list() if "_kind" in g.columns else [None] * g.height
        for i, row in enumerate(g.select(names).iter_rows()):
            r += 1
            kind = kinds[i]
            for c, v in enumerate(row):
                if v is None:
                    continue
                col = date_at.get(c)
                if kind == "error_values" and v in mk.ERROR_VALUES:
                    ws.write_formula(r, c, mk.ERROR_FORMULAS[v], None, v)
                elif (names[c] == mk.SERIAL_HEADER or kind == "serial_only") and v.isdigit():
                    ws.write_number(r, c, int(v))
                elif col is not None and kind is None and forms[col][i] and clean[col][i] is not None:
                    d = clean[col][i]
                    if forms[col][i] == 1:
                        ws.write_datetime(r, c, d, date_formats[(i + c) % len(date_formats)])
                    else:
                        ws.write_number(r, c, (d - epoch).days)
                else:
                    ws.write_string(r, c, v)
    wb.close()


def _layout(
    tables: list[tuple[str, pl.DataFrame]],
    names: list[str],
    heads: list[str],
    contract: Contract,
    spec: FileSpec,
    offset: int,
    rng: np.random.Generator | None,
    marks: float,
) -> tuple[mk.Layout, list[tuple[str, pl.DataFrame]]]:
    """Header cells, rows above the headers, junk rows and extra sheets of one file.

    Without marks (``rng`` None) the file is its tables under one header, with
    ``offset`` blank rows above it.
    """
    blank: list[list[str | None]] = [[None] * len(names) for _ in range(offset)]
    if rng is None:
        n = len(tables)
        return mk.Layout(names, [heads] * n, [list(blank) for _ in range(n)], [False] * n), tables
    heads = mk.annotate_headers(heads, names, contract, rng, marks)
    names, heads = mk.header_columns(names, heads, contract, rng, marks)
    tables = [
        (
            sheet,
            g.with_columns(
                *[
                    pl.col(n.removesuffix(mk.TWICE_SUFFIX)).alias(n)
                    for n in names
                    if n.endswith(mk.TWICE_SUFFIX)
                ],
                *([pl.lit(None, dtype=pl.Utf8).alias(mk.SERIAL_HEADER)] if mk.SERIAL_HEADER in names else []),
            ),
        )
        for sheet, g in tables
    ]
    total = sum(g.height for _, g in tables)
    out, serial = [], 1
    for i, (sheet, g) in enumerate(tables):
        g = mk.junk_rows(
            g,
            names,
            rng,
            marks,
            csv=spec.ext == "csv",
            file_rows=total if i == len(tables) - 1 else None,
            several=len(tables) > 1,
        )
        g = mk.number_rows(g, names[0], serial)
        serial += mk.numbered_rows(g)
        out.append((sheet, g))
    per_sheet = [list(heads) for _ in out]
    if len(out) > 1 and rng.random() < mk.rate(marks, 0.8):
        j = int(rng.integers(0, len(out)))
        per_sheet[j] = mk.sheet_variant(names, heads, contract, rng)
    above = [blank + mk.rows_above(spec.title, len(names), rng, marks) for _ in out]
    merged = [bool(rng.random() < 0.7) for _ in out]
    layout = mk.Layout(names, per_sheet, above, merged)
    if spec.ext == "xlsx":
        if rng.random() < mk.rate(marks, 0.3):
            layout.extra_sheets.append(
                (0 if rng.random() < 0.5 else len(out), mk.INSTRUCTIONS_SHEET, list(mk.INSTRUCTIONS))
            )
        if rng.random() < mk.rate(marks, 0.2):
            layout.extra_sheets.append((int(rng.integers(0, len(out) + 1)), f"Sheet{len(out) + 2}", []))
    return layout, out


def write_file(
    df: pl.DataFrame,
    contract: Contract,
    spec: FileSpec,
    folder: Path,
    rng: np.random.Generator,
    noise: nz.Noise,
    variant: int,
    marks_rng: np.random.Generator | None = None,
) -> pl.DataFrame:
    """Format, decorate and write one file; return its truth rows (RECORD_SCHEMA).

    ``marks_rng`` draws the file's arrival marks (``marks.py``) when the noise has any.
    """
    marks_rng = marks_rng if noise.marks > 0 else None
    df = format_columns(df, contract, rng, noise, keep_dates=spec.ext == "xlsx" and marks_rng is not None)
    for c in contract.column_names:
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c))
    extras = int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15]))
    names, heads = choose_headers(contract, rng, variant, extras)
    for x in names:
        if x in EXTRA_COLUMNS:
            df = df.with_columns(pl.lit(EXTRA_COLUMNS[x]).alias(x))
    df = add_frame_garbage(df, contract, spec.ext, rng, noise)
    for x in names:
        if x in EXTRA_COLUMNS:  # garbage rows of the empty kinds are empty in every column
            df = df.with_columns(
                pl.when(pl.col("_kind").is_in(["empty_row", "undecodable"]))
                .then(None)
                .otherwise(pl.col(x))
                .alias(x)
            )
    path = folder / spec.name
    if spec.ext == "csv":
        crlf = bool(rng.random() < 0.3)
        layout, tables = _layout([("", df)], names, heads, contract, spec, 0, marks_rng, noise.marks)
        rows = tables[0][1]
        path.write_bytes(
            _csv_bytes(rows, layout.names, layout.heads[0], layout.above[0], spec.encoding or "utf-8", crlf)
        )
    else:
        offset = int(rng.random() < 0.2)  # sometimes the header is on the second row
        layout, tables = _layout(
            _tables(df, spec.sheet_column), names, heads, contract, spec, offset, marks_rng, noise.marks
        )
        dates = [c.name for c in contract.columns if c.type == "date"]
        _write_xlsx(path, tables, layout, dates, marks_rng, noise.marks)
    parts = []
    for t, (sheet, g) in enumerate(tables):
        first = len(layout.above[t]) + 2  # the row a person sees the table's first row on
        parts.append(
            g.with_columns(
                _sheet_name=pl.lit(sheet if spec.ext == "xlsx" else None, dtype=pl.Utf8),
                _excel_row=pl.int_range(first, first + pl.len(), dtype=pl.Int64),
            )
        )
    df = pl.concat(parts, how="diagonal_relaxed") if parts else df
    return df.select(
        source=pl.lit(contract.source),
        file=pl.lit(spec.name),
        row_number=pl.int_range(1, pl.len() + 1).cast(pl.Int64),
        child_key=pl.col("_child_key") if "_child_key" in df.columns else pl.lit(None, dtype=pl.Utf8),
        person_key=pl.col("_person_key") if "_person_key" in df.columns else pl.lit(None, dtype=pl.Utf8),
        unreadable=pl.col("_kind").is_not_null(),
        unreadable_kind=pl.col("_kind"),
        # every row that holds no child, the value noise's blank rows included
        junk=pl.col("_kind").is_in(list(mk.JUNK_KINDS)).fill_null(False),
        sheet=pl.col("_sheet_name"),
        excel_row=pl.col("_excel_row"),
        _event_id=pl.col("_event_id") if "_event_id" in df.columns else pl.lit(None, dtype=pl.Int64),
    )
