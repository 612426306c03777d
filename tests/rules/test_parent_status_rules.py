"""Orphan / de facto unsupported / 参照孤儿保障 decisions, including every decoy of the brief."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from taizhang.rules.parent_status import NAMESAKE_LIMIT
from tests.support.rules_world import AS_OF, World, make_id, typo

F_ID = make_id("220281", date(1985, 1, 1), 13)
M_ID = make_id("220281", date(1987, 5, 2), 24)


def family(world: World, child: str = "C1") -> World:
    world.migrant(child)
    world.parent(child, "father", "王大明", F_ID)
    world.parent(child, "mother", "李丽", M_ID)
    return world


def row(world: World, child: str = "C1") -> dict:
    prof = world.decide().profiles.filter(pl.col("child_id") == child)
    assert prof.height == 1
    return prof.row(0, named=True)


def test_both_parents_dead_is_suspected_orphan_with_evidence(world):
    family(world)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "宣告失踪", date(2025, 3, 1), reporter="吉林市中级人民法院")
    d = world.decide()
    flag = d.flags.filter(pl.col("flag") == "suspected_orphan")
    assert flag["child_id"].to_list() == ["C1"]
    ev = json.loads(flag["evidence"].item())
    assert {e["status"] for e in ev["events"]} == {"死亡", "宣告失踪"}
    assert {r["source"] for r in ev["records"]} == {"birth_certificates"}
    assert d.ledger["suspected_orphan"].to_list() == [True]
    assert d.ledger["suspected_unsupported"].to_list() == [False]


def test_one_parent_dead_other_fine_is_not_flagged(world):
    family(world)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    r = row(world)
    assert not r["suspected_orphan"] and not r["suspected_unsupported"]


def test_dead_and_other_in_prison_long_term_is_unsupported(world):
    family(world)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "服刑在押", date(2025, 1, 1), date(2028, 1, 1), reporter="省监狱管理局")
    r = row(world)
    assert r["suspected_unsupported"] and not r["suspected_orphan"]
    # Jilin: one parent dead and the other imprisoned is also 参照孤儿保障
    assert r["refer_orphan"]


def test_prison_term_under_six_months_does_not_count(world):
    family(world)
    world.event(F_ID, "王大明", "服刑在押", date(2026, 4, 1), date(2026, 9, 1))
    world.event(M_ID, "李丽", "重病", date(2025, 6, 1), detail="尿毒症")
    assert not row(world)["suspected_unsupported"]


def test_open_ended_detention_counts(world):
    family(world)
    world.event(F_ID, "王大明", "强制隔离戒毒", date(2026, 5, 1))
    world.event(M_ID, "李丽", "重病", date(2025, 6, 1), detail="尿毒症")
    assert row(world)["suspected_unsupported"]


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(2024, 1, 1), date(2026, 5, 31)), (date(2026, 7, 1), None), (date(2024, 1, 1), AS_OF)],
    ids=["ended_before", "starts_after", "ends_on_as_of"],
)
def test_status_not_in_force_at_as_of_does_not_count(world, start, end):
    family(world)
    world.event(F_ID, "王大明", "服刑在押", start, end)
    world.event(M_ID, "李丽", "重残", date(2020, 1, 1), detail="视力残疾二级")
    assert not row(world)["suspected_unsupported"]


def test_non_severe_disability_does_not_count_but_mental_grade_three_does(world):
    family(world)
    world.event(F_ID, "王大明", "重残", date(2020, 1, 1), detail="肢体残疾三级")
    world.event(M_ID, "李丽", "服刑在押", date(2025, 1, 1))
    assert not row(world)["suspected_unsupported"]

    other = family(World())
    other.event(F_ID, "王大明", "重残", date(2020, 1, 1), detail="精神残疾三级")
    other.event(M_ID, "李丽", "服刑在押", date(2025, 1, 1))
    assert row(other)["suspected_unsupported"]


def test_namesake_with_another_valid_id_does_not_count(world):
    family(world)
    namesake = make_id("220102", date(1970, 2, 2), 55)
    world.event(namesake, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    r = row(world)
    assert not r["suspected_orphan"] and not r["suspected_unsupported"]


def test_namesake_one_digit_away_but_valid_does_not_count(world):
    family(world)
    # a different valid number that differs from the father's in one body digit and the check digit
    near = make_id("220281", date(1985, 1, 1), 15)
    world.event(near, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert not row(world)["suspected_orphan"]


def test_legacy_15_digit_upgraded_number_counts(world):
    # the standardizer upgraded the event's 15-digit number to the same 18 characters
    family(world)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.status[-1]["id_raw"] = F_ID[:6] + F_ID[8:17]
    world.event(M_ID, "李丽", "死亡", date(2025, 2, 1))
    assert row(world)["suspected_orphan"]


def test_typo_in_event_number_counts_only_with_the_same_name(world):
    family(world)
    world.event(typo(F_ID), "王大明", "死亡", date(2025, 1, 1), id_status="bad_check")
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert row(world)["suspected_orphan"]

    other = family(World())
    other.event(typo(F_ID), "张三", "死亡", date(2025, 1, 1), id_status="bad_check")
    other.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert not row(other)["suspected_orphan"]


def test_missing_counts_only_when_declared_by_a_court(world):
    family(world)
    world.event(F_ID, "王大明", "失踪", date(2024, 1, 1), reporter="省公安厅")
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert not row(world)["suspected_orphan"]

    other = family(World())
    other.event(F_ID, "王大明", "失踪", date(2024, 1, 1), reporter="长春市南关区人民法院")
    other.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert row(other)["suspected_orphan"]


def test_lost_contact_counts_after_six_months_only(world):
    family(world)
    world.event(F_ID, "王大明", "失联", date(2026, 3, 1))
    world.event(M_ID, "李丽", "服刑在押", date(2024, 1, 1))
    assert not row(world)["suspected_unsupported"]

    other = family(World())
    other.event(F_ID, "王大明", "失联", date(2025, 12, 1))
    other.event(M_ID, "李丽", "服刑在押", date(2024, 1, 1))
    assert row(other)["suspected_unsupported"]


def test_revoked_guardianship_and_deportation_count_and_refer_to_orphan_care(world):
    family(world)
    world.event(F_ID, "王大明", "撤销监护资格", date(2024, 1, 1))
    world.event(M_ID, "李丽", "遣送出境", date(2023, 1, 1))
    r = row(world)
    assert r["suspected_unsupported"] and r["refer_orphan"]


def test_both_seriously_ill_is_unsupported_but_not_refer_orphan(world):
    family(world)
    world.event(F_ID, "王大明", "重病", date(2024, 1, 1), detail="白血病")
    world.event(M_ID, "李丽", "重残", date(2023, 1, 1), detail="智力残疾二级")
    r = row(world)
    assert r["suspected_unsupported"] and not r["refer_orphan"]


def test_adult_child_is_never_flagged(world):
    world.migrant("C1", birth=date(2008, 1, 1))
    world.parent("C1", "father", "王大明", F_ID)
    world.parent("C1", "mother", "李丽", M_ID)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert not row(world)["suspected_orphan"]


def test_child_hiv_drives_refer_orphan_and_is_never_in_clear_text(world):
    cid = family(world) and world.records[0]["id_number"]
    world.event(cid, "王小明", "艾滋病病毒感染", date(2024, 1, 1))
    d = world.decide()
    assert d.profiles["refer_orphan"].to_list() == [True]
    for frame in (d.profiles, d.ledger, d.flags, d.review, d.parents):
        text = str(frame.rows())
        assert "艾滋病" not in text and "\\u827e" not in text.lower()
    reason = d.flags.filter(pl.col("flag") == "refer_orphan")["reason"].item()
    assert "特殊疾病（已脱敏）" in reason


def test_parent_known_by_name_only_goes_to_review_not_flag(world):
    world.migrant("C1")
    world.parent("C1", "father", "王大明", None)
    world.parent("C1", "mother", "李丽", M_ID)
    world.event(None, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    d = world.decide()
    assert not d.profiles["suspected_orphan"].item()
    codes = set(d.review["reason_code"])
    assert {"status_without_id_match", "one_parent_unknown"} <= codes


@pytest.mark.parametrize(("namesakes", "listed"), [(NAMESAKE_LIMIT, True), (NAMESAKE_LIMIT + 1, False)])
def test_a_death_without_number_is_listed_only_when_few_parents_carry_the_name(world, namesakes, listed):
    # every child's father is a different 王大明 (each known by his own valid number); the death
    # row names 王大明 without a number: it may be any of them, and with more namesakes than a
    # county can check, it points at none
    for i in range(namesakes):
        child = f"C{i + 1}"
        world.migrant(child, seq=11 + 2 * i)
        world.parent(child, "father", "王大明", make_id("220281", date(1985, 1, 1), 100 + 2 * i))
    world.event(None, "王大明", "死亡", date(2025, 1, 1))
    d = world.decide()
    review = d.review.filter(pl.col("reason_code") == "status_without_id_match")
    assert review.height == (namesakes if listed else 0)
    assert not d.profiles["suspected_orphan"].any()


def test_parent_typo_on_one_record_is_the_same_person(world):
    world.migrant("C1")
    world.parent("C1", "father", "王大明", F_ID)
    world.parent("C1", "father", "王大明", typo(F_ID), id_status="bad_check", source="school_enrollment")
    world.parent("C1", "mother", "李丽", M_ID)
    d = world.decide()
    p = d.parents.row(0, named=True)
    assert p["father_id_number"] == F_ID and p["father_known"] == "id"
    assert not p["father_conflict"]
    assert len(p["father_evidence"]) == 2


def test_masked_sensitive_status_from_the_standardizer_still_drives_refer_orphan(world):
    family(world)
    cid = world.records[0]["id_number"]
    world.event(cid, "王小明", "特殊疾病（已脱敏）", date(2024, 1, 1))
    world.status[-1]["status_sensitive"] = True
    d = world.decide()
    assert d.profiles["refer_orphan"].to_list() == [True]
    assert not d.profiles["suspected_unsupported"].item()


def test_reported_death_without_a_date_counts_but_lost_contact_needs_its_start(world):
    family(world)
    world.event(F_ID, "王大明", "死亡", None, reporter="省卫健委")
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    assert row(world)["suspected_orphan"]

    other = family(World())
    other.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    other.event(M_ID, "李丽", "失联", None)
    other.event(M_ID, "李丽", "服刑在押", None)
    assert not row(other)["suspected_unsupported"]


def test_missing_mother_is_found_beside_the_father_on_a_siblings_birth_certificate(world):
    world.migrant("C1")
    world.parent("C1", "father", "王大明", F_ID, source="residence_permits", relation="父亲")
    world.migrant("C2", seq=13)
    world.couple("C2", ("王大明", F_ID), ("李丽", M_ID))
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 1, 1))
    d = world.decide()
    p = d.parents.filter(pl.col("child_id") == "C1").row(0, named=True)
    assert p["mother_id_number"] == M_ID and p["mother_known"] == "id_inferred"
    assert p["mother_basis"] == "co_parent"
    assert d.profiles.filter(pl.col("child_id") == "C1")["suspected_orphan"].item()


def test_vaccination_guardian_matched_by_name_and_phone_becomes_the_parent(world):
    world.vaccination_guardian("C1", "李丽", "13900000000")
    world.migrant("C2", seq=13)
    world.parent(
        "C2", "mother", "李丽", M_ID, source="residence_permits", relation="母亲", phone="13900000000"
    )
    world.couple("C2", ("王大明", F_ID), ("李丽", M_ID))
    p = world.decide().parents.filter(pl.col("child_id") == "C1").row(0, named=True)
    assert p["mother_id_number"] == M_ID and p["mother_basis"] == "guardian_phone"
    # the father then follows from the mother's other records
    assert p["father_id_number"] == F_ID and p["father_basis"] == "co_parent"


def test_two_different_co_parents_infer_nothing(world):
    world.migrant("C1")
    world.parent("C1", "father", "王大明", F_ID, source="residence_permits", relation="父亲")
    other_mother = make_id("220102", date(1990, 1, 1), 42)
    for cid, mid, seq in (("C2", M_ID, 13), ("C3", other_mother, 15)):
        world.migrant(cid, seq=seq)
        world.couple(cid, ("王大明", F_ID), ("某某", mid))
    p = world.decide().parents.filter(pl.col("child_id") == "C1").row(0, named=True)
    assert p["mother_known"] == "unknown"


def test_a_co_parent_spelled_two_ways_is_named_the_same_whatever_the_row_order():
    def inferred_mother(siblings: list[tuple[str, int, str]]) -> dict:
        world = World()
        world.migrant("C1")
        world.parent("C1", "father", "王大明", F_ID, source="residence_permits", relation="父亲")
        for cid, seq, spelling in siblings:
            world.migrant(cid, seq=seq)
            world.couple(cid, ("王大明", F_ID), (spelling, M_ID))
        return world.decide().parents.filter(pl.col("child_id") == "C1").row(0, named=True)

    siblings = [("C2", 13, "李丽"), ("C3", 15, "季丽")]
    first = inferred_mother(siblings)
    again = inferred_mother(siblings[::-1])
    assert first["mother_id_number"] == M_ID and first["mother_basis"] == "co_parent"
    assert first["mother_name"] == again["mother_name"] == min("李丽", "季丽")
