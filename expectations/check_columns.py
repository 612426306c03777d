"""Helper columns that make the GX checks cheap: computed once, in polars, over whole frames.

GX on pandas is slow at anything but simple column tests, so every piece of
light normalisation (full-width digits, ``+86``, Excel artefacts, date
formats, county names) happens here in vectorised polars expressions, and GX
sees either a normalised string (checked with a regex or a value set) or a
boolean (checked to be ``True``).

A helper is null wherever the raw value is empty, because GX column checks
skip nulls: an empty cell is only ever counted by the ``required_present``
check, never as a format error.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache

import polars as pl

from data_contracts import Column, Contract
from expectations.checks import Check, helper_name
from taizhang.parsers.id_numbers import check_digit
from taizhang.parsers.phones import parse_phone
from taizhang.reference import jilin_divisions

# Excel stores day numbers counted from 1899-12-30 (with its 1900 leap-year bug absorbed).
_EXCEL_EPOCH = date(1899, 12, 30)


def clean(expr: pl.Expr) -> pl.Expr:
    """NFKC (full-width digits and letters to ASCII), trimmed, empty to null."""
    v = expr.cast(pl.Utf8).str.normalize("NFKC").str.strip_chars()
    return pl.when(v.str.len_chars() > 0).then(v)


def _nonempty(v: pl.Expr) -> pl.Expr:
    return pl.when(v.str.len_chars() > 0).then(v)


def _strip_excel_decimal(v: pl.Expr) -> pl.Expr:
    """``220102.0`` (a number that passed through Excel) back to ``220102``."""
    return pl.when(v.str.contains(r"^\d+\.0+$")).then(v.str.replace(r"\.0+$", "")).otherwise(v)


# Each normalisation is split into a "prep" step (a chain that reads its input
# once) and a "finish" step (which reads its input several times). polars does
# not share repeated sub-expressions inside when/then chains, so helper_frame
# materialises each step as a column before the next one reads it; the public
# one-shot functions below compose the same steps for small inputs.


def _id_prep(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(r"[\s'‘’`\-]", "").str.to_uppercase()


def _id_finish(v: pl.Expr) -> pl.Expr:
    """Excel forms back to digits: ``….0`` dropped, ``2.20102201503151234E+17`` expanded.

    If Excel had already rounded digits away, the check digit will say so.
    """
    v = _strip_excel_decimal(_nonempty(v))
    mantissa = v.str.extract(r"^(\d)\.?(\d*)E\+?\d+$", 1) + v.str.extract(r"^(\d)\.?(\d*)E\+?\d+$", 2)
    exponent = v.str.extract(r"E\+?(\d+)$", 1)
    expanded = pl.when(exponent == "17").then(mantissa.str.pad_end(18, "0"))
    expanded = expanded.when(exponent == "14").then(mantissa.str.pad_end(15, "0"))
    return pl.when(v.str.contains(r"^\d\.?\d*E\+?(?:17|14)$")).then(expanded).otherwise(v)


def normalise_id(expr: pl.Expr) -> pl.Expr:
    """An identity number without the usual wrapping: spaces, quotes, dashes, lower ``x``, Excel forms."""
    return _id_finish(_id_prep(clean(expr)))


def id_check_ok(normalised: pl.Expr) -> pl.Expr:
    """True/False for 18-character numbers (the check digit matches), null for anything else."""
    expected = check_digit(normalised.str.slice(0, 17))
    return pl.when(normalised.str.contains(r"^\d{17}[0-9X]$")).then(normalised.str.slice(17, 1) == expected)


def _date_prep(v: pl.Expr) -> pl.Expr:
    v = v.str.replace(r"[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", "")
    return v.str.replace_all(r"[年月/.]", "-").str.replace(r"日$", "")


def _date_finish(v: pl.Expr) -> pl.Expr:
    dashed = v.str.to_date("%Y-%m-%d", strict=False)
    compact = pl.when(v.str.contains(r"^\d{8}$")).then(v.str.to_date("%Y%m%d", strict=False))
    days = pl.when(v.str.contains(r"^\d{5}(?:-0+)?$")).then(v.str.slice(0, 5).cast(pl.Int64))
    serial = pl.lit(_EXCEL_EPOCH) + pl.duration(days=days)
    return pl.coalesce(dashed, compact, serial.cast(pl.Date))


def parse_date(expr: pl.Expr) -> pl.Expr:
    """A Date from any listed format, null when empty or unreadable.

    Formats: ``2015-03-15``, ``2015/3/15``, ``20150315``, ``2015.03.15``,
    ``2015年3月15日``, an Excel day number (``42078``), each optionally
    followed by a midnight time as Excel exports often add.
    """
    return _date_finish(_date_prep(clean(expr)))


def _month_prep(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(r"[年月/.]", "-").str.strip_chars("-")


def _month_finish(m: pl.Expr, date_prepped: pl.Expr) -> pl.Expr:
    ym = pl.when(m.str.contains(r"^\d{6}$")).then(m.str.slice(0, 4) + "-" + m.str.slice(4, 2)).otherwise(m)
    as_month = ym.str.extract(r"^(\d{4}-\d{1,2})$", 1) + "-01"
    return pl.coalesce(as_month.str.to_date("%Y-%m-%d", strict=False), _date_finish(date_prepped))


def parse_month(expr: pl.Expr) -> pl.Expr:
    """The first day of a year-month (``2021-09``, ``202109``, ``2021/9``, ``2021年9月``), or null."""
    v = clean(expr)
    return _month_finish(_month_prep(v), _date_prep(v))


@cache
def _county_name_keys() -> dict[str, str]:
    """Every unambiguous way a Jilin county-level unit is written by name -> its 6-digit code."""
    df = jilin_divisions()
    counties = df.filter(~pl.col("level").is_in(["province", "prefecture"]))
    province = df.filter(pl.col("level") == "province")["name"][0]
    keys = pl.concat(
        [
            counties.select(key=pl.col("name"), code=pl.col("code")),
            counties.select(key=pl.col("parent_name") + pl.col("name"), code=pl.col("code")),
            counties.select(key=pl.lit(province) + pl.col("name"), code=pl.col("code")),
            counties.select(
                key=pl.lit(province) + pl.col("parent_name") + pl.col("name"), code=pl.col("code")
            ),
        ]
    ).unique()
    # A key naming two different units resolves to neither.
    unambiguous = keys.group_by("key").agg(pl.col("code").first(), pl.len()).filter(pl.col("len") == 1)
    return dict(zip(unambiguous["key"], unambiguous["code"], strict=True))


@cache
def jilin_county_codes() -> tuple[str, ...]:
    """Current county-level codes of Jilin, sorted (the "in Jilin" value set)."""
    df = jilin_divisions().filter(~pl.col("level").is_in(["province", "prefecture"]))
    return tuple(sorted(df["code"].to_list()))


def _county_prep(v: pl.Expr) -> pl.Expr:
    return v.str.replace_all(r"\s", "")


def _county_finish(v: pl.Expr) -> pl.Expr:
    v = _nonempty(_strip_excel_decimal(v))
    by_code = pl.when(v.str.contains(r"^\d{6}(?:\d{3}|\d{6})?$")).then(v.str.slice(0, 6))
    by_name = v.replace_strict(_county_name_keys(), default=None, return_dtype=pl.Utf8)
    return pl.when(v.is_not_null()).then(pl.coalesce(by_code, by_name, pl.lit("")))


def resolve_county(expr: pl.Expr) -> pl.Expr:
    """A 6-digit county code from a 6/9/12-digit code or a Jilin county name.

    Empty stays null (not checked); anything that does not resolve becomes the
    empty string, which fails the 6-digit regex.
    """
    return _county_finish(_county_prep(clean(expr)))


def phone_helper(value: pl.Expr) -> pl.Expr:
    """The mobile number standardization reads from a cleaned cell, ``""`` where it reads none.

    The same parser as the pipeline's (:func:`taizhang.parsers.phones.parse_phone`), so a
    liaison's report and the pipeline never disagree about a cell; ``""`` fails the mobile
    regex, and an empty cell stays null (not checked).
    """
    return pl.when(value.is_not_null()).then(pl.coalesce(parse_phone(value), pl.lit("")))


Stages = list[dict[str, pl.Expr]]


def _stages_for(column: Column, today: date) -> Stages:
    """Three stages of named expressions for one column's helpers.

    Stage 0 cleans the raw value into ``<col>__value``; each later stage reads
    only columns written by earlier stages (temporary ones end in ``__t_*``).
    """
    name = column.name

    def c(kind: str) -> pl.Expr:
        return pl.col(helper_name(name, kind))

    def h(kind: str) -> str:
        return helper_name(name, kind)

    value = c("value")
    s1: dict[str, pl.Expr] = {}
    s2: dict[str, pl.Expr] = {}
    s3: dict[str, pl.Expr] = {}
    t = column.type
    if t == "id_number":
        s1[h("t_id")] = _id_prep(value)
        s2[h("id")] = _id_finish(c("t_id"))
        s3[h("id_check_ok")] = id_check_ok(c("id"))
    elif t in ("date", "month"):
        s1[h("t_date")] = _date_prep(value)
        if t == "date":
            s2[h("t_parsed")] = _date_finish(c("t_date"))
            s3[h("date_ok")] = pl.when(value.is_not_null()).then(c("t_parsed").is_not_null())
            s3[h("date_not_future")] = pl.when(c("t_parsed").is_not_null()).then(
                c("t_parsed") <= pl.lit(today)
            )
        else:
            s1[h("t_month")] = _month_prep(value)
            s2[h("t_parsed")] = _month_finish(c("t_month"), c("t_date"))
            s3[h("month_ok")] = pl.when(value.is_not_null()).then(c("t_parsed").is_not_null())
    elif t == "division":
        s1[h("t_county")] = _county_prep(value)
        s2[h("county")] = _county_finish(c("t_county"))
        # Only resolved codes are checked against the Jilin list, so an
        # unresolvable value is reported once (by division_resolves), not twice.
        s3[h("county_code")] = pl.when(c("county") != "").then(c("county"))
    elif t == "sex":
        s1[h("sex")] = value.str.to_uppercase()
    elif t == "phone":
        s1[h("phone")] = phone_helper(value)
    elif t == "integer":
        s1[h("value")] = _strip_excel_decimal(value)
    elif t == "birth_cert":
        s1[h("value")] = value.str.to_uppercase()
    elif t == "multi_enum":
        sep = column.separator or "、"
        items = value.str.split(sep).list.eval(pl.element().str.strip_chars())
        s1[h("items_ok")] = pl.when(value.is_not_null()).then(
            items.list.eval(
                pl.element().filter(pl.element().str.len_chars() > 0).is_in(list(column.allowed))
            ).list.all()
        )
    return [s1, s2, s3]


def helper_frame(
    contract: Contract, staged: pl.DataFrame, checks: Iterable[Check], today: date
) -> pl.DataFrame:
    """``file``, ``row_number`` and the helper columns ``checks`` read, one row per staged row.

    The raw contract columns are not carried over: GX never sees more than it checks.
    """
    needed = sorted({c.helper for c in checks})
    wanted = [c for c in contract.columns if any(n.startswith(c.name + "__") for n in needed)]
    raw = {
        c.name: pl.col(c.name) if c.name in staged.columns else pl.lit(None, dtype=pl.Utf8) for c in wanted
    }
    frame = staged.select(
        pl.col("file").cast(pl.Utf8),
        pl.col("row_number").cast(pl.Int64),
        *(clean(raw[c.name]).alias(helper_name(c.name, "value")) for c in wanted),
    )
    stages = [_stages_for(c, today) for c in wanted]
    for step in range(3):
        exprs = [e.alias(n) for per_column in stages for n, e in per_column[step].items()]
        if exprs:
            frame = frame.with_columns(exprs)
    return frame.select("file", "row_number", *needed)
