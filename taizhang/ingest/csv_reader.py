"""Read a CSV extract into rows of text cells, each row kept at its place (see ``taizhang.ingest.cells``).

The file is decoded in Python (``taizhang.ingest.encoding``) and split into
lines once. Lines without a ``"`` (nearly all) are split into fields by polars
on the whole column, lines whose quotes pair on the line by polars' CSV
reader; only lines whose quotes do not pair go through the ``csv`` module, one
record at a time, in strict mode, so that a stray quote costs its own row and
not the rest of the file: a field may run on over the next lines only when the
record that makes has the header's field count.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from taizhang.ingest.cells import EMPTY_FILE, cell_names, with_cells
from taizhang.ingest.encoding import decode_csv

# A quoted field may hold line breaks; a record spanning more lines than this is a stray quote.
_MAX_RECORD_LINES = 20
# A line of nothing but delimiters and spaces: an empty row, whatever its field count.
_DELIMITERS_ONLY = r"^[,\s\x{3000}]*$"
_BLANK_LINE = r"^[\s\x{3000}]*$"
# A record whose quotes pair on its line: fields either quoted ("" for a quote) or free of quotes.
_QUOTED_FIELD = r'"(?:[^"]|"")*"'
_WELL_FORMED = rf'^(?:{_QUOTED_FIELD}|[^",]*)(?:,(?:{_QUOTED_FIELD}|[^",]*))*$'
_SPACE_CHARS = " \t\r\u3000"


@dataclass
class CsvText:
    """A decoded CSV file split into physical lines (a trailing ``\r`` stays on its line)."""

    lines: pl.Series
    encoding: str
    marker: str | None  # stands for undecodable bytes, if the file had any
    final_newline: bool


@dataclass(frozen=True)
class CsvRecord:
    pos: int  # 1-based record number: the row Excel shows
    next_line: int  # index of the line after the record
    cells: list[str | None] | None  # None: the record's quoting is broken


def read_csv_text(path: Path) -> CsvText:
    """Decode a CSV extract; raises :class:`FileProblem` for files that are no text at all."""
    data = path.read_bytes()
    if not data.strip():
        raise EMPTY_FILE
    decoded = decode_csv(data)
    del data
    final_newline = decoded.text.endswith("\n")
    lines = pl.Series("line", [decoded.text], dtype=pl.String).str.split("\n").explode()
    if final_newline:
        lines = lines.head(lines.len() - 1)
    return CsvText(lines, decoded.encoding, decoded.marker, final_newline)


@contextmanager
def _no_field_limit() -> Iterator[None]:
    """Let the csv module read fields of any length (an enormous cell is judged later, as a row)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _strict_fields(text: str) -> list[str] | None:
    """The fields of one record in strict CSV, or None when its quoting is broken."""
    try:
        return next(csv.reader([text], strict=True), [])
    except csv.Error:
        return None


def _parse_at(lines: pl.Series, i: int, widths: tuple[int, int] | None) -> tuple[list[str] | None, int]:
    """Fields of the record starting at line ``i`` and how many lines it spans.

    A line with an odd number of quotes may open a field that runs on over
    the next lines; the record is taken only if it closes within
    ``_MAX_RECORD_LINES`` lines and (when ``widths`` is given) its field count
    fits the header. Otherwise line ``i`` alone is a broken record, and the
    next line is read as a record of its own.
    """
    line = lines[i]
    if '"' not in line:
        return line.removesuffix("\r").split(","), 1
    quotes = 0
    for span in range(1, _MAX_RECORD_LINES + 1):
        if i + span > len(lines):
            break
        quotes += lines[i + span - 1].count('"')
        if quotes % 2:
            continue
        fields = _strict_fields("\n".join(lines.slice(i, span).to_list()).removesuffix("\r"))
        if fields is None:
            break
        if span == 1 or widths is None or _fits(fields, widths):
            return fields, span
        break
    return None, 1


