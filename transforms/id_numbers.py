"""Citizen identity numbers (公民身份号码, GB 11643-1999), vectorised in polars.

Departments type, paste and export identity numbers in many broken ways: lower
case ``x``, full-width digits, inner spaces, a leading apostrophe (Excel's
"keep as text" mark), Excel numbers (``2.20102201503151E+17``, whose last
digits are gone, or ``220102201503151234.0``), the legacy 15-digit form, and
typos. This module turns the raw text into an 18-character number plus a
status, without ever dropping the record:

``valid``      check digit and birth date correct
``bad_check``  18 characters, real birth date, wrong check digit (one typo from
               the truth: kept for fuzzy comparison)
``lossy``      Excel scientific notation: digits were lost, the number is gone;
               the surviving leading digits are kept in ``prefix`` (a mantissa
               that still holds all 18 digits and passes the check is repaired)
``malformed``  anything else that is not empty (wrong length, letters, a birth
               date that is not a real date or lies in the future)
``empty``      nothing there

The address code is never checked against a code list: an identity number keeps
the code of the county that issued it, late registrations carry codes that did
not exist in the birth year, and development zones carry statistical codes
(policy.md §3 pitfalls of python-stdnum). Birth date, sex and address code are
derived from ``valid`` and ``bad_check`` numbers.
"""

from __future__ import annotations

from datetime import date

import polars as pl

# ISO 7064 MOD 11-2 weights for positions 1..17 (2^(18-i) mod 11).
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# S mod 11 -> check character.
CHECK_CHARS = "10X98765432"

ID_STATUSES = ("valid", "bad_check", "lossy", "malformed", "empty")

# Struct fields produced by :func:`parse_id_number`.
ID_FIELDS = ("number", "status", "birth_date", "sex", "county", "repair", "prefix")

_STRIP_CHARS = r"[\s'‘’`\"\-]"
_EXCEL_SCI = r"^(\d)(?:\.(\d+))?E\+?(\d{1,2})$"
_EXCEL_DECIMAL = r"^(\d{15}|\d{17}[\dX])\.0+$"


def check_digit(body17: pl.Expr) -> pl.Expr:
    """The GB 11643 check character of a 17-digit string expression (null if not 17 digits).

    Vectorised as 17 weighted substring casts: no Python per record.
    """
    body = pl.when(body17.str.contains(r"^\d{17}$")).then(body17)
    total = pl.sum_horizontal(
        body.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(WEIGHTS)
    )
    check = pl.when(body.is_not_null()).then(total % 11)
    return check.replace_strict({i: CHECK_CHARS[i] for i in range(11)}, default=None, return_dtype=pl.Utf8)


def clean_id_text(raw: pl.Expr) -> pl.Expr:
    """NFKC (full-width digits and Ｘ to ASCII), upper case, drop spaces, apostrophes, quotes and dashes."""
    return raw.str.normalize("NFKC").str.to_uppercase().str.replace_all(_STRIP_CHARS, "")


