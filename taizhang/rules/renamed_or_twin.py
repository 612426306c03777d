"""Children the linker kept apart although their records scored as one child: renamed, or twins.

A record that carries another given name, and shares no identity number or birth certificate with
a child's records, is no link of its own (the rename veto of ``matchers/configs/children/guards.py``):
twins share parents, birth date, counties and phones, and only such a number tells a twin from the
same child renamed. When the rest of the evidence would have linked the two, both children are
listed for a person to check; a county worker who finds one child renamed merges the two by hand.
"""

from __future__ import annotations

import polars as pl

from taizhang.rules.evidence import evidence_json, refs_of
from taizhang.rules.row_refs import REF_DTYPE

REASON_CODE = "renamed_or_twin"
REASON = (
    "与另一儿童（编号 {}）的记录除名字外多项相符，但无共同身份证号或出生医学证明编号："
    "可能是同一儿童改名，也可能是双胞胎，请核实是否同一人"
)


def renamed_or_twin_review(vetoed_apart: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Review items, one per child, for the pairs a veto kept apart (``l, r, child_id_l, child_id_r``).

    ``child_id, reason_code, reason, evidence``: the reason names the other children's ids, the
    evidence both records of every such pair.
    """
    refs = records.select("record_id", ref=pl.struct("source", "file", "row_number").cast(REF_DTYPE))
    pairs = (
        vetoed_apart.select("l", "r", "child_id_l", "child_id_r")
        .join(refs.rename({"record_id": "l", "ref": "ref_l"}), on="l")
        .join(refs.rename({"record_id": "r", "ref": "ref_r"}), on="r")
    )
    sides = pl.concat(
        [
            pairs.select(child_id="child_id_l", other="child_id_r", own="ref_l", theirs="ref_r"),
            pairs.select(child_id="child_id_r", other="child_id_l", own="ref_r", theirs="ref_l"),
        ]
    )
    per_child = sides.group_by("child_id").agg(
        pl.col("other").unique().sort().str.join("、").alias("others"), pl.col("own"), pl.col("theirs")
    )
    return per_child.select(
        "child_id",
        reason_code=pl.lit(REASON_CODE),
        reason=pl.format(REASON, "others"),
        evidence=evidence_json(refs_of(pl.col("own"), pl.col("theirs"))),
    ).sort("child_id")
