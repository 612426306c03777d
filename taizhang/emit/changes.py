"""Change list between two half-years (变动情况).

The ledger is refreshed at least every six months (民发〔2024〕17号 monitoring),
and county directors act on what changed: a new child to visit, a child whose
orphan or unsupported status changed, a child who left the county's ledger.
Kinds, with their Chinese labels:

- ``new`` 新增: in the ledger now, not in the previous one;
- ``continuing`` 持续: in both, ``suspected_orphan`` and ``suspected_unsupported`` unchanged;
- ``status_changed`` 状态变化: in both, either of those flags changed;
- ``left`` 离开: in the previous ledger, not now, still under 16 at the as-of date;
- ``turned_16`` 满16周岁: in the previous ledger, not now, 16 or older at the as-of
  date (the monitoring population is 不满十六周岁, so they leave by age).

A previous child without a birth date cannot be aged and counts as ``left``.
A previous child id that linkage merged into another (one child split in two
last half-year, whole again now: the ``merged`` id events) is read as that
other id, so the child is not listed as both leaving and continuing;
``change_detail`` names the merged id (``上期编号…已合并``).
A child in both ledgers whose residence county changed keeps its kind and is
marked ``moved_county``, so both counties can list the move.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.ages import age_at

CHANGE_LABELS: dict[str, str] = {
    "new": "新增",
    "continuing": "持续",
    "status_changed": "状态变化",
    "left": "离开",
    "turned_16": "满16周岁",
}

# The flags whose change makes a continuing child ``status_changed``, with their Chinese names.
STATUS_FLAGS: dict[str, str] = {
    "suspected_orphan": "疑似孤儿",
    "suspected_unsupported": "疑似事实无人抚养",
}

MONITORING_AGE_LIMIT = 16

# Descriptive columns carried from whichever ledger holds the child (current first).
_CARRIED = ("name", "sex", "birth_date", "id_number", "hukou_county", "residence_county")

CHANGES_SCHEMA: dict[str, pl.DataType] = {
    "child_id": pl.Utf8(),
    "change": pl.Utf8(),
    "change_label": pl.Utf8(),
    "changed_flags": pl.List(pl.Utf8()),
    "change_detail": pl.Utf8(),
    "name": pl.Utf8(),
    "sex": pl.Utf8(),
    "birth_date": pl.Date(),
    "id_number": pl.Utf8(),
    "hukou_county": pl.Utf8(),
    "residence_county": pl.Utf8(),
    "previous_residence_county": pl.Utf8(),
    "moved_county": pl.Boolean(),
    "age_at_as_of": pl.Int32(),
    "suspected_orphan": pl.Boolean(),
    "suspected_unsupported": pl.Boolean(),
    "previous_suspected_orphan": pl.Boolean(),
    "previous_suspected_unsupported": pl.Boolean(),
}


def _side(ledger: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """The columns the change list needs from one ledger, nulls where the ledger lacks them."""
    cols = [
        (pl.col(c).cast(dtype) if c in ledger.columns else pl.lit(None, dtype=dtype)).alias(
            c if c == "child_id" else f"{prefix}{c}"
        )
        for c, dtype in (
            ("child_id", pl.Utf8()),
            *((c, CHANGES_SCHEMA[c]) for c in _CARRIED),
            *((f, pl.Boolean()) for f in STATUS_FLAGS),
        )
    ]
    return ledger.select(cols).unique("child_id", keep="first", maintain_order=True)


def _yes_no(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("是")).otherwise(pl.lit("否"))


def _merge_previous_ids(
    previous: pl.DataFrame, merged_ids: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The previous ledger with merged-away ids read as the id they were merged into, and
    ``child_id, merged_from`` (the merged ids, joined by 、) for the children that absorbed one.

    ``merged_ids``: ``previous_child_id, child_id``. A child's own previous row comes first, so
    its flags are the ones compared.
    """
    none = pl.DataFrame(schema={"child_id": pl.Utf8, "merged_from": pl.Utf8})
    if merged_ids is None or merged_ids.height == 0 or previous.height == 0:
        return previous, none
    mapping = merged_ids.select(
        pl.col("previous_child_id").cast(pl.Utf8), pl.col("child_id").cast(pl.Utf8).alias("into")
    ).unique("previous_child_id", keep="first")
    renamed = (
        previous.join(mapping, left_on="child_id", right_on="previous_child_id", how="left")
        .with_columns(
            pl.when(pl.col("into").is_not_null()).then(pl.col("child_id")).alias("merged_id"),
            pl.coalesce("into", "child_id").alias("child_id"),
        )
        .drop("into")
    )
    merged_from = (
        renamed.filter(pl.col("merged_id").is_not_null())
        .group_by("child_id")
        .agg(pl.col("merged_id").sort().str.join("、").alias("merged_from"))
    )
    ordered = renamed.sort(pl.col("merged_id").is_not_null(), "merged_id", nulls_last=False)
    return ordered.drop("merged_id"), merged_from


