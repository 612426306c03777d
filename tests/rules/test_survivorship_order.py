"""The survivorship choice and the sorted lists of the decide stage, against their plain definitions.

The stage computes them without sorting the province once per field or per list; these tests pin
that the faster forms choose the same row and build the same lists as the definitions, whatever
the order the rows arrive in.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest

from taizhang.rules.row_refs import ref, refs_by
from taizhang.rules.sorted_lists import sorted_values
from taizhang.rules.survivorship import choose, survivorship_order


def _rows(seed: int, n: int = 600) -> pl.DataFrame:
    """Records of a few children with many ties: few values, tiers, dates (some missing), sources."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "child_id": [f"C{rng.randrange(25):02d}" for _ in range(n)],
            "value": [rng.choice(["甲", "乙", "丙", None]) for _ in range(n)],
            "tier": [rng.choice([0, 1, 1, None]) for _ in range(n)],
            "evidence_date": [
                None if rng.random() < 0.2 else start + timedelta(days=rng.randrange(4)) for _ in range(n)
            ],
            "_rank": [rng.randrange(3) for _ in range(n)],
            "source": ["s"] * n,
            "file": [rng.choice(["a.csv", "b.csv"]) for _ in range(n)],
            "row_number": list(range(n)),  # with the file, one row each
        },
        schema_overrides={"tier": pl.Int8, "_rank": pl.Int32},
    ).with_columns(_ref=ref())


def _by_definition(df: pl.DataFrame, by_frequency: bool, tier: str | None) -> pl.DataFrame:
    """The documented order spelled out as one sort: tier, frequency, date, source, file, row, value."""
    cand = df.filter(pl.col("value").is_not_null())
    keys: list[pl.Expr] = [pl.col("child_id")]
    desc = [False]
    if tier:
        keys.append(pl.col(tier))
        desc.append(False)
    if by_frequency:
        keys.append(pl.len().over("child_id", "value"))
        desc.append(True)
    keys += [pl.col(c) for c in ("evidence_date", "_rank", "file", "row_number", "value")]
    desc += [True, False, False, False, False]
    return (
        cand.sort(keys, descending=desc, nulls_last=True)
        .group_by("child_id", maintain_order=True)
        .first()
        .select("child_id", "value", value_source="_ref")
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("by_frequency", "tier"), [(True, None), (True, "tier"), (False, "tier"), (False, None)]
)
def test_choice_is_the_first_row_of_the_documented_order_in_any_input_order(seed, by_frequency, tier):
    rows = _rows(seed)
    expected = _by_definition(rows, by_frequency, tier)
    shuffled = rows.sample(fraction=1.0, shuffle=True, seed=seed)
    for got in (
        choose(shuffled, "value", by_frequency=by_frequency, tier=tier),
        choose(survivorship_order(shuffled), "value", by_frequency=by_frequency, tier=tier, ordered=True),
    ):
        assert got.equals(expected)


def test_a_child_whose_every_candidate_lacks_a_tier_still_gets_a_value():
    rows = _rows(4).with_columns(tier=pl.lit(None, dtype=pl.Int8))
    got = choose(rows, "value", by_frequency=True, tier="tier")
    assert got.height == rows.filter(pl.col("value").is_not_null())["child_id"].n_unique()
    assert got.equals(_by_definition(rows, True, "tier"))


def test_ref_lists_are_the_sorted_refs_of_each_group():
    rows = _rows(5).sample(fraction=1.0, shuffle=True, seed=5)
    rows = pl.concat([rows, rows.head(50)])  # duplicated refs
    plain = rows.group_by("child_id").agg(pl.col("_ref").sort()).sort("child_id")
    unique = rows.group_by("child_id").agg(pl.col("_ref").unique().sort()).sort("child_id")
    assert refs_by(rows, ["child_id"]).equals(plain)
    assert refs_by(rows, ["child_id"], unique=True).equals(unique)


def test_sorted_values_are_each_keys_distinct_values_in_order():
    rows = _rows(6).sample(fraction=1.0, shuffle=True, seed=6)
    expected = (
        rows.group_by("child_id")
        .agg(values=pl.col("value").drop_nulls().unique().sort())
        .filter(pl.col("values").list.len() > 0)
        .sort("child_id")
    )
    assert sorted_values(rows, "child_id", "value", "values").equals(expected)
