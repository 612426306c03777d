"""Who is a migrant child (流动儿童) as of the period's end.

Policy text, the 2024 monitoring definition (民政部等21部门《加强流动儿童关爱保护行动方案》,
carried into Jilin by 吉民发〔2024〕34号 with the same wording; docs/policy.md §2.2):

  > 随父母或其他监护人双方或一方离开户籍地，跨县域异地居住或生活6个月以上、不满十六周岁的未成年人
  > （城市中心城区的市辖区之间异地居住或生活的除外）

Implemented as, at the as-of date:

- under 16 (不满十六周岁: the 16th birthday on or before the as-of date ends it);
- hukou county ≠ residence county (跨县域); the hukou county may be any 6-digit
  code, inside Jilin or not; a retired Jilin code (220381 公主岭市 before 2020)
  is the same county as its current code (220184), see
  :func:`taizhang.division_reference.county_successors`;
- living in the residence county 6 months or more: ``residence_since`` ≤ as-of
  − 6 calendar months ("以上" includes the bound), where ``residence_since`` is
  the earliest evidence of the child's PRESENCE in that county (a permit's
  residence start, a health record or vaccination card opened by a clinic of
  the county, birth there, a home visit, last half-year's ledger: see
  :mod:`taizhang.rules.profile`; never the school's 入学年月, which a transfer
  pupil keeps from another county);
- except a move between two central urban districts (中心城区,
  ``is_urban_district == 1``) of the same prefecture-level city. The list comes
  from :func:`taizhang.division_reference.jilin_divisions`, which the province can
  replace (``TAIZHANG_DIVISIONS``); an undetermined flag (empty) counts as NOT
  central, so such a move stays in the ledger for the county to judge;
- the residence county is a county of the province's division list (a child
  living outside Jilin is not on a Jilin ledger).

A child with no known birth date who is in the 0-6 child health management
extract (0～6岁儿童健康管理, which holds only children under 7) is under 16: it is
decided, and also listed for review (``birth_date_missing_under_7``) so that the
county fills in the date. A child whose hukou or residence is unknown cannot be
decided; it is listed for review (``hukou_unknown``, ``residence_unknown``).

A child the extracts suggest is a migrant (hukou and residence in different
counties, not 16 yet as far as is known) but cannot confirm is NOT put on the
ledger: it goes to the candidate list (初步筛查, :mod:`taizhang.rules.candidates`)
with what is missing. Its check code says the first gap: ``birth_date_unknown``,
``residence_from_insurance`` (only an insurance record names the residence, and
children are often insured where their hukou is), ``residence_since_unknown``
(nothing dates its presence in the county), ``hukou_from_id_number`` (no record
names a hukou; the identity number's address code is the county of FIRST
registration, which a move of the hukou does not change).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.division_reference import current_county_expr, jilin_divisions
from taizhang.rules.dates import months_before

MIGRANT_MAX_AGE = 16
RESIDENCE_MONTHS = 6

REVIEW_REASONS = {
    "hukou_unknown": "户籍地不明，无法判断是否跨县域流动",
    "residence_unknown": "现居住地不明，无法判断是否跨县域流动",
    "birth_date_missing_under_7": (
        "出生日期不明；该儿童在0～6岁儿童健康管理中，按不满十六周岁计入，请补录出生日期"
    ),
}
# Check codes of children the extracts suggest are migrant but cannot confirm (candidates).
UNCONFIRMED = (
    "birth_date_unknown",
    "residence_from_insurance",
    "residence_since_unknown",
    "hukou_from_id_number",
)


def _urban(divisions: pl.DataFrame, code_col: str, prefix: str) -> pl.DataFrame:
    return divisions.select(
        pl.col("code").alias(code_col),
        pl.col("parent_code").alias(f"{prefix}_prefecture"),
        (pl.col("is_urban_district") == 1).fill_null(False).alias(f"{prefix}_central"),
    )


def migrant_decisions(
    profiles: pl.DataFrame, as_of: date, divisions: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``child_id, is_migrant, migrant_check`` (a code: ``migrant`` or why not) for every profile.

    Also ``same_city_central`` (the central-district exception applied) and
    ``months_resident_ok``.
    """
    div = divisions if divisions is not None else jilin_divisions()
    p = (
        profiles.select(
            "child_id",
            "age",
            "residence_since",
            pl.col("residence_tier").fill_null(0).alias("residence_tier"),
            pl.col("hukou_basis").alias("hukou_basis"),
            pl.col("in_child_health").fill_null(False).alias("under_7_by_source"),
            current_county_expr("hukou_county"),
            current_county_expr("residence_county"),
        )
        .join(_urban(div, "hukou_county", "hukou"), on="hukou_county", how="left")
        .join(_urban(div, "residence_county", "res"), on="residence_county", how="left")
    )
    central = (
        pl.col("hukou_central").fill_null(False)
        & pl.col("res_central").fill_null(False)
        & (pl.col("hukou_prefecture") == pl.col("res_prefecture")).fill_null(False)
    )
    long_enough = pl.col("residence_since") <= months_before(as_of, RESIDENCE_MONTHS)
    check = (
        pl.when(pl.col("age") >= MIGRANT_MAX_AGE)
        .then(pl.lit("age_16_or_over"))
        .when(pl.col("age") < 0)
        .then(pl.lit("not_born"))
        .when(pl.col("hukou_county").is_null())
        .then(pl.lit("hukou_unknown"))
        .when(pl.col("residence_county").is_null())
        .then(pl.lit("residence_unknown"))
        .when(pl.col("hukou_county") == pl.col("residence_county"))
        .then(pl.lit("same_county"))
        .when(pl.col("res_prefecture").is_null())
        .then(pl.lit("residence_outside_jilin"))
        .when(central)
        .then(pl.lit("central_districts_same_city"))
        .when(pl.col("age").is_null() & ~pl.col("under_7_by_source"))
        .then(pl.lit("birth_date_unknown"))
        .when(pl.col("residence_tier") == 1)
        .then(pl.lit("residence_from_insurance"))
        .when(pl.col("residence_since").is_null())
        .then(pl.lit("residence_since_unknown"))
        .when(~long_enough)
        .then(pl.lit("resident_under_6_months"))
        .when(pl.col("hukou_basis") == "id_address_code")
        .then(pl.lit("hukou_from_id_number"))
        .otherwise(pl.lit("migrant"))
    )
    return p.select(
        "child_id",
        is_migrant=check == "migrant",
        migrant_check=check,
        same_city_central=central,
        months_resident_ok=long_enough.fill_null(False),
    ).sort("child_id")


def migrant_review(profiles: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """Review items: children whose hukou or residence is unknown; migrants whose birth date is
    unknown (counted as under 16 by the child health record)."""
    undecided = decisions.filter(pl.col("migrant_check").is_in(list(REVIEW_REASONS))).select(
        "child_id", reason_code="migrant_check"
    )
    no_birth_date = (
        profiles.filter(pl.col("age").is_null())
        .join(decisions.filter(pl.col("is_migrant")).select("child_id"), on="child_id")
        .select("child_id", reason_code=pl.lit("birth_date_missing_under_7"))
    )
    out = pl.concat([undecided, no_birth_date])
    return out.with_columns(
        reason=pl.col("reason_code").replace_strict(REVIEW_REASONS, return_dtype=pl.Utf8)
    ).sort("child_id", "reason_code")