def change_list(
    current_ledger: pl.DataFrame,
    previous_ledger: pl.DataFrame | None,
    as_of: date,
    merged_ids: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per child of either ledger, with its change kind, sorted by child_id.

    Columns: see ``CHANGES_SCHEMA``. ``residence_county`` is the current county
    for children in the current ledger and the previous one for children who
    left or turned 16, so each county sees its own departures.
    ``changed_flags`` names the flags that changed (``status_changed`` only);
    ``change_detail`` says it in Chinese, e.g. ``疑似孤儿：否→是``.
    """
    cur = _side(current_ledger, "cur_")
    if previous_ledger is None:
        previous_ledger = current_ledger.clear()
    previous_ledger, merged_from = _merge_previous_ids(previous_ledger, merged_ids)
    prev = _side(previous_ledger, "prev_").join(merged_from, on="child_id", how="left")
    both = cur.join(prev, on="child_id", how="full", coalesce=True)

    in_cur = pl.col("cur_present")
    in_prev = pl.col("prev_present")
    flag_changed = {
        f: pl.col(f"cur_{f}").fill_null(False) != pl.col(f"prev_{f}").fill_null(False) for f in STATUS_FLAGS
    }
    any_changed = pl.any_horizontal(list(flag_changed.values()))
    age = age_at(pl.coalesce(pl.col("cur_birth_date"), pl.col("prev_birth_date")), as_of)

    both = both.with_columns(
        pl.col("child_id").is_in(cur["child_id"].implode()).alias("cur_present"),
        pl.col("child_id").is_in(prev["child_id"].implode()).alias("prev_present"),
    )
    change = (
        pl.when(in_cur & ~in_prev)
        .then(pl.lit("new"))
        .when(in_cur & any_changed)
        .then(pl.lit("status_changed"))
        .when(in_cur)
        .then(pl.lit("continuing"))
        .when(age >= MONITORING_AGE_LIMIT)
        .then(pl.lit("turned_16"))
        .otherwise(pl.lit("left"))
    )
    changed_flags = pl.concat_list(
        [
            pl.when(expr).then(pl.lit(f)).otherwise(pl.lit(None, dtype=pl.Utf8))
            for f, expr in flag_changed.items()
        ]
    ).list.drop_nulls()
    detail = pl.concat_str(
        [
            pl.when(expr).then(
                pl.concat_str(
                    [
                        pl.lit(f"{label}："),
                        _yes_no(pl.col(f"prev_{f}").fill_null(False)),
                        pl.lit("→"),
                        _yes_no(pl.col(f"cur_{f}").fill_null(False)),
                    ]
                )
            )
            for (f, label), expr in zip(STATUS_FLAGS.items(), flag_changed.values(), strict=True)
        ],
        separator="；",
        ignore_nulls=True,
    )
    out = both.with_columns(change.alias("change")).with_columns(
        pl.col("change").replace_strict(CHANGE_LABELS, return_dtype=pl.Utf8).alias("change_label"),
        pl.when(pl.col("change") == "status_changed")
        .then(changed_flags)
        .otherwise(pl.lit([], dtype=pl.List(pl.Utf8)))
        .alias("changed_flags"),
        pl.concat_str(
            [
                pl.when(pl.col("change") == "status_changed").then(detail),
                pl.when(pl.col("merged_from").is_not_null()).then(
                    pl.concat_str([pl.lit("上期编号"), pl.col("merged_from"), pl.lit("已合并")])
                ),
            ],
            separator="；",
            ignore_nulls=True,
        )
        .replace("", None)
        .alias("change_detail"),
        *(pl.when(in_cur).then(pl.col(f"cur_{c}")).otherwise(pl.col(f"prev_{c}")).alias(c) for c in _CARRIED),
        pl.col("prev_residence_county").alias("previous_residence_county"),
        (in_cur & in_prev & (pl.col("cur_residence_county") != pl.col("prev_residence_county")))
        .fill_null(False)
        .alias("moved_county"),
        age.alias("age_at_as_of"),
        *(pl.when(in_cur).then(pl.col(f"cur_{f}").fill_null(False)).alias(f) for f in STATUS_FLAGS),
        *(
            pl.when(in_prev).then(pl.col(f"prev_{f}").fill_null(False)).alias(f"previous_{f}")
            for f in STATUS_FLAGS
        ),
    )
    return out.select(pl.col(c).cast(t) for c, t in CHANGES_SCHEMA.items()).sort("child_id")
