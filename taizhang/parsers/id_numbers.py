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
``lossy``      Excel scientific notation, or an Excel decimal ``…000.0`` that fails
               the check: digits were lost, the number is gone;
               the surviving leading digits are kept in ``prefix`` (a mantissa
               that still holds all 18 digits and passes the check is repaired)
``malformed``  anything else that is not empty (wrong length, letters, a birth
               date that is not a real date or lies in the future)
``empty``      nothing there

The address code is never checked against a code list: an identity number keeps
the code of the county that issued it, late registrations carry codes that did
not exist in the birth year, and development zones carry statistical codes
(docs/policy.md §3 pitfalls of python-stdnum). Birth date, sex and address code are
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

    The one definition of the check digit: validation, standardization and the
    generator all call it. Vectorised as 17 weighted substring casts: no Python per record.
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


def id_table(values: pl.Series, today: date | None = None) -> pl.DataFrame:
    """One row per distinct raw value: ``raw`` plus :data:`ID_FIELDS`.

    ``number`` is the 18-character normalised number for ``valid`` and
    ``bad_check``; ``repair`` says what was fixed (``excel_decimal``,
    ``excel_scientific``, ``upgraded_15``); ``prefix`` holds the surviving
    leading digits of a ``lossy`` Excel number (address code and usually the
    birth date survive, which still helps blocking). ``today`` bounds birth
    dates (default: the current date).

    Each step materialises its column before the next reads it: one nested
    expression would repeat the cleaning under every reference and take
    seconds to plan.
    """
    today = today or date.today()
    c = pl.col
    lf = (
        pl.DataFrame({"raw": values.unique()}, schema={"raw": pl.Utf8})
        .lazy()
        .with_columns(clean_id_text(c("raw")).alias("text"))
        .with_columns(c("text").str.extract_groups(_EXCEL_SCI).alias("sci"))
        .with_columns(
            (c("sci").struct.field("1") + c("sci").struct.field("2").fill_null("")).alias("sci_digits"),
            c("sci").struct.field("3").cast(pl.Int32).alias("sci_exp"),
            c("text").str.extract(_EXCEL_DECIMAL, 1).alias("decimal_body"),
        )
        .with_columns(
            c("sci_digits").is_not_null().alias("is_sci"),
            # Scientific notation normally keeps 15 significant digits (lossy); a
            # mantissa with every digit (exponent + 1 of them) is only trusted
            # below when its check digit also holds: rounding could have changed it.
            (c("sci_digits").str.len_chars() == c("sci_exp") + 1).fill_null(False).alias("sci_complete"),
        )
        .with_columns(
            pl.coalesce(c("decimal_body"), pl.when(c("sci_complete")).then(c("sci_digits")), c("text")).alias(
                "unwrapped"
            )
        )
        .with_columns(
            c("unwrapped").str.contains(r"^\d{15}$").fill_null(False).alias("is_15"),
            c("unwrapped").str.contains(r"^\d{17}[\dX]$").fill_null(False).alias("is_18"),
        )
        .with_columns(
            pl.when(c("is_18"))
            .then(c("unwrapped").str.slice(0, 17))
            .when(c("is_15"))
            .then(c("unwrapped").str.slice(0, 6) + pl.lit("19") + c("unwrapped").str.slice(6, 9))
            .alias("body17")
        )
        .with_columns(check_digit(c("body17")).alias("computed"), c("body17").str.slice(6, 8).alias("birth"))
        .with_columns(
            pl.when(c("is_18")).then(c("unwrapped").str.slice(17, 1)).otherwise(c("computed")).alias("given"),
            pl.when(c("birth").str.slice(0, 4).cast(pl.Int32, strict=False) >= 1900)
            .then(c("birth").str.to_date("%Y%m%d", strict=False))
            .alias("birth_date"),
        )
        .with_columns(
            (c("birth_date").is_not_null() & (c("birth_date") <= pl.lit(today))).alias("date_ok"),
            (c("given") == c("computed")).fill_null(False).alias("check_ok"),
        )
        .with_columns(
            pl.when(c("text").is_null() | (c("text").str.len_chars() == 0))
            .then(pl.lit("empty"))
            .when(c("is_sci") & ~(c("sci_complete") & c("date_ok") & c("check_ok") & c("is_18")))
            .then(pl.lit("lossy"))
            # Excel shows an 18-digit number with 15 significant digits ("…000.0"):
            # a decimal form that fails the check lost its tail, it is not a typo.
            .when(c("decimal_body").is_not_null() & c("is_18") & ~c("check_ok"))
            .then(pl.lit("lossy"))
            .when(c("body17").is_null() | ~c("date_ok"))
            .then(pl.lit("malformed"))
            .when(c("check_ok"))
            .then(pl.lit("valid"))
            .otherwise(pl.lit("bad_check"))
            .alias("status")
        )
        .with_columns(c("status").is_in(["valid", "bad_check"]).alias("usable"))
        .with_columns(
            pl.when(c("usable")).then(c("body17") + c("given")).alias("number"),
            pl.when(c("usable"))
            .then(
                pl.when(c("body17").str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
                .then(pl.lit("男"))
                .otherwise(pl.lit("女"))
            )
            .alias("sex"),
            pl.when(c("usable")).then(c("birth_date")).alias("birth_date"),
            pl.when(c("usable")).then(c("body17").str.slice(0, 6)).alias("county"),
            pl.when(c("usable") & c("is_15"))
            .then(pl.lit("upgraded_15"))
            .when(c("usable") & c("decimal_body").is_not_null())
            .then(pl.lit("excel_decimal"))
            .when(c("usable") & c("is_sci"))
            .then(pl.lit("excel_scientific"))
            .alias("repair"),
            pl.when(c("status") == "lossy")
            .then(pl.coalesce(c("sci_digits"), c("decimal_body").str.slice(0, 15)))
            .alias("prefix"),
        )
    )
    return lf.select("raw", *ID_FIELDS).collect().sort("raw", nulls_last=True)


def with_id_columns(
    df: pl.DataFrame,
    raw_column: str,
    prefix: str = "id",
    today: date | None = None,
    fields: tuple[str, ...] = ID_FIELDS,
) -> pl.DataFrame:
    """Add ``{prefix}_<field>`` columns (``id_number``, ``id_status``, …) parsed from ``raw_column``.

    Parsed on distinct values and joined back; the raw column stays beside them.
    """
    table = id_table(df[raw_column].cast(pl.Utf8), today).select(
        pl.col("raw").alias(raw_column), *[pl.col(f).alias(f"{prefix}_{f}") for f in fields]
    )
    return df.join(table, on=raw_column, how="left", nulls_equal=True, maintain_order="left")


def upgrade_15(number15: str) -> str:
    """The 18-digit form of one legacy 15-digit number (insert ``19``, add the check digit).

    For single values (CLI, tests); tables use :func:`parse_id_number`.
    """
    if len(number15) != 15 or not number15.isdigit():
        raise ValueError("a legacy identity number has exactly 15 digits")
    body = number15[:6] + "19" + number15[6:]
    return body + check_character(body)


def check_character(body17: str) -> str:
    """The check character of one 17-digit body (for single values: CLI, generator, tests).

    Computed by :func:`check_digit`, so the rule exists once.
    """
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError("an identity number body has exactly 17 digits")
    return str(pl.select(check_digit(pl.lit(body17, pl.Utf8))).item())
