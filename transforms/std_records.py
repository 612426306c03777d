"""``std_records``: one standardized row per staged row of the child-level sources.

Every column is read once over the stacked rows (:mod:`transforms.staged_rows`);
names, identity numbers, dates and divisions through their parsers in
``taizhang/parsers/``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts.tables import STD_RECORDS
from taizhang.parsers.dates import month_table
from taizhang.parsers.divisions import (
    DIVISION_FIELDS,
    prefer_code_of_same_name,
    resolve_divisions,
    with_division_columns,
)
from taizhang.parsers.id_numbers import ID_FIELDS
from taizhang.parsers.sexes import parse_sex, sex_conflict
from transforms.staged_rows import (
    ROW_KEY,
    clean_text,
    dates_for,
    distinct_values,
    looked_up,
    per_distinct,
    raw_col,
    sorted_distinct_lists,
    stacked_child_rows,
)
from transforms.value_tables import ValueTables, pupil_id, value_tables

# Raw columns feeding the hukou and residence county, in order of preference.
HUKOU_COLUMNS = ("hukou_code", "hukou_division", "hukou_address")
RESIDENCE_COLUMNS = (
    "residence_code",
    "residence_division",
    "insured_division",
    "residence_address",
    "school_code",
)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _int(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return clean_text(expr).str.replace(r"\.0+$", "").cast(dtype, strict=False)


def _grade(expr: pl.Expr) -> pl.Expr:
    """School grade 1–9 from ``一年级``…``九年级``, ``1``–``9``, ``初一``–``初三``."""
    t = clean_text(expr)
    digit = t.str.extract(r"^(\d)(?:年级)?(?:\.0+)?$", 1).cast(pl.Int8, strict=False)
    cn = t.str.extract(r"([一二三四五六七八九])年级", 1).replace_strict(
        _CN_DIGITS, default=None, return_dtype=pl.Int8
    )
    junior = (
        t.str.extract(r"初([一二三])", 1).replace_strict(_CN_DIGITS, default=None, return_dtype=pl.Int8) + 6
    )
    g = pl.coalesce(digit, cn, junior.cast(pl.Int8))
    return pl.when(g.is_between(1, 9)).then(g)


def _multi(expr: pl.Expr) -> pl.Expr:
    """A ``、``-separated list (also ``,``, ``，``, ``;``, ``；``) as List(Utf8); empty list when blank."""
    t = expr.str.normalize("NFKC").fill_null("").str.replace_all(r"[,，;；/]", "、")
    return t.str.split("、").list.eval(
        pl.element().str.strip_chars().filter(pl.element().str.strip_chars().str.len_chars() > 0)
    )


def _yes_no(expr: pl.Expr) -> pl.Expr:
    return clean_text(expr).replace_strict(
        {"是": True, "否": False, "Y": True, "N": False}, default=None, return_dtype=pl.Boolean
    )


def _ethnicity(expr: pl.Expr) -> pl.Expr:
    """``汉`` and ``汉族`` alike as ``汉族``."""
    t = clean_text(expr).str.replace_all(r"\s", "")
    return pl.when(t.is_null() | t.str.ends_with("族")).then(t).otherwise(t + "族")


def _birth_cert(expr: pl.Expr) -> pl.Expr:
    """Birth-certificate number: one upper-case letter and 9 digits, else null."""
    t = clean_text(expr).str.to_uppercase().str.replace_all(r"[\s\-]", "")
    return pl.when(t.str.contains(r"^[A-Z]\d{9}$")).then(t)


RECORD_COLUMNS: tuple[str, ...] = tuple(STD_RECORDS)


# Event dates that may not lie in the future (a permit's expiry, valid_until, lies ahead by design).
_PAST_DATES = (
    "residence_start",
    "issue_date",
    "record_opened",
    "last_followup",
    "card_opened",
    "last_dose",
    "visit_date",
)
_NAME_FIELDS = {
    "name": "name",
    "pinyin": "name_pinyin",
    "initials": "name_initials",
    "surname": "surname",
    "given_name": "given_name",
    "placeholder": "name_placeholder",
    "variant_key": "name_variant_key",
}
# Text columns kept as cleaned text: categories and names of places (few distinct values) ...
_CATEGORY_COLUMNS = (
    "school_id",
    "school_name",
    "school_status",
    "clinic",
    "management_status",
    "insurance_status",
    "guardianship",
    "remarks",
)
# ... and numbers of a record (about one per child).
_NUMBER_COLUMNS = ("health_record_no", "client_code", "insurance_no")
_TEXT_COLUMNS = (*_CATEGORY_COLUMNS, *_NUMBER_COLUMNS)
# The raw columns std_records reads; the staged rows' other columns are never stacked.
RECORD_INPUTS: tuple[str, ...] = (
    "name",
    "id_number",
    "birth_date",
    "sex",
    "mother_name",
    "father_name",
    "mother_id",
    "father_id",
    "guardian1_id",
    "guardian2_id",
    "guardian1_phone",
    "guardian2_phone",
    "pupil_no",
    *_PAST_DATES,
    "valid_until",
    "enrol_month",
    *HUKOU_COLUMNS,
    *RESIDENCE_COLUMNS,
    "birth_place_code",
    "ethnicity",
    "birth_cert_no",
    "permit_no",
    "grade",
    "missed_doses",
    "insurance_year",
    "remote_care",
    "special",
    "self_apply",
    "urgent",
    *_TEXT_COLUMNS,
    "extra",
)


def standardize_records(staged: dict[str, pl.DataFrame], today: date | None = None) -> pl.DataFrame:
    """``std_records``: one standardized row per staged row of the child-level sources.

    Columns are :data:`RECORD_COLUMNS` (docs/ARCHITECTURE.md plus the extra
    ``*_prefecture``, ``*_resolution``, ``id_repair``, ``id_prefix``,
    ``name_variant_key``, ``pupil_id_number`` …). ``today`` bounds birth dates
    (default: the current date).
    """
    rows = stacked_child_rows(staged, RECORD_INPUTS)
    return records_from_rows(rows, value_tables(rows, today), today)


def records_from_rows(rows: pl.DataFrame, tables: ValueTables, today: date | None = None) -> pl.DataFrame:
    """``std_records`` from the stacked child rows (:func:`transforms.staged_rows.stacked_child_rows`
    carrying at least :data:`RECORD_INPUTS`) and the shared value tables built over them.

    Each kind of value is parsed once over the distinct values of all the
    columns holding it (the shared name, identity-number and phone tables, one
    date table per bound, one division table); the parsed fields are looked up
    by joining the key column alone, so the wide frame is never copied.
    """
    height = rows.height

    def raw(name: str) -> pl.Series:
        """A raw column as text, all null when no stacked source has it."""
        if name in rows.columns:
            return rows[name]
        return pl.Series(name, [], dtype=pl.Utf8).extend_constant(None, height)

    names, ids = tables.names, tables.ids
    pupil_ids = pupil_id(raw("pupil_no"))
    dates = dates_for([raw(x) for x in ("birth_date", *_PAST_DATES)], today)
    far = dates_for([raw("valid_until")], date(9999, 12, 31))
    months = month_table(raw("enrol_month"))

    parsed = [
        *looked_up(raw("name"), names, _NAME_FIELDS),
        *looked_up(raw("mother_name"), names, {"name": "mother_name"}),
        *looked_up(raw("father_name"), names, {"name": "father_name"}),
        *looked_up(raw("id_number"), ids, {f: f"id_{f}" for f in ID_FIELDS}),
        *looked_up(raw("mother_id"), ids, {"number": "mother_id"}),
        *looked_up(raw("father_id"), ids, {"number": "father_id"}),
        *looked_up(pupil_ids, ids, {"number": "__pupil_number", "status": "__pupil_status"}),
        *looked_up(
            raw("birth_date"),
            dates,
            {"date": "birth_date", "alt": "birth_date_alt", "issue": "birth_date_issue"},
        ),
        *(s for x in _PAST_DATES for s in looked_up(raw(x), dates, {"date": x})),
        *looked_up(raw("valid_until"), far, {"date": "valid_until"}),
        *looked_up(raw("enrol_month"), months, {"month": "enrol_month"}),
    ]
    df = rows.select(
        "record_id",
        *ROW_KEY,
        raw_col(rows, "name").alias("name_raw"),
        raw_col(rows, "id_number").alias("id_raw"),
        raw_col(rows, "birth_date").alias("birth_date_raw"),
        raw_col(rows, "sex").alias("sex_raw"),
    ).with_columns(parsed)
    del parsed
    df = df.hstack(_divisions(rows, df["id_county"]))
    guardian_ids = sorted_distinct_lists(
        [
            df["mother_id"],
            df["father_id"],
            *(looked_up(raw(x), ids, {"number": x})[0] for x in ("guardian1_id", "guardian2_id")),
        ]
    )
    phones = sorted_distinct_lists(
        [looked_up(raw(x), tables.phones, {"phone": x})[0] for x in ("guardian1_phone", "guardian2_phone")]
    )

    # Category-like columns are parsed once per distinct value; number-like ones row by row
    # (nearly every value is distinct there).
    out = df.with_columns(
        per_distinct(raw("sex"), parse_sex).alias("sex"),
        guardian_ids.alias("guardian_ids"),
        phones.alias("guardian_phones"),
        pl.when(pl.col("__pupil_status") == "valid").then(pl.col("__pupil_number")).alias("pupil_id_number"),
        per_distinct(raw("ethnicity"), _ethnicity).alias("ethnicity"),
        per_distinct(raw("grade"), _grade).alias("grade"),
        per_distinct(raw("missed_doses"), lambda e: _int(e, pl.Int32)).alias("missed_doses"),
        per_distinct(raw("insurance_year"), lambda e: _int(e, pl.Int32)).alias("insurance_year"),
        *(per_distinct(raw(x), _yes_no).alias(x) for x in ("remote_care", "self_apply")),
        *(per_distinct(raw(x), _multi).alias(x) for x in ("special", "urgent")),
        *(per_distinct(raw(x), clean_text).alias(x) for x in _CATEGORY_COLUMNS),
    ).with_columns(sex_conflict(pl.col("sex"), pl.col("id_sex")).alias("sex_conflict"))
    # Every input column present (null where no source has it), so no expression below is a lone literal.
    inputs = rows.with_columns(pl.lit(None, pl.Utf8).alias(x) for x in RECORD_INPUTS if x not in rows.columns)
    out = out.hstack(
        inputs.select(
            _birth_cert(raw_col(inputs, "birth_cert_no")).alias("birth_cert_no"),
            clean_text(raw_col(inputs, "permit_no")).alias("permit_no"),
            clean_text(raw_col(inputs, "pupil_no")).str.to_uppercase().alias("pupil_no"),
            *(clean_text(raw_col(inputs, x)).alias(x) for x in _NUMBER_COLUMNS),
            raw_col(inputs, "extra").cast(pl.Utf8).alias("extra"),
        )
    )
    out = out.select(RECORD_COLUMNS)
    # Rows are stacked in record order and every lookup keeps it: sort only if that ever fails.
    return out if out["record_id"].is_sorted() else out.sort("record_id")


def _divisions(rows: pl.DataFrame, id_county: pl.Series) -> pl.DataFrame:
    """The hukou, residence and birth-place division columns of the stacked rows (one division table)."""
    hukou = [x for x in HUKOU_COLUMNS if x in rows.columns]
    residence = [x for x in RESIDENCE_COLUMNS if x in rows.columns]
    birth_place = [x for x in ["birth_place_code"] if x in rows.columns]
    inputs = list(dict.fromkeys([*hukou, *residence, *birth_place]))
    table = resolve_divisions(distinct_values([rows[x] for x in inputs]))
    frame = rows.select(*inputs).with_columns(id_county.alias("id_county"))
    return pl.concat(
        [
            _division_columns(frame, hukou, "hukou", table, prefer="id_county"),
            _division_columns(frame, residence, "residence", table),
            _division_columns(frame, birth_place, "__bp", table).select(
                pl.col("__bp_county").alias("birth_place_county")
            ),
        ],
        how="horizontal",
    )


def _division_columns(
    frame: pl.DataFrame, columns: list[str], prefix: str, table: pl.DataFrame, prefer: str | None = None
) -> pl.DataFrame:
    """``{prefix}_raw``, ``_county``, ``_prefecture``, ``_province``, ``_resolution`` for every row of
    ``frame`` from the first resolvable of ``columns`` (:func:`with_division_columns`), the county
    switched to the one of the same name in column ``prefer`` (:func:`prefer_code_of_same_name`).

    Only rows with some text in ``columns`` are resolved: a row with none is ``empty`` (nothing
    but nulls beside it), which is what the resolution gives it, without looking it up.
    """
    names = [f"{prefix}_{f}" for f in ("raw", *DIVISION_FIELDS)]
    carried = [*columns, *([prefer] if prefer is not None else [])]
    filled = (
        frame.select(carried)
        .with_row_index("__row")
        .filter(pl.any_horizontal(pl.col(c).is_not_null() for c in columns) if columns else pl.lit(False))
    )
    resolved = with_division_columns(filled, columns, prefix, table)
    if prefer is not None:
        resolved = prefer_code_of_same_name(resolved, prefix, prefer)
    every_row = pl.int_range(0, frame.height, dtype=pl.UInt32, eager=True).alias("__row").to_frame()
    return every_row.join(
        resolved.select("__row", *names), on="__row", how="left", maintain_order="left"
    ).select(*names[:-1], pl.col(names[-1]).fill_null("empty"))
