"""Machine-readable tables of a run: ledger, flags, changes and review parquet.

These are a stable interface (``docs/outputs.md``): the columns listed
there come first, in that order, then the optional columns the decision stage
provides, in a fixed order, then any further column sorted by name. Missing
optional columns are added as nulls so every run has the same schema.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from taizhang.emit.atomic import in_key_order, write_parquet_atomic

REQUIRED_LEDGER: dict[str, pl.DataType] = {
    "child_id": pl.Utf8(),
    "name": pl.Utf8(),
    "sex": pl.Utf8(),
    "birth_date": pl.Date(),
    "id_number": pl.Utf8(),
    "hukou_county": pl.Utf8(),
    "residence_county": pl.Utf8(),
    "suspected_orphan": pl.Boolean(),
    "suspected_unsupported": pl.Boolean(),
    "care_level": pl.Utf8(),
}
OPTIONAL_LEDGER: dict[str, pl.DataType] = {
    "refer_orphan": pl.Boolean(),
    "urgent": pl.Boolean(),
    "key_reasons": pl.List(pl.Utf8()),
    "service_gaps": pl.List(pl.Utf8()),
    "urgent_reasons": pl.List(pl.Utf8()),
    "residence_since": pl.Date(),
    "age": pl.Int32(),
    "ethnicity": pl.Utf8(),
    "school_name": pl.Utf8(),
    "school_status": pl.Utf8(),
    "guardian_name": pl.Utf8(),
    "guardian_phone": pl.Utf8(),
    "guardian_relation": pl.Utf8(),
    "hukou_basis": pl.Utf8(),
    "id_status": pl.Utf8(),
}
FLAGS_COLUMNS: dict[str, pl.DataType] = {
    "child_id": pl.Utf8(),
    "flag": pl.Utf8(),
    "reason": pl.Utf8(),
    "evidence": pl.Utf8(),
}
REVIEW_COLUMNS: dict[str, pl.DataType] = {
    "child_id": pl.Utf8(),
    "reason_code": pl.Utf8(),
    "reason": pl.Utf8(),
}

CARE_LEVELS = ("每三个月走访", "每月走访", "重点关爱")


def _conform(
    df: pl.DataFrame, required: dict[str, pl.DataType], optional: dict[str, pl.DataType], what: str
) -> pl.DataFrame:
    """Required columns first (cast), optional next (null when absent), extras sorted by name."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks required columns: {', '.join(missing)}")
    known = {**required, **optional}
    extras = sorted(c for c in df.columns if c not in known)
    return df.select(
        *(
            (pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c)
            for c, t in known.items()
        ),
        *extras,
    )


def ledger_table(ledger: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """The ledger of the period with its ``change`` (new/continuing/status_changed) column.

    Status flags and ``urgent`` are never null in the output: a child without a
    decision on them is not flagged. Rows are sorted by child_id.
    """
    table = _conform(ledger, REQUIRED_LEDGER, OPTIONAL_LEDGER, "ledger")
    dupes = table.height - table["child_id"].n_unique()
    if dupes:
        raise ValueError(f"ledger has {dupes} duplicate child_id rows")
    bools = [c for c, t in {**REQUIRED_LEDGER, **OPTIONAL_LEDGER}.items() if t == pl.Boolean()]
    lists = [c for c, t in OPTIONAL_LEDGER.items() if isinstance(t, pl.List)]
    table = table.with_columns(
        *(pl.col(c).fill_null(False) for c in bools),
        *(pl.col(c).fill_null(pl.lit([], dtype=pl.List(pl.Utf8))) for c in lists),
    )
    change = changes.select("child_id", "change")
    cols = table.columns
    at = cols.index("care_level") + 1
    order = [*cols[:at], "change", *cols[at:]]
    return table.join(change, on="child_id", how="left").select(order).sort("child_id")


def flags_table(flags: pl.DataFrame) -> pl.DataFrame:
    """Flags with the interface columns first, sorted by child, flag, reason and evidence (nulls last;
    the decision stage's table is in that order already, and is then not copied)."""
    return in_key_order(_conform(flags, FLAGS_COLUMNS, {}, "flags"), list(FLAGS_COLUMNS))


def review_table(review: pl.DataFrame | None) -> pl.DataFrame:
    """Review items (待核实), sorted; an empty frame with the interface columns when there are none."""
    if review is None:
        review = pl.DataFrame(schema=REVIEW_COLUMNS)
    return in_key_order(_conform(review, REVIEW_COLUMNS, {}, "review"), list(REVIEW_COLUMNS))


def write_tables(
    ledger: pl.DataFrame, flags: pl.DataFrame, changes: pl.DataFrame, review: pl.DataFrame, out_dir: Path
) -> dict[str, Path]:
    """Write ``ledger``, ``flags``, ``changes`` and ``review`` parquet into ``out_dir``."""
    out_dir = Path(out_dir)
    return {
        "ledger": write_parquet_atomic(ledger, out_dir / "ledger.parquet", ["child_id"]),
        "flags": write_parquet_atomic(flags, out_dir / "flags.parquet", list(FLAGS_COLUMNS)),
        "changes": write_parquet_atomic(changes, out_dir / "changes.parquet", ["child_id"]),
        "review": write_parquet_atomic(review, out_dir / "review.parquet", list(REVIEW_COLUMNS)),
    }
