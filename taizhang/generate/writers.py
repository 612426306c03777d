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


def format_columns(
    df: pl.DataFrame, contract: Contract, rng: np.random.Generator, noise: nz.Noise
) -> pl.DataFrame:
    """Turn clean typed values into the text a department sends, by contract column type."""
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


def _csv_bytes(df: pl.DataFrame, names: list[str], heads: list[str], encoding: str, crlf: bool) -> bytes:
    eol = "\r\n" if crlf else "\n"
    body = df.select(names).write_csv(include_header=False, line_terminator=eol)
    lines = body.split(eol)[:-1] if body else []
    # ragged rows (a handful per file): the clerk's tool dropped or added trailing fields
    for i in np.flatnonzero((df["_kind"] == "ragged_row").fill_null(False).to_numpy()):
        lines[i] = lines[i].rsplit(",", 2)[0] if i % 2 == 0 else lines[i] + ",多余,字段"
    header = ",".join(f'"{h}"' if "," in h else h for h in heads)
    text = eol.join([header, *lines]) + eol
    data = text.encode(encoding)
    marker = "\x00UNDECODABLE\x00".encode("utf-8" if encoding == "utf-8-sig" else encoding)
    return data.replace(marker, UNDECODABLE)


def _write_xlsx(
    path: Path, df: pl.DataFrame, names: list[str], heads: list[str], sheet_col: str | None, offset: int
) -> pl.DataFrame:
    """Write sheets (ids and dates as text); return df in written row order."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": dt.datetime(2026, 1, 1), "author": "taizhang-generate"})
    if sheet_col:
        df = df.sort(sheet_col, maintain_order=True)
        groups = df.partition_by(sheet_col, maintain_order=True, as_dict=False)
    else:
        groups = [df]
    for g in groups:
        title = str(g[sheet_col][0]) if sheet_col else "Sheet1"
        ws = wb.add_worksheet(title[:31])
        ws.write_row(offset, 0, heads)
        for r, row in enumerate(g.select(names).iter_rows(), start=offset + 1):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write_string(r, c, v)
    wb.close()
    return pl.concat(groups) if groups else df


def write_file(
    df: pl.DataFrame,
    contract: Contract,
    spec: FileSpec,
    folder: Path,
    rng: np.random.Generator,
    noise: nz.Noise,
    variant: int,
) -> pl.DataFrame:
    """Format, decorate and write one file; return its truth rows (RECORD_SCHEMA)."""
    df = format_columns(df, contract, rng, noise)
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
        path.write_bytes(_csv_bytes(df, names, heads, spec.encoding or "utf-8", crlf))
    else:
        offset = int(rng.random() < 0.2)  # sometimes the header is on the second row
        df = _write_xlsx(path, df, names, heads, spec.sheet_column, offset)
    return df.select(
        source=pl.lit(contract.source),
        file=pl.lit(spec.name),
        row_number=pl.int_range(1, pl.len() + 1).cast(pl.Int64),
        child_key=pl.col("_child_key") if "_child_key" in df.columns else pl.lit(None, dtype=pl.Utf8),
        person_key=pl.col("_person_key") if "_person_key" in df.columns else pl.lit(None, dtype=pl.Utf8),
        unreadable=pl.col("_kind").is_not_null(),
        unreadable_kind=pl.col("_kind"),
        _event_id=pl.col("_event_id") if "_event_id" in df.columns else pl.lit(None, dtype=pl.Int64),
    )
