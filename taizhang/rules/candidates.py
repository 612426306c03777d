"""The candidate list (初步筛查): children the extracts suggest are migrant children but cannot confirm.

Policy basis: the 2024 monitoring of migrant children (民发〔2024〕17号; the 2024
行动方案, carried into Jilin by 吉民发〔2024〕34号) proceeds 初步筛查 → 数据采集 →
比对核实: the county's child directors screen, collect and cross-check. A child
whose hukou and residence lie in different counties, who is not known to be 16
or older, but whose records leave one of the tests of the definition open, is
neither put on the ledger (that would be a guess) nor dropped: it is listed for
a home visit with what is missing and where to look.

Missing items (one child may have several; ``reason_code`` is the first in this
order, the migrant rule's check code; ``missing`` lists all of them):

- ``birth_date_unknown``: no birth date on any record and no 0-6 health record;
- ``residence_from_insurance``: only an insurance record names the residence
  county (children are often insured where their hukou is);
- ``residence_since_unknown``: nothing dates the child's presence in the county
  (no permit start, no health record or vaccination card opened there, not born
  there, not on last half-year's ledger there); a school's 入学年月 does not;
- ``hukou_from_id_number``: no record names a hukou; the identity number's
  address code is only the county of first registration.

A child whose dated presence is shorter than six months is decided (not a
migrant child yet) and is not a candidate. Nor is a child the linker kept apart
from another one whose records agree on all but the given name (a twin, or the
same child under another name: ``renamed_or_twin`` on the review list) when
that other child's presence in the same county is dated: the county settles
the pair from the review list, and the undated half is most often a renamed
record of the child already decided.
"""

from __future__ import annotations

import polars as pl

from taizhang.rules.evidence import evidence_json, refs_of
from taizhang.rules.migrant import UNCONFIRMED

# What is missing and where to look, in the order a county worker checks them.
MISSING_TEXT = {
    "birth_date_unknown": "出生日期不明：请查出生医学证明或户口簿，核实是否不满十六周岁",
    "residence_from_insurance": "现居住地仅见于医保参保地（儿童常在户籍地参保）：请入户核实是否在本县居住",
    "residence_since_unknown": (
        "无在本县居住起始时间的证据（入学年月不能说明何时来本县）：请查居住证的居住起始日期、"
        "本县建立的儿童健康档案或预防接种证，或入户核实来本县的时间"
    ),
    "hukou_from_id_number": (
        "户籍地仅来自身份证号地址码（首次登记地，户口迁移后不变）：请查户口簿核实现户籍地"
    ),
}

CANDIDATE_SCHEMA = {
    "child_id": pl.Utf8(),
    "residence_county": pl.Utf8(),
    "reason_code": pl.Utf8(),
    "reason": pl.Utf8(),
    "evidence": pl.Utf8(),
    "missing": pl.List(pl.Utf8()),
    "name": pl.Utf8(),
    "sex": pl.Utf8(),
    "birth_date": pl.Date(),
    "id_number": pl.Utf8(),
    "hukou_county": pl.Utf8(),
}


def migrant_candidates(
    profiles: pl.DataFrame, decisions: pl.DataFrame, vetoed_apart: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per candidate child, in :data:`CANDIDATE_SCHEMA`, sorted by ``child_id``.

    ``profiles`` is :func:`taizhang.rules.profile.build_profiles` output,
    ``decisions`` :func:`taizhang.rules.migrant.migrant_decisions` output,
    ``vetoed_apart`` (``child_id_l, child_id_r``) the pairs the linker's rename veto kept apart.
    ``evidence`` names the rows that gave the residence, the hukou and the birth date.
    """
    p = profiles.join(
        decisions.select("child_id", "migrant_check", "months_resident_ok"), on="child_id", how="inner"
    ).filter(pl.col("migrant_check").is_in(list(UNCONFIRMED)))
    # dated presence shorter than six months decides the child: not a candidate
    p = p.filter(pl.col("residence_since").is_null() | pl.col("months_resident_ok"))
    if vetoed_apart is not None and vetoed_apart.height:
        p = p.join(settled_by_partner(profiles, vetoed_apart), on="child_id", how="anti")
    items: dict[str, pl.Expr] = {
        "birth_date_unknown": pl.col("age").is_null() & ~pl.col("in_child_health").fill_null(False),
        "residence_from_insurance": pl.col("residence_tier") == 1,
        "residence_since_unknown": pl.col("residence_since").is_null(),
        "hukou_from_id_number": pl.col("hukou_basis") == "id_address_code",
    }
    items = {code: items[code] for code in UNCONFIRMED}  # the migrant rule's order
    missing = pl.concat_list(
        [pl.when(cond.fill_null(False)).then(pl.lit(code)) for code, cond in items.items()]
    ).list.drop_nulls()
    text = pl.concat_list(
        [pl.when(cond.fill_null(False)).then(pl.lit(MISSING_TEXT[code])) for code, cond in items.items()]
    ).list.drop_nulls()
    refs = pl.concat_list(
        pl.col("residence_county_source"), pl.col("hukou_county_source"), pl.col("birth_date_source")
    ).list.drop_nulls()
    out = p.select(
        "child_id",
        "residence_county",
        reason_code="migrant_check",
        reason=text.list.join("；"),
        evidence=evidence_json(refs_of(refs)),
        missing=missing,
        name="name",
        sex="sex",
        birth_date="birth_date",
        id_number=pl.when(pl.col("id_status") == "valid").then(pl.col("id_number")),
        hukou_county="hukou_county",
    )
    return out.cast(CANDIDATE_SCHEMA).sort("child_id")


def settled_by_partner(profiles: pl.DataFrame, vetoed_apart: pl.DataFrame) -> pl.DataFrame:
    """``child_id``: the children of a pair the rename veto kept apart whose partner's presence in the
    same county is dated (module docstring). ``profiles`` needs ``child_id, residence_county,
    residence_since`` of the children of the pairs (at least)."""
    pairs = vetoed_apart.select(pl.col("child_id_l").cast(pl.Utf8), pl.col("child_id_r").cast(pl.Utf8))
    dated = profiles.filter(pl.col("residence_since").is_not_null()).select(
        partner_id="child_id", partner_county="residence_county"
    )
    return (
        pl.concat(
            [
                pairs.select(child_id="child_id_l", partner_id="child_id_r"),
                pairs.select(child_id="child_id_r", partner_id="child_id_l"),
            ]
        )
        .join(dated, on="partner_id")
        .join(profiles.select("child_id", "residence_county"), on="child_id")
        .filter(pl.col("partner_county") == pl.col("residence_county"))
        .select("child_id")
    )
