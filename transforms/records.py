"""Stage 2 tables from the staged rows: ``std_records``, ``std_guardians``, ``std_status``.

The staged frames (docs/ARCHITECTURE.md, stage 1) hold raw text under the
contract's column names. The contracts use the same name for the same kind of
field in every source (``name``, ``id_number``, ``birth_date``, …), so the
child-level sources are stacked into one frame first and every column is
standardized once over the whole stack; names, identity numbers and division
texts go through their modules on distinct values only.

``record_id`` is dense (1, 2, …) over the child-level rows ordered by
``(SOURCE_ORDER, file, row_number)``; it is only valid inside one run.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts import SOURCE_ORDER, load_contracts
from data_contracts.tables import STD_GUARDIANS, STD_RECORDS, STD_STATUS
from taizhang.masking import MASKED_TERM
from taizhang.parsers.dates import date_table, month_table, with_date_columns
from taizhang.parsers.divisions import (
    DIVISION_FIELDS,
    prefer_code_of_same_name,
    resolve_divisions,
    with_division_columns,
)
from taizhang.parsers.id_numbers import ID_FIELDS, id_table
from taizhang.parsers.names import standardize_names
from taizhang.parsers.phones import parse_phone
from taizhang.parsers.sexes import parse_sex, sex_conflict

# Raw columns feeding the hukou and residence county, in order of preference.
HUKOU_COLUMNS = ("hukou_code", "hukou_division", "hukou_address")
RESIDENCE_COLUMNS = (
    "residence_code",
    "residence_division",
    "insured_division",
    "residence_address",
    "school_code",
)
GUARDIAN_ROLES = ("father", "mother", "guardian1", "guardian2")
DISABILITY_KINDS = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ROW_KEY = ("source", "file", "row_number")


def _child_sources(staged: dict[str, pl.DataFrame]) -> list[str]:
    contracts = load_contracts()
    return [s for s in SOURCE_ORDER if s in staged and s in contracts and contracts[s].child_level]


def _with_contract_columns(
    source: str, df: pl.DataFrame, wanted: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """Every contract column present (null when the file lacked it), all as Utf8 text.

    ``wanted`` keeps only those of the contract's columns (and ``extra``), so a
    caller that reads a few columns never copies the others.
    """
    names = [
        c for c in [*load_contracts()[source].column_names, "extra"] if wanted is None or c in wanted
    ]
    if "extra" not in df.columns:
        names.remove("extra")
    keep = [c for c in ("source", "file", "row_number") if c in df.columns]
    return df.select(
        *(pl.col(c).cast(pl.Utf8) if c != "row_number" else pl.col(c).cast(pl.Int64) for c in keep),
        *(pl.col(c).cast(pl.Utf8) if c in df.columns else pl.lit(None, pl.Utf8).alias(c) for c in names),
    )


def stacked_child_rows(
    staged: dict[str, pl.DataFrame], wanted: tuple[str, ...] | None = None
) -> pl.DataFrame:
    """All child-level staged rows in record order, with ``record_id`` (Int64, from 1).

    ``wanted`` names the raw columns to carry (default: all of them).
    """
    frames = [
        _with_contract_columns(s, staged[s], wanted)
        .with_columns(pl.lit(s).alias("source"))
        .sort("file", "row_number")
        for s in _child_sources(staged)
    ]
    frames = [f for f in frames if f.height > 0]
    if not frames:
        empty = {"source": pl.Utf8, "file": pl.Utf8, "row_number": pl.Int64}
        return pl.DataFrame(schema={"record_id": pl.Int64, **empty})
    stacked = pl.concat(frames, how="diagonal_relaxed")
    return stacked.with_row_index("record_id", offset=1).with_columns(pl.col("record_id").cast(pl.Int64))


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    """A raw column, or a null Utf8 literal when no source has it."""
    return pl.col(name) if name in df.columns else pl.lit(None, pl.Utf8)


def _text(expr: pl.Expr) -> pl.Expr:
    """Trimmed NFKC text, empty as null (for codes and categories)."""
    t = expr.str.normalize("NFKC").str.strip_chars()
    return pl.when(t.str.len_chars() > 0).then(t)


def _int(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return _text(expr).str.replace(r"\.0+$", "").cast(dtype, strict=False)


def _grade(expr: pl.Expr) -> pl.Expr:
    """School grade 1–9 from ``一年级``…``九年级``, ``1``–``9``, ``初一``–``初三``."""
    t = _text(expr)
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
    return _text(expr).replace_strict(
        {"是": True, "否": False, "Y": True, "N": False}, default=None, return_dtype=pl.Boolean
    )


def _ethnicity(expr: pl.Expr) -> pl.Expr:
    """``汉`` and ``汉族`` alike as ``汉族``."""
    t = _text(expr).str.replace_all(r"\s", "")
    return pl.when(t.is_null() | t.str.ends_with("族")).then(t).otherwise(t + "族")


def _birth_cert(expr: pl.Expr) -> pl.Expr:
    """Birth-certificate number: one upper-case letter and 9 digits, else null."""
    t = _text(expr).str.to_uppercase().str.replace_all(r"[\s\-]", "")
    return pl.when(t.str.contains(r"^[A-Z]\d{9}$")).then(t)


def _looked_up(values: pl.Series, table: pl.DataFrame, renames: dict[str, str]) -> list[pl.Series]:
    """The ``renames`` columns of ``table`` (one row per distinct ``raw``) for each of ``values``, in order.

    Only the key column is joined, so a lookup never copies the wide frame it is added to.
    """
    keys = values.cast(pl.Utf8).alias("raw").to_frame()
    found = keys.join(
        table.select("raw", *renames), on="raw", how="left", nulls_equal=True, maintain_order="left"
    )
    return [found[k].alias(v) for k, v in renames.items()]


def _distinct(columns: list[pl.Series]) -> pl.Series:
    """The distinct values of several raw columns as one text series (deduplicated column by column
    first, so the columns are never copied end to end)."""
    if not columns:
        return pl.Series([], dtype=pl.Utf8)
    return pl.concat([c.cast(pl.Utf8).unique() for c in columns]).unique()


def _names_for(columns: list[pl.Series]) -> pl.DataFrame:
    """One standardized-name table for several raw name columns."""
    return standardize_names(_distinct(columns))


def _ids_for(columns: list[pl.Series], today: date | None) -> pl.DataFrame:
    """One identity-number table for several raw columns (each distinct value parsed once)."""
    return id_table(_distinct(columns), today)


def _dates_for(columns: list[pl.Series], today: date | None) -> pl.DataFrame:
    """One date table for several raw columns bounded by the same ``today``."""
    return date_table(_distinct(columns), today)


def _sorted_distinct(first: pl.Expr, second: pl.Expr) -> pl.Expr:
    """The distinct non-null values of two text columns as a sorted list.

    Equal to ``concat_list(...).list.drop_nulls().list.unique().list.sort()`` without
    hashing each row's list.
    """
    low, high = pl.min_horizontal(first, second), pl.max_horizontal(first, second)
    return pl.concat_list(low, pl.when(high != low).then(high)).list.drop_nulls()


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
_TEXT_COLUMNS = (
    "school_id",
    "school_name",
    "school_status",
    "health_record_no",
    "clinic",
    "management_status",
    "client_code",
    "insurance_no",
    "insurance_status",
    "guardianship",
    "remarks",
)
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

    Each kind of value is parsed once over the distinct values of all the
    columns holding it (one name table, one identity-number table, one date
    table per bound, one division table); the parsed fields are looked up by
    joining the key column alone, so the wide frame is never copied.
    """
    rows = stacked_child_rows(staged, RECORD_INPUTS)
    height = rows.height

    def raw(name: str) -> pl.Series:
        """A raw column as text, all null when no stacked source has it."""
        if name in rows.columns:
            return rows[name]
        return pl.Series(name, [], dtype=pl.Utf8).extend_constant(None, height)

    names = _names_for([raw("name"), raw("mother_name"), raw("father_name")])
    pupil_no = pl.col("pupil_no")
    pupil_id = (
        raw("pupil_no")
        .to_frame()
        .select(pl.when(pupil_no.str.contains(r"^\s*[Gg]")).then(pupil_no.str.strip_chars().str.slice(1)))
        .to_series()
    )
    id_columns = ("id_number", "mother_id", "father_id", "guardian1_id", "guardian2_id")
    ids = _ids_for([*(raw(x) for x in id_columns), pupil_id], today)
    dates = _dates_for([raw(x) for x in ("birth_date", *_PAST_DATES)], today)
    far = _dates_for([raw("valid_until")], date(9999, 12, 31))
    months = month_table(raw("enrol_month"))

    parsed = [
        *_looked_up(raw("name"), names, _NAME_FIELDS),
        *_looked_up(raw("mother_name"), names, {"name": "mother_name"}),
        *_looked_up(raw("father_name"), names, {"name": "father_name"}),
        *_looked_up(raw("id_number"), ids, {f: f"id_{f}" for f in ID_FIELDS}),
        *_looked_up(raw("mother_id"), ids, {"number": "mother_id"}),
        *_looked_up(raw("father_id"), ids, {"number": "father_id"}),
        *_looked_up(raw("guardian1_id"), ids, {"number": "__g1_number"}),
        *_looked_up(raw("guardian2_id"), ids, {"number": "__g2_number"}),
        *_looked_up(pupil_id, ids, {"number": "__pupil_number", "status": "__pupil_status"}),
        *_looked_up(
            raw("birth_date"),
            dates,
            {"date": "birth_date", "alt": "birth_date_alt", "issue": "birth_date_issue"},
        ),
        *(s for x in _PAST_DATES for s in _looked_up(raw(x), dates, {"date": x})),
        *_looked_up(raw("valid_until"), far, {"date": "valid_until"}),
        *_looked_up(raw("enrol_month"), months, {"month": "enrol_month"}),
    ]
    df = rows.select(
        "record_id",
        *_ROW_KEY,
        _col(rows, "name").alias("name_raw"),
        _col(rows, "id_number").alias("id_raw"),
        _col(rows, "birth_date").alias("birth_date_raw"),
        _col(rows, "sex").alias("sex_raw"),
    ).with_columns(parsed)
    df = df.hstack(_divisions(rows, df["id_county"]))

    # Every input column present (null where no source has it), so no expression below is a lone literal.
    inputs = rows.with_columns(pl.lit(None, pl.Utf8).alias(x) for x in RECORD_INPUTS if x not in rows.columns)
    phones = [parse_phone(_col(inputs, p)) for p in ("guardian1_phone", "guardian2_phone")]
    sex = parse_sex(pl.col("sex_raw"))
    out = df.with_columns(
        sex.alias("sex"),
        sex_conflict(sex, pl.col("id_sex")).alias("sex_conflict"),
        pl.concat_list("mother_id", "father_id", "__g1_number", "__g2_number")
        .list.drop_nulls()
        .list.unique()
        .list.sort()
        .alias("guardian_ids"),
        pl.when(pl.col("__pupil_status") == "valid").then(pl.col("__pupil_number")).alias("pupil_id_number"),
    ).hstack(
        inputs.select(
            _ethnicity(_col(inputs, "ethnicity")).alias("ethnicity"),
            _birth_cert(_col(inputs, "birth_cert_no")).alias("birth_cert_no"),
            _sorted_distinct(*phones).alias("guardian_phones"),
            _text(_col(inputs, "permit_no")).alias("permit_no"),
            _text(_col(inputs, "pupil_no")).str.to_uppercase().alias("pupil_no"),
            _grade(_col(inputs, "grade")).alias("grade"),
            _int(_col(inputs, "missed_doses"), pl.Int32).alias("missed_doses"),
            _int(_col(inputs, "insurance_year"), pl.Int32).alias("insurance_year"),
            _yes_no(_col(inputs, "remote_care")).alias("remote_care"),
            _multi(_col(inputs, "special")).alias("special"),
            _yes_no(_col(inputs, "self_apply")).alias("self_apply"),
            _multi(_col(inputs, "urgent")).alias("urgent"),
            *(_text(_col(inputs, x)).alias(x) for x in _TEXT_COLUMNS),
            _col(inputs, "extra").cast(pl.Utf8).alias("extra"),
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
    table = resolve_divisions(_distinct([rows[x] for x in inputs]))
    fields = ("raw", *DIVISION_FIELDS)
    hk = with_division_columns(rows.select("record_id", *hukou), hukou, "hukou", table)
    hk = prefer_code_of_same_name(hk.with_columns(id_county), "hukou", "id_county")
    res = with_division_columns(rows.select("record_id", *residence), residence, "residence", table)
    bp = with_division_columns(rows.select("record_id", *birth_place), birth_place, "__bp", table)
    return pl.concat(
        [
            hk.select(f"hukou_{f}" for f in fields),
            res.select(f"residence_{f}" for f in fields),
            bp.select(pl.col("__bp_county").alias("birth_place_county")),
        ],
        how="horizontal",
    )


GUARDIAN_COLUMNS: tuple[str, ...] = tuple(STD_GUARDIANS)


def standardize_guardians(
    staged: dict[str, pl.DataFrame], records: pl.DataFrame | None = None, today: date | None = None
) -> pl.DataFrame:
    """``std_guardians``: one row per parent or guardian named (by name or id) on a child-level row.

    ``records`` (``std_records``), when given, supplies the record ids; they
    are otherwise assigned exactly as :func:`standardize_records` does.
    """
    wanted = tuple(f"{r}_{f}" for r in GUARDIAN_ROLES for f in ("name", "id", "phone", "relation"))
    rows = stacked_child_rows(staged, wanted)
    if records is not None and rows.height:
        rows = rows.drop("record_id").join(
            records.select("record_id", *_ROW_KEY), on=list(_ROW_KEY), how="left"
        )
    parts = []
    for role in GUARDIAN_ROLES:
        if role in ("father", "mother"):
            name, idn, phone = f"{role}_name", f"{role}_id", f"{role}_phone"
            relation = pl.lit("父亲" if role == "father" else "母亲")
        else:
            name, idn, phone = f"{role}_name", f"{role}_id", f"{role}_phone"
            relation = _text(_col(rows, f"{role}_relation"))
        part = rows.select(
            "record_id",
            *_ROW_KEY,
            pl.lit(role).alias("role"),
            relation.cast(pl.Utf8).alias("relation"),
            _col(rows, name).alias("name_raw"),
            _col(rows, idn).alias("id_raw"),
            _col(rows, phone).alias("phone_raw"),
        )
        present = _text(pl.col("name_raw")).is_not_null() | _text(pl.col("id_raw")).is_not_null()
        parts.append(part.filter(present))
    schema = {
        "record_id": pl.Int64,
        "source": pl.Utf8,
        "file": pl.Utf8,
        "row_number": pl.Int64,
        "role": pl.Utf8,
        "relation": pl.Utf8,
        "name_raw": pl.Utf8,
        "id_raw": pl.Utf8,
        "phone_raw": pl.Utf8,
    }
    g = pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)
    names = _names_for([g["name_raw"]])
    ids = _ids_for([g["id_raw"]], today)
    g = g.with_columns(
        *_looked_up(
            g["name_raw"],
            names,
            {
                "name": "name",
                "pinyin": "name_pinyin",
                "variant_key": "name_variant_key",
                "placeholder": "name_placeholder",
            },
        ),
        *_looked_up(g["id_raw"], ids, {f: f"id_{f}" for f in ("number", "status", "birth_date", "sex")}),
    )
    role_order = {r: i for i, r in enumerate(GUARDIAN_ROLES)}
    g = g.with_columns(
        pl.when(pl.col("role").is_in(["father", "mother"]))
        .then(pl.col("role"))
        .when(pl.col("relation") == "父亲")
        .then(pl.lit("father"))
        .when(pl.col("relation") == "母亲")
        .then(pl.lit("mother"))
        .alias("parent_role"),
        parse_phone(pl.col("phone_raw")).alias("phone"),
        pl.col("role").replace_strict(role_order, return_dtype=pl.Int8).alias("__order"),
    )
    return g.sort("record_id", "__order").select(GUARDIAN_COLUMNS)


STATUS_COLUMNS: tuple[str, ...] = tuple(STD_STATUS)


def _disability(detail: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(kind, grade) from ``肢体残疾一级`` / ``智力残疾3级`` or a 20-character disability-card number.

    The card number is the identity number plus a category digit (1 视力 … 7
    多重) and a grade digit (docs/policy.md §1.5).
    """
    t = detail.str.normalize("NFKC").str.replace_all(r"\s", "")
    kind = t.str.extract(r"(视力|听力|言语|肢体|智力|精神|多重)(?:残疾)?", 1)
    grade_text = t.str.extract(r"(?:残疾)?([一二三四1-4])级", 1)
    grade = grade_text.replace_strict(
        {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4},
        default=None,
        return_dtype=pl.Int8,
    )
    card = t.str.extract(r"(?:^|\D)\d{17}[\dX]([1-7])([1-4])(?:\D|$)", 1)
    card_grade = t.str.extract(r"(?:^|\D)\d{17}[\dX][1-7]([1-4])(?:\D|$)", 1).cast(pl.Int8, strict=False)
    card_kind = card.cast(pl.Int32, strict=False).replace_strict(
        {i + 1: k for i, k in enumerate(DISABILITY_KINDS)}, default=None, return_dtype=pl.Utf8
    )
    return pl.coalesce(kind, card_kind), pl.coalesce(grade, card_grade)


def standardize_status(
    staged_person_status: pl.DataFrame | dict[str, pl.DataFrame], today: date | None = None
) -> pl.DataFrame:
    """``std_status``: one row per readable ``person_status`` row.

    Accepts the staged ``person_status`` frame or the whole staged dict. The
    sensitive status (the contract's ``sensitive_values``) is never kept in
    clear text: ``status`` holds the masked term and ``status_sensitive`` is
    True, and its detail is dropped; rules read the Boolean.
    """
    if isinstance(staged_person_status, dict):
        frame = staged_person_status.get("person_status")
    else:
        frame = staged_person_status
    contract = load_contracts()["person_status"]
    if frame is None:
        frame = pl.DataFrame(
            schema={
                "source": pl.Utf8,
                "file": pl.Utf8,
                "row_number": pl.Int64,
                **dict.fromkeys(contract.column_names, pl.Utf8),
            }
        )
    df = (
        _with_contract_columns("person_status", frame)
        .with_columns(pl.lit("person_status").alias("source"))
        .rename({"id_number": "id_raw", "start_date": "__start_raw", "end_date": "__end_raw"})
    )
    # Event dates may be announced ahead (end of a sentence), so no future bound.
    far = date(9999, 12, 31)
    df = with_date_columns(df, "__start_raw", "start_date", far, fields=("date",))
    df = with_date_columns(df, "__end_raw", "end_date", far, fields=("date",))
    ids = _ids_for([df["id_raw"]], today)
    names = _names_for([df["name"]])
    df = df.with_columns(
        *_looked_up(df["id_raw"], ids, {f: f"id_{f}" for f in ("number", "status", "birth_date", "sex")}),
        *_looked_up(df["name"], names, {"name": "name"}),
    )
    status = _text(pl.col("status"))
    # Staged data holds a sensitive value's code (taizhang.ingest.sensitive); the value itself is
    # accepted too for frames built by hand.
    codes = [code for _, code in contract.sensitive_codes]
    sensitive = status.is_in([*contract.sensitive_values, *codes]).fill_null(False)
    kind, grade = _disability(pl.col("status_detail"))
    is_disability = status == "重残"
    out = df.with_columns(
        pl.when(sensitive).then(pl.lit(MASKED_TERM)).otherwise(status).alias("status"),
        sensitive.alias("status_sensitive"),
        pl.when(sensitive).then(None).otherwise(_text(pl.col("status_detail"))).alias("status_detail"),
        pl.when(is_disability).then(kind).alias("disability_kind"),
        pl.when(is_disability).then(grade).alias("disability_grade"),
        _text(pl.col("reporter")).alias("reporter"),
    )
    return out.select(STATUS_COLUMNS).sort(*_ROW_KEY)