def parse_id_number(raw: pl.Expr, today: date | None = None) -> pl.Expr:
    """Parse raw identity-number text into a struct with fields :data:`ID_FIELDS`.

    ``number`` is the 18-character normalised number for ``valid`` and
    ``bad_check``; ``repair`` says what was fixed (``excel_decimal``,
    ``upgraded_15``); ``prefix`` holds the surviving leading digits of a
    ``lossy`` Excel number (address code and usually the birth date survive,
    which still helps blocking). ``today`` bounds birth dates (default: the
    current date).
    """
    today = today or date.today()
    text = clean_id_text(raw)
    is_empty = text.is_null() | (text.str.len_chars() == 0)

    # Excel scientific notation: mantissa digits are all that survive.
    sci = text.str.extract_groups(_EXCEL_SCI)
    sci_digits = sci.struct.field("1") + sci.struct.field("2").fill_null("")
    is_sci = sci.struct.field("1").is_not_null()

    # Scientific notation normally keeps 15 significant digits (lossy); a
    # mantissa with every digit (exponent + 1 of them) is only trusted below
    # when its check digit also holds, since rounding could have changed it.
    sci_complete = is_sci & (sci_digits.str.len_chars() == sci.struct.field("3").cast(pl.Int32) + 1)

    # Excel decimal: a trailing ".0" after an otherwise complete number.
    decimal_body = text.str.extract(_EXCEL_DECIMAL, 1)
    unwrapped = pl.coalesce(decimal_body, pl.when(sci_complete).then(sci_digits), text)
    is_15 = unwrapped.str.contains(r"^\d{15}$")
    is_18 = unwrapped.str.contains(r"^\d{17}[\dX]$")

    body17 = (
        pl.when(is_18)
        .then(unwrapped.str.slice(0, 17))
        .when(is_15)
        .then(unwrapped.str.slice(0, 6) + pl.lit("19") + unwrapped.str.slice(6, 9))
    )
    computed = check_digit(body17)
    given = pl.when(is_18).then(unwrapped.str.slice(17, 1)).when(is_15).then(computed)
    birth = body17.str.slice(6, 8)
    year = birth.str.slice(0, 4).cast(pl.Int32, strict=False)
    birth_date = pl.when(year >= 1900).then(birth.str.to_date("%Y%m%d", strict=False))
    date_ok = birth_date.is_not_null() & (birth_date <= pl.lit(today))
    check_ok = given == computed

    status = (
        pl.when(is_empty)
        .then(pl.lit("empty"))
        .when(is_sci & ~(sci_complete & date_ok & check_ok & is_18))
        .then(pl.lit("lossy"))
        .when(body17.is_null() | ~date_ok)
        .then(pl.lit("malformed"))
        .when(check_ok)
        .then(pl.lit("valid"))
        .otherwise(pl.lit("bad_check"))
    )
    usable = status.is_in(["valid", "bad_check"])
    number = pl.when(usable).then(body17 + given)
    sex_digit = body17.str.slice(16, 1).cast(pl.Int32, strict=False)
    sex = pl.when(usable).then(pl.when(sex_digit % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女")))
    repair = (
        pl.when(usable & is_15)
        .then(pl.lit("upgraded_15"))
        .when(usable & decimal_body.is_not_null())
        .then(pl.lit("excel_decimal"))
        .when(usable & is_sci)
        .then(pl.lit("excel_scientific"))
    )
    return pl.struct(
        number.alias("number"),
        status.alias("status"),
        pl.when(usable).then(birth_date).alias("birth_date"),
        sex.alias("sex"),
        pl.when(usable).then(body17.str.slice(0, 6)).alias("county"),
        repair.alias("repair"),
        pl.when(status == "lossy").then(sci_digits).alias("prefix"),
    )


def with_id_columns(
    df: pl.DataFrame | pl.LazyFrame,
    raw_column: str,
    prefix: str = "id",
    today: date | None = None,
) -> pl.DataFrame | pl.LazyFrame:
    """Add ``{prefix}_number``, ``_status``, ``_birth_date``, ``_sex``, ``_county``, ``_repair``, ``_prefix``.

    The raw column is left untouched beside them (every standardized column
    keeps its raw value).
    """
    tmp = f"__{prefix}_parsed"
    names = {f: f"{prefix}_{f}" for f in ID_FIELDS}
    names["number"] = f"{prefix}_number"
    return (
        df.with_columns(parse_id_number(pl.col(raw_column), today).alias(tmp))
        .with_columns(pl.col(tmp).struct.field(f).alias(names[f]) for f in ID_FIELDS)
        .drop(tmp)
    )


def upgrade_15(number15: str) -> str:
    """The 18-digit form of one legacy 15-digit number (insert ``19``, add the check digit).

    For single values (CLI, tests); tables use :func:`parse_id_number`.
    """
    if len(number15) != 15 or not number15.isdigit():
        raise ValueError("a legacy identity number has exactly 15 digits")
    body = number15[:6] + "19" + number15[6:]
    return body + CHECK_CHARS[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
