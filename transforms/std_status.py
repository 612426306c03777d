"""``std_status``: one row per readable ``person_status`` row, the sensitive status masked."""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts import load_contracts
from data_contracts.tables import STD_STATUS
from taizhang.masking import MASKED_TERM
from taizhang.parsers.dates import with_date_columns
from transforms.staged_rows import ROW_KEY, clean_text, ids_for, looked_up, names_for, with_contract_columns

DISABILITY_KINDS = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")


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
        with_contract_columns("person_status", frame)
        .with_columns(pl.lit("person_status").alias("source"))
        .rename({"id_number": "id_raw", "start_date": "__start_raw", "end_date": "__end_raw"})
    )
    # Event dates may be announced ahead (end of a sentence), so no future bound.
    far = date(9999, 12, 31)
    df = with_date_columns(df, "__start_raw", "start_date", far, fields=("date",))
    df = with_date_columns(df, "__end_raw", "end_date", far, fields=("date",))
    ids = ids_for([df["id_raw"]], today)
    names = names_for([df["name"]])
    df = df.with_columns(
        *looked_up(df["id_raw"], ids, {f: f"id_{f}" for f in ("number", "status", "birth_date", "sex")}),
        *looked_up(df["name"], names, {"name": "name"}),
    )
    status = clean_text(pl.col("status"))
    # Staged data holds a sensitive value's code (taizhang.ingest.sensitive); the value itself is
    # accepted too for frames built by hand.
    codes = [code for _, code in contract.sensitive_codes]
    sensitive = status.is_in([*contract.sensitive_values, *codes]).fill_null(False)
    kind, grade = _disability(pl.col("status_detail"))
    is_disability = status == "重残"
    out = df.with_columns(
        pl.when(sensitive).then(pl.lit(MASKED_TERM)).otherwise(status).alias("status"),
        sensitive.alias("status_sensitive"),
        pl.when(sensitive).then(None).otherwise(clean_text(pl.col("status_detail"))).alias("status_detail"),
        pl.when(is_disability).then(kind).alias("disability_kind"),
        pl.when(is_disability).then(grade).alias("disability_grade"),
        clean_text(pl.col("reporter")).alias("reporter"),
    )
    return out.select(STATUS_COLUMNS).sort(*ROW_KEY)
