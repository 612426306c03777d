"""Deciding the children bucket by bucket gives the tables of deciding them all at once.

The stage decides the province in buckets of children (memory); the facts that cross children
(a parent inferred from a sibling's birth certificate, a guardian known by phone on another
child's record, a typo in a number resolved against another child's record, a pair the rename
veto kept apart) must come out the same when the children involved fall into different buckets.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from taizhang.rules.decide import PER_CHILD_TABLES, decide
from tests.support.rules_world import AS_OF, World, make_id, typo

F_ID = make_id("220281", date(1985, 1, 1), 13)
M_ID = make_id("220281", date(1987, 5, 2), 24)
F2_ID = make_id("220282", date(1984, 2, 3), 15)
M2_ID = make_id("220282", date(1986, 7, 8), 26)
TABLES = ("profiles", "ledger", "flags", "review", "parents", "candidates")


def province() -> tuple[World, pl.DataFrame]:
    world = World()
    # C1's mother only on her sibling C2's birth certificate; both parents dead
    world.migrant("C1")
    world.parent("C1", "father", "王大明", F_ID, source="residence_permits", relation="父亲")
    world.migrant("C2", seq=13)
    world.couple("C2", ("王大明", F_ID), ("李丽", M_ID))
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    # C3's vaccination guardian is C4's mother, known there by name and phone
    world.vaccination_guardian("C3", "孙芳", "13900000001", name="赵小红")
    world.migrant("C4", seq=15)
    world.parent(
        "C4", "mother", "孙芳", M2_ID, source="residence_permits", relation="母亲", phone="13900000001"
    )
    world.couple("C4", ("赵强", F2_ID), ("孙芳", M2_ID))
    # C5's father named with a typo in his number, which C2's record carries right
    world.migrant("C5", seq=17)
    world.parent("C5", "father", "王大明", typo(F_ID), id_status="bad_check", source="school_enrollment")
    # a pair the rename veto kept apart: C6's permit dates the family, C7's school record nothing
    # (without the dated partner, C7 would be a candidate)
    apart = world.kept_apart_pair("C6", "C7")
    world.migrant("C8", seq=19, since=date(2026, 3, 1))
    return world, apart


def tables(bucket_children: int | None, **kwargs) -> dict[str, pl.DataFrame]:
    world, apart = province()
    d = decide(*world.frames(), AS_OF, vetoed_apart=apart, bucket_children=bucket_children, **kwargs)
    return {name: getattr(d, name) for name in TABLES}


@pytest.mark.parametrize("bucket_children", [1, 2, 3])
def test_the_tables_are_the_same_whatever_the_bucket_size(bucket_children):
    whole = tables(None)
    bucketed = tables(bucket_children)
    for name in TABLES:
        assert bucketed[name].equals(whole[name]), name

    parents = {r["child_id"]: r for r in bucketed["parents"].iter_rows(named=True)}
    assert parents["C1"]["mother_id_number"] == M_ID and parents["C1"]["mother_basis"] == "co_parent"
    assert parents["C3"]["mother_id_number"] == M2_ID and parents["C3"]["mother_basis"] == "guardian_phone"
    # the typo resolved against C2's record, the mother then found beside the father there
    assert parents["C5"]["father_id_number"] == F_ID and parents["C5"]["mother_basis"] == "co_parent"
    orphans = bucketed["flags"].filter(pl.col("flag") == "suspected_orphan")["child_id"].to_list()
    assert orphans == ["C1", "C2", "C5"]
    renamed = bucketed["review"].filter(pl.col("reason_code") == "renamed_or_twin")["child_id"].to_list()
    assert renamed == ["C6", "C7"]
    assert "C7" not in bucketed["candidates"]["child_id"].to_list()


def test_a_sink_takes_the_per_child_tables_bucket_by_bucket_in_child_order():
    whole = tables(None)
    taken: dict[str, list[pl.DataFrame]] = {}
    kept = tables(2, sink=lambda name, part: taken.setdefault(name, []).append(part))
    assert set(taken) == set(PER_CHILD_TABLES)
    for name in PER_CHILD_TABLES:
        assert len(taken[name]) == 4  # eight children, two a bucket
        assert pl.concat(taken[name]).equals(whole[name]), name
        assert kept[name].is_empty()
    for name in set(TABLES) - set(PER_CHILD_TABLES):
        assert kept[name].equals(whole[name]), name
