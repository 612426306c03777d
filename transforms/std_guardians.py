"""``std_guardians``: one row per parent or guardian named (by name or id) on a child-level row."""

from __future__ import annotations

from datetime import date

import polars as pl

from data_contracts.tables import STD_GUARDIANS
from transforms.staged_rows import ROW_KEY, clean_text, looked_up, per_distinct, raw_col, stacked_child_rows
from transforms.value_tables import ValueTables, value_tables

GUARDIAN_ROLES = ("father", "mother", "guardian1", "guardian2")
# The raw columns std_guardians reads.
GUARDIAN_INPUTS: tuple[str, ...] = tuple(
    f"{r}_{f}" for r in GUARDIAN_ROLES for f in ("name", "id", "phone", "relation")
)


ID_LOOKUPS = ("number", "status", "birth_date", "sex")
GUARDIAN_COLUMNS: tuple[str, ...] = tuple(STD_GUARDIANS)


def standardize_guardians(
    staged: dict[str, pl.DataFrame], records: pl.DataFrame | None = None, today: date | None = None
) -> pl.DataFrame:
    """``std_guardians``: one row per parent or guardian named (by name or id) on a child-level row.

    ``records`` (``std_records``), when given, supplies the record ids; they
    are otherwise assigned exactly as :func:`transforms.std_records.standardize_records` does.
    """
    rows = stacked_child_rows(staged, GUARDIAN_INPUTS)
    if records is not None and rows.height:
        rows = rows.drop("record_id").join(
            records.select("record_id", *ROW_KEY), on=list(ROW_KEY), how="left"
        )
    return guardians_from_rows(rows, value_tables(rows, today))


def guardians_from_rows(rows: pl.DataFrame, tables: ValueTables) -> pl.DataFrame:
    """``std_guardians`` from the stacked child rows (carrying :data:`GUARDIAN_INPUTS`) and the shared
    value tables built over them: names, identity numbers and phones are looked up, not parsed again."""
    parts = []
    for role in GUARDIAN_ROLES:
        name, idn, phone = f"{role}_name", f"{role}_id", f"{role}_phone"
        if role in ("father", "mother"):
            relation = pl.lit("父亲" if role == "father" else "母亲")
        else:
            relation = clean_text(raw_col(rows, f"{role}_relation"))
        part = rows.select(
            "record_id",
            *ROW_KEY,
            pl.lit(role).alias("role"),
            relation.cast(pl.Utf8).alias("relation"),
            raw_col(rows, name).alias("name_raw"),
            raw_col(rows, idn).alias("id_raw"),
            raw_col(rows, phone).alias("phone_raw"),
        )
        # A person is named by some text in the name or the id (blank text is no one). Names repeat, so
        # their test runs per distinct name; the id is cleaned only on the rows that have no name.
        named = per_distinct(part["name_raw"], lambda e: clean_text(e).is_not_null())
        parts.append(part.filter(named))
        parts.append(
            part.filter(~named & pl.col("id_raw").is_not_null()).filter(
                clean_text(pl.col("id_raw")).is_not_null()
            )
        )
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
    g = g.with_columns(
        *looked_up(
            g["name_raw"],
            tables.names,
            {
                "name": "name",
                "pinyin": "name_pinyin",
                "variant_key": "name_variant_key",
                "placeholder": "name_placeholder",
            },
        ),
        *looked_up(g["id_raw"], tables.ids, {f: f"id_{f}" for f in ID_LOOKUPS}),
        *looked_up(g["phone_raw"], tables.phones, {"phone": "phone"}),
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
        pl.col("role").replace_strict(role_order, return_dtype=pl.Int8).alias("__order"),
    )
    return g.sort("record_id", "__order").select(GUARDIAN_COLUMNS)