def _fits(fields: list[str], widths: tuple[int, int]) -> bool:
    """A record fits a header of ``widths`` (named cells, all cells) fields; extra fields must be empty."""
    low, high = widths
    return len(fields) >= low and not any(f.strip(_SPACE_CHARS) for f in fields[high:])


def csv_head(text: CsvText, n_records: int) -> list[CsvRecord]:
    """The first records of the file (blank lines too), for finding the header."""
    records: list[CsvRecord] = []
    i = 0
    with _no_field_limit():
        while i < len(text.lines) and len(records) < n_records:
            fields, span = _parse_at(text.lines, i, None)
            cells = None if fields is None else [f if f.strip(_SPACE_CHARS) else None for f in fields]
            records.append(CsvRecord(len(records) + 1, i + span, cells))
            i += span
    return records


def _scatter(n: int, at: list[int]) -> pl.Series:
    """A Boolean series of length ``n``, true at ``at``."""
    out = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    return out.scatter(at, True) if at else out


def csv_rows(text: CsvText, start: int, first_pos: int, widths: tuple[int, int]) -> pl.DataFrame:
    """The data records from line ``start``: ``_pos``, ``_damage``, cells ``c0..c{widths[1]-1}``.

    ``widths`` is (cells up to the header's last named cell, all header
    cells). Trailing blank lines are no rows; every other line is. Each step
    is one polars pass over all lines; Python looks only at the few lines
    whose quotes do not pair, or whose field count is off.
    """
    low, high = widths
    line = text.lines.slice(start)
    n = line.len()
    if n == 0:
        return with_cells(pl.DataFrame(schema={"_pos": pl.Int64, "_damage": pl.String}), high)
    quote_at = line.str.contains('"', literal=True).arg_true()
    pairs = line.gather(quote_at).str.strip_suffix("\r").str.contains(_WELL_FORMED)
    well_formed = _scatter(n, quote_at.filter(pairs).to_list())
    odd_at = quote_at.filter(~pairs).to_list()

    # Records whose quotes do not pair on their line: parsed one by one; a field
    # running over lines consumes them.
    parsed: dict[int, list[str] | None] = {}
    consumed: set[int] = set()
    joined: dict[int, str] = {}
    with _no_field_limit():
        for i in odd_at:
            if i in consumed:
                continue
            fields, span = _parse_at(line, i, widths)
            parsed[i] = fields
            consumed.update(range(i + 1, i + span))
            if span > 1:
                # The record's text (its line breaks kept) stands in the first line's place.
                joined[i] = "\n".join(line.slice(i, span).to_list())
    if joined:
        line = line.scatter(list(joined), pl.Series(list(joined.values()), dtype=pl.String))

    frame = pl.DataFrame(
        {
            "_line": pl.int_range(0, n, dtype=pl.Int64, eager=True),
            "_text": line.str.strip_suffix("\r"),
            "_wf": well_formed,
            "_py": _scatter(n, list(parsed)),
        }
    )
    if consumed:
        frame = frame.filter(~pl.col("_line").is_in(pl.Series(sorted(consumed), dtype=pl.Int64).implode()))
    # Trailing empty lines are no rows (a line of delimiters is: someone wrote it).
    content = frame.select(pl.col("_text").str.contains(_BLANK_LINE).not_().arg_true()).to_series()
    if content.len() == 0:
        return with_cells(pl.DataFrame(schema={"_pos": pl.Int64, "_damage": pl.String}), high)
    frame = frame.head(int(content[-1]) + 1).with_columns(
        pl.int_range(first_pos, first_pos + pl.len(), dtype=pl.Int64).alias("_pos"),
        pl.col("_text").str.contains(_DELIMITERS_ONLY).alias("_blank"),
        # Field count; quoted fields (which may hold commas) taken out first.
        (
            pl.when(pl.col("_wf"))
            .then(pl.col("_text").str.replace_all(_QUOTED_FIELD, ""))
            .otherwise(pl.col("_text"))
            .str.count_matches(",", literal=True)
            + 1
        ).alias("_count"),
    )

    # Whether each record fits the header: decided in Python for the few whose count is off.
    odd_count = frame.filter(
        ~pl.col("_py") & ~pl.col("_blank") & ((pl.col("_count") < low) | (pl.col("_count") > high))
    )
    misfit = [i for i, f in parsed.items() if f is not None and not _fits(f, widths)]
    with _no_field_limit():
        for i, t, wf in odd_count.select("_line", "_text", "_wf").iter_rows():
            fields = (_strict_fields(t) or []) if wf else t.split(",")
            if not _fits(fields, widths):
                misfit.append(i)
    broken = pl.Series([i for i, f in parsed.items() if f is None], dtype=pl.Int64).implode()
    misfit_s = pl.Series(misfit, dtype=pl.Int64).implode()
    cut = (pl.int_range(pl.len()) == pl.len() - 1) & pl.lit(not text.final_newline)
    damage = pl.when(pl.col("_blank")).then(pl.lit(None, dtype=pl.String))
    if text.marker is not None:
        damage = damage.when(pl.col("_text").str.contains(text.marker, literal=True)).then(
            pl.lit("undecodable")
        )
    is_broken = pl.col("_line").is_in(broken)
    is_misfit = pl.col("_line").is_in(misfit_s)
    damage = (
        damage.when(cut & (is_broken | is_misfit))
        .then(pl.lit("truncated_row"))
        .when(is_broken)
        .then(pl.lit("bad_quote"))
        .when(is_misfit)
        .then(pl.lit("ragged_row"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    frame = frame.with_columns(damage.alias("_damage"))

    # Cells: records without quotes split by polars, records quoted well on their
    # line parsed by polars' CSV reader, the others from the csv module.
    names = cell_names(high)
    plain = frame.filter(~pl.col("_py") & ~pl.col("_wf"))
    parts = [
        plain.select(
            "_line",
            pl.col("_text").str.split_exact(",", max(high - 1, 0)).struct.rename_fields(names).alias("_f"),
        ).unnest("_f")
    ]
    rows = {i: (f or []) for i, f in parsed.items()}
    quoted_lines = frame.filter(pl.col("_wf"))
    if quoted_lines.height:
        body = quoted_lines.select(pl.col("_text").str.join("\n")).item()
        cells = pl.read_csv(
            (",".join(names) + "\n" + body + "\n").encode(),
            has_header=True,
            infer_schema=False,
            truncate_ragged_lines=True,
            quote_char='"',
        )
        if cells.height == quoted_lines.height:
            parts.append(cells.select(pl.Series("_line", quoted_lines["_line"]), *names))
        else:  # the two parsers disagree: trust the csv module, line by line
            with _no_field_limit():
                rows |= {
                    i: _strict_fields(t) or [] for i, t in quoted_lines.select("_line", "_text").iter_rows()
                }
    if rows:
        padded = [f[:high] + [""] * (high - len(f[:high])) for f in rows.values()]
        columns = list(zip(*padded, strict=True)) if padded else [() for _ in names]
        parts.append(
            pl.DataFrame(
                {"_line": pl.Series(list(rows), dtype=pl.Int64)}
                | {c: pl.Series(c, col, dtype=pl.String) for c, col in zip(names, columns, strict=True)}
            )
        )
    # An empty field is null, as an empty Excel cell is; every line has its cells now, in order.
    cells = pl.concat(parts, how="vertical").sort("_line").drop("_line")
    # A damaged row's cells are not trusted: they stay null, only the reason tells about the row.
    ok = frame["_damage"].is_null()
    return frame.select("_pos", "_damage").hstack(
        cells.select(pl.when(ok).then(pl.col(c).replace("", None)).alias(c) for c in names)
    )
