"""Who is a migrant child, and how a child's profile is put together from its records."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest

from taizhang.rules.candidates import migrant_candidates
from taizhang.rules.decide import decide
from taizhang.rules.migrant import migrant_decisions, migrant_review
from taizhang.rules.profile import build_profiles
from tests.support.rules_world import AS_OF, World, make_id


def decide_migrant(world: World, as_of: date = AS_OF) -> dict:
    records, _, _, rc = world.frames()
    prof = build_profiles(records, rc, as_of)
    return prof.join(migrant_decisions(prof, as_of), on="child_id").row(0, named=True)


def test_child_from_another_county_living_here_a_year_is_migrant(world):
    world.migrant("C1", hukou="220281", residence="220102", since=date(2025, 3, 1))
    r = decide_migrant(world)
    assert r["is_migrant"] and r["migrant_check"] == "migrant"


def test_move_between_two_central_districts_of_one_city_is_not_migrant(world):
    # 南关区 → 朝阳区, both central districts of 长春
    world.migrant("C1", hukou="220102", residence="220104")
    r = decide_migrant(world)
    assert not r["is_migrant"] and r["migrant_check"] == "central_districts_same_city"


def test_move_from_a_central_district_to_an_undetermined_one_is_migrant(world):
    # 双阳区 has no central-district flag: undetermined counts as not central
    world.migrant("C1", hukou="220102", residence="220112")
    assert decide_migrant(world)["is_migrant"]


def test_central_districts_of_two_different_cities_is_migrant(world):
    # 吉林市昌邑区 → 长春市南关区
    world.migrant("C1", hukou="220202", residence="220102")
    assert decide_migrant(world)["is_migrant"]


def test_hukou_outside_jilin_counts(world):
    world.migrant("C1", hukou="230102", residence="220102")
    assert decide_migrant(world)["is_migrant"]


@pytest.mark.parametrize(
    ("birth", "expected"),
    [(date(2010, 7, 1), True), (date(2010, 6, 30), False), (date(2010, 1, 1), False)],
    ids=["15_turning_16_next_day", "16th_birthday_on_as_of", "16"],
)
def test_under_sixteen_at_as_of(world, birth, expected):
    world.migrant("C1", birth=birth)
    r = decide_migrant(world)
    assert r["is_migrant"] is expected
    if not expected:
        assert r["migrant_check"] == "age_16_or_over"


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (date(2026, 1, 15), False),
        (date(2025, 11, 15), True),
        (date(2025, 12, 30), True),
        (date(2025, 12, 31), False),
    ],
    ids=["5_months", "7_months", "exactly_6_months", "one_day_short"],
)
def test_six_months_of_residence(world, since, expected):
    world.migrant("C1", since=since)
    r = decide_migrant(world)
    assert r["is_migrant"] is expected
    if not expected:
        assert r["migrant_check"] == "resident_under_6_months"


def test_unknown_hukou_is_kept_for_review_not_dropped(world):
    world.record(
        "C1",
        "vaccination",
        name="刘一",
        birth_date=date(2020, 1, 1),
        residence_county="220102",
        card_opened=date(2021, 1, 1),
    )
    r = decide_migrant(world)
    assert not r["is_migrant"] and r["migrant_check"] == "hukou_unknown"
    d = world.decide()
    assert d.review.filter(pl.col("reason_code") == "hukou_unknown")["child_id"].to_list() == ["C1"]


def test_hukou_from_id_address_code_only_when_no_record_names_one(world):
    cid = make_id("220281", date(2018, 1, 1), 21)
    world.record(
        "C1",
        "vaccination",
        id_number=cid,
        id_status="valid",
        id_county="220281",
        id_birth_date=date(2018, 1, 1),
        residence_county="220102",
        card_opened=date(2019, 1, 1),
    )
    prof = build_profiles(*[world.frames()[i] for i in (0, 3)], AS_OF).row(0, named=True)
    assert prof["hukou_county"] == "220281" and prof["hukou_basis"] == "id_address_code"

    world.record("C1", "school_enrollment", hukou_county="220203", enrol_month=date(2024, 9, 1))
    prof = build_profiles(*[world.frames()[i] for i in (0, 3)], AS_OF).row(0, named=True)
    assert prof["hukou_county"] == "220203" and prof["hukou_basis"] == "records"


def test_profile_prefers_valid_id_and_agreeing_name_and_keeps_sources(world):
    good = make_id("220281", date(2015, 4, 5), 31)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    world.record(
        "C1", "vaccination", name="张小宝", name_placeholder=True, id_number=bad, id_status="bad_check"
    )
    world.record(
        "C1",
        "school_enrollment",
        name="张伟",
        id_number=good,
        id_status="valid",
        id_birth_date=date(2015, 4, 5),
        id_sex="女",
        sex="男",
        birth_date=date(2015, 5, 4),
    )
    world.record("C1", "insurance", name="张伟", sex="男")
    world.record("C1", "child_health", name="章伟", name_placeholder=False)
    prof = build_profiles(*[world.frames()[i] for i in (0, 3)], AS_OF).row(0, named=True)
    assert prof["id_number"] == good and prof["id_status"] == "valid"
    assert prof["name"] == "张伟"
    # birth date and sex from the valid identity number, not from the records
    assert prof["birth_date"] == date(2015, 4, 5) and prof["sex"] == "女"
    assert prof["birth_date_source"]["source"] == "school_enrollment"
    assert prof["name_source"]["source"] in {"school_enrollment", "insurance"}


def test_residence_is_the_most_recent_evidence_and_since_counts_only_there(world):
    world.record(
        "C1",
        "residence_permits",
        residence_county="220281",
        residence_start=date(2020, 3, 1),
        issue_date=date(2020, 3, 1),
        hukou_county="222401",
    )
    world.record(
        "C1",
        "school_enrollment",
        residence_county="220102",
        enrol_month=date(2024, 9, 1),
        school_status="在读",
    )
    world.record(
        "C1",
        "vaccination",
        residence_county="220102",
        clinic="长春市南关区社区卫生服务中心预防接种门诊",
        card_opened=date(2025, 2, 1),
        last_dose=date(2025, 5, 1),
    )
    # insured where the hukou is: never beats direct residence evidence
    world.record("C1", "insurance", residence_county="222401", insurance_year=2026)
    prof = build_profiles(*[world.frames()[i] for i in (0, 3)], AS_OF).row(0, named=True)
    assert prof["residence_county"] == "220102"
    assert prof["residence_county_source"]["source"] == "vaccination"
    # the school's 入学年月 (2024-09) does not date the arrival; the card opened here does,
    # and the permit of 2020 is about another county
    assert prof["residence_since"] == date(2025, 2, 1)
    assert prof["residence_since_source"]["source"] == "vaccination"
    assert prof["residence_basis"] == "vaccination_card"


def test_transferred_out_pupil_is_not_residence_evidence(world):
    world.record(
        "C1",
        "school_enrollment",
        residence_county="220102",
        enrol_month=date(2025, 9, 1),
        school_status="转出",
    )
    world.record("C1", "residence_permits", residence_county="220202", residence_start=date(2023, 1, 1))
    prof = build_profiles(*[world.frames()[i] for i in (0, 3)], AS_OF).row(0, named=True)
    assert prof["residence_county"] == "220202"


def test_ledger_holds_only_migrants_with_a_valid_id_or_null(world):
    world.migrant("C1")
    world.migrant("C2", hukou="220102", residence="220102", seq=13)
    bad_child = world.migrant("C3", seq=15)
    for rec in world.records:
        if rec["id_number"] == bad_child:
            rec["id_status"] = "bad_check"
    d = world.decide()
    assert d.ledger["child_id"].to_list() == ["C1", "C3"]
    assert d.ledger.filter(pl.col("child_id") == "C3")["id_number"].item() is None
    assert d.profiles.height == 3


def test_insurance_year_is_not_a_start_of_residence(world):
    # arrived in August, insured for the whole calendar year in the new county
    world.migrant("C1", since=date(2026, 8, 1))
    world.record(
        "C1", "insurance", residence_county="220102", insurance_year=2026, insurance_status="参保缴费"
    )
    r = decide_migrant(world, date(2026, 12, 31))
    assert r["residence_since"] == date(2026, 8, 1)
    assert not r["is_migrant"] and r["migrant_check"] == "resident_under_6_months"


def test_a_child_seen_again_without_a_birth_date_keeps_last_half_years(world):
    # This half-year's permit names no birth date and no identity number.
    world.record(
        "C1",
        "residence_permits",
        name="朱子豪",
        hukou_county="230102",
        residence_county="220182",
        residence_start=date(2019, 9, 3),
    )
    records, _, _, rc = world.frames()
    alone = build_profiles(records, rc, AS_OF)
    assert alone["birth_date"][0] is None
    assert migrant_decisions(alone, AS_OF)["migrant_check"][0] == "birth_date_unknown"

    previous = pl.DataFrame({"child_id": ["C1", "C9"], "birth_date": [date(2019, 9, 3), date(2015, 1, 1)]})
    prof = build_profiles(records, rc, AS_OF, previous=previous)
    assert prof["birth_date"][0] == date(2019, 9, 3)
    assert prof["birth_date_source"][0]["source"] == "previous_ledger"
    assert migrant_decisions(prof, AS_OF)["is_migrant"][0]


def test_a_birth_date_on_the_records_wins_over_last_half_years(world):
    world.migrant("C1", birth=date(2016, 3, 1))
    records, _, _, rc = world.frames()
    previous = pl.DataFrame({"child_id": ["C1"], "birth_date": [date(2016, 3, 2)]})
    prof = build_profiles(records, rc, AS_OF, previous=previous)
    assert prof["birth_date"][0] == date(2016, 3, 1)
    assert prof["birth_date_source"][0]["source"] != "previous_ledger"


def test_a_child_in_the_0_to_6_health_program_without_a_birth_date_is_under_16(world):
    # A child health record (0-6 health management) with hukou and residence, but no birth date.
    world.record(
        "C1",
        "child_health",
        name="赵宇轩",
        hukou_county="130102",
        residence_county="220881",
        clinic="洮南市妇幼保健院",
        record_opened=date(2024, 3, 1),
    )
    # The same gaps on an insurance record say nothing of the child's age.
    world.record("C2", "insurance", name="赵宇航", hukou_county="130102", residence_county="220881")
    records, _, _, rc = world.frames()
    prof = build_profiles(records, rc, AS_OF)
    decided = prof.join(migrant_decisions(prof, AS_OF), on="child_id")
    by_child = {r["child_id"]: r for r in decided.iter_rows(named=True)}
    assert by_child["C1"]["birth_date"] is None and by_child["C1"]["is_migrant"]
    assert by_child["C2"]["migrant_check"] == "birth_date_unknown" and not by_child["C2"]["is_migrant"]
    review = migrant_review(prof, migrant_decisions(prof, AS_OF))
    reasons = {(r["child_id"], r["reason_code"]) for r in review.iter_rows(named=True)}
    assert ("C1", "birth_date_missing_under_7") in reasons
    # C2 may be a migrant child (hukou elsewhere) but nothing says its age: a candidate to visit
    candidates = migrant_candidates(prof, migrant_decisions(prof, AS_OF))
    assert candidates["child_id"].to_list() == ["C2"]
    assert candidates["reason_code"].item() == "birth_date_unknown"
    assert set(candidates["missing"].item()) >= {"birth_date_unknown", "residence_from_insurance"}


def test_children_a_rename_veto_kept_apart_are_both_listed_for_review(world):
    # A permit and a 0-6 health record of one family, born the same day, named 王浩宇 and 王伟, no
    # number in common: the linker kept them apart; a person decides renamed child or twins.
    permit = world.record("C1", "residence_permits", name="王浩宇", birth_date=date(2021, 5, 2))
    health = world.record("C2", "child_health", name="王伟", birth_date=date(2021, 5, 2))
    world.record("C3", "insurance", name="李娜", birth_date=date(2019, 1, 1))
    records, guardians, status, links = world.frames()
    apart = pl.DataFrame({"l": [permit], "r": [health], "child_id_l": ["C1"], "child_id_r": ["C2"]})
    review = decide(records, guardians, status, links, date(2026, 6, 30), vetoed_apart=apart).review
    items = review.filter(pl.col("reason_code") == "renamed_or_twin").sort("child_id")
    assert items["child_id"].to_list() == ["C1", "C2"]
    assert "C2" in items["reason"][0] and "C1" in items["reason"][1]
    for evidence in items["evidence"]:
        rows = {(r["source"], r["row_number"]) for r in json.loads(evidence)["records"]}
        assert rows == {("residence_permits", permit), ("child_health", health)}
    assert "王" not in "".join(items["reason"].to_list() + items["evidence"].to_list())
