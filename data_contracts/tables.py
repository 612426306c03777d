"""The stage tables' columns and types, declared once: every producer and reader builds on these.

Stage 2 writes ``std_records``, ``std_guardians`` and ``std_status`` with exactly
these columns in this order (``transforms/std_records.py``, ``std_guardians.py`` and
``std_status.py`` select them by these names);
the linkage engine and the rules read the subsets they name through
:func:`columns` and make a frame fit with :func:`conform`. Beside the extract
contracts because they are the contract between the stages.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

# ``std_records``: one standardized row per staged row of the child-level sources.
STD_RECORDS: dict[str, pl.DataType] = {
    "record_id": pl.Int64(),
    "source": pl.Utf8(),
    "file": pl.Utf8(),
    "row_number": pl.Int64(),
    "name_raw": pl.Utf8(),
    "name": pl.Utf8(),
    "name_pinyin": pl.Utf8(),
    "name_initials": pl.Utf8(),
    "surname": pl.Utf8(),
    "given_name": pl.Utf8(),
    "name_placeholder": pl.Boolean(),
    "name_variant_key": pl.Utf8(),
    "id_raw": pl.Utf8(),
    "id_number": pl.Utf8(),
    "id_status": pl.Utf8(),
    "id_birth_date": pl.Date(),
    "id_sex": pl.Utf8(),
    "id_county": pl.Utf8(),
    "id_repair": pl.Utf8(),
    "id_prefix": pl.Utf8(),
    "birth_date": pl.Date(),
    "birth_date_alt": pl.Date(),
    "birth_date_raw": pl.Utf8(),
    "birth_date_issue": pl.Utf8(),
    "sex_raw": pl.Utf8(),
    "sex": pl.Utf8(),
    "sex_conflict": pl.Boolean(),
    "ethnicity": pl.Utf8(),
    "hukou_raw": pl.Utf8(),
    "hukou_county": pl.Utf8(),
    "hukou_prefecture": pl.Utf8(),
    "hukou_province": pl.Utf8(),
    "hukou_resolution": pl.Utf8(),
    "residence_raw": pl.Utf8(),
    "residence_county": pl.Utf8(),
    "residence_prefecture": pl.Utf8(),
    "residence_province": pl.Utf8(),
    "residence_resolution": pl.Utf8(),
    "birth_cert_no": pl.Utf8(),
    "guardian_ids": pl.List(pl.Utf8()),
    "guardian_phones": pl.List(pl.Utf8()),
    "mother_name": pl.Utf8(),
    "father_name": pl.Utf8(),
    "mother_id": pl.Utf8(),
    "father_id": pl.Utf8(),
    "permit_no": pl.Utf8(),
    "residence_start": pl.Date(),
    "issue_date": pl.Date(),
    "valid_until": pl.Date(),
    "pupil_no": pl.Utf8(),
    "pupil_id_number": pl.Utf8(),
    "school_id": pl.Utf8(),
    "school_name": pl.Utf8(),
    "grade": pl.Int8(),
    "enrol_month": pl.Date(),
    "school_status": pl.Utf8(),
    "health_record_no": pl.Utf8(),
    "clinic": pl.Utf8(),
    "record_opened": pl.Date(),
    "last_followup": pl.Date(),
    "management_status": pl.Utf8(),
    "client_code": pl.Utf8(),
    "card_opened": pl.Date(),
    "last_dose": pl.Date(),
    "missed_doses": pl.Int32(),
    "insurance_no": pl.Utf8(),
    "insurance_status": pl.Utf8(),
    "insurance_year": pl.Int32(),
    "remote_care": pl.Boolean(),
    "birth_place_county": pl.Utf8(),
    "visit_date": pl.Date(),
    "guardianship": pl.Utf8(),
    "special": pl.List(pl.Utf8()),
    "self_apply": pl.Boolean(),
    "urgent": pl.List(pl.Utf8()),
    "remarks": pl.Utf8(),
    "extra": pl.Utf8(),
}

# ``std_guardians``: one row per parent or guardian named on a child-level row.
STD_GUARDIANS: dict[str, pl.DataType] = {
    "record_id": pl.Int64(),
    "source": pl.Utf8(),
    "file": pl.Utf8(),
    "row_number": pl.Int64(),
    "role": pl.Utf8(),
    "relation": pl.Utf8(),
    "parent_role": pl.Utf8(),
    "name_raw": pl.Utf8(),
    "name": pl.Utf8(),
    "name_pinyin": pl.Utf8(),
    "name_variant_key": pl.Utf8(),
    "name_placeholder": pl.Boolean(),
    "id_raw": pl.Utf8(),
    "id_number": pl.Utf8(),
    "id_status": pl.Utf8(),
    "id_birth_date": pl.Date(),
    "id_sex": pl.Utf8(),
    "phone_raw": pl.Utf8(),
    "phone": pl.Utf8(),
}

# ``std_status``: one row per readable person_status row.
STD_STATUS: dict[str, pl.DataType] = {
    "source": pl.Utf8(),
    "file": pl.Utf8(),
    "row_number": pl.Int64(),
    "id_raw": pl.Utf8(),
    "id_number": pl.Utf8(),
    "id_status": pl.Utf8(),
    "id_birth_date": pl.Date(),
    "id_sex": pl.Utf8(),
    "name": pl.Utf8(),
    "status": pl.Utf8(),
    # True for the sensitive category; ``status`` then holds only the masked term.
    "status_sensitive": pl.Boolean(),
    "status_detail": pl.Utf8(),
    "disability_kind": pl.Utf8(),
    "disability_grade": pl.Int8(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    # 来源单位: the rules need it for 失踪 declared by a court.
    "reporter": pl.Utf8(),
}

RECORD_CHILD: dict[str, pl.DataType] = {"record_id": pl.Int64(), "child_id": pl.Utf8()}


def columns(table: dict[str, pl.DataType], names: Iterable[str]) -> dict[str, pl.DataType]:
    """The declared types of ``names`` (in that order) from ``table``; an undeclared name is an error."""
    names = list(names)
    unknown = [n for n in names if n not in table]
    if unknown:
        raise KeyError(f"columns not declared for this table: {unknown}")
    return {n: table[n] for n in names}


def conform(df: pl.DataFrame, declared: dict[str, pl.DataType]) -> pl.DataFrame:
    """``df`` with every column of ``declared`` present (missing ones as typed nulls) and cast.

    Extra columns are kept as they are.
    """
    return df.with_columns(
        (pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c)
        for c, t in declared.items()
    )
