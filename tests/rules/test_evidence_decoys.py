"""Decisions that stand on evidence, each with the decoy a guess would fall for.

- residence duration rests on dated presence in the county, not the school's 入学年月;
- children the records cannot confirm go to the candidate list, not the ledger;
- status rows reach a parent by an exact number, or one slip away under the same name;
  a namesake with a valid number one digit off is another person;
- a grandparent named as guardian is not a parent.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from tests.support.rules_world import AS_OF, World, make_id

F_ID = make_id("220281", date(1985, 10, 1), 13)
M_ID = make_id("220281", date(1987, 10, 2), 24)
GP_ID = make_id("220281", date(1958, 3, 3), 35)


def one_digit(number: str, pos: int = 14) -> str:
    """The number with one digit of the sequence code changed, check character kept (bad_check)."""
    return number[:pos] + str((int(number[pos]) + 3) % 10) + number[pos + 1 :]


def swapped(number: str, pos: int) -> str:
    return number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]


def namesake_of(number: str) -> str:
    """Another person's VALID number one digit off: sequence digit changed, check recomputed."""
    body = number[:14] + str((int(number[14]) + 1) % 10) + number[15:17]
    return make_id(body[:6], date(int(body[6:10]), int(body[10:12]), int(body[12:14])), int(body[14:17]))


def family(world: World, child: str = "C1") -> None:
    world.migrant(child)
    world.couple(child, ("王大明", F_ID), ("李丽", M_ID))


def review_codes(d, child: str = "C1") -> set[str]:
    return set(d.review.filter(pl.col("child_id") == child)["reason_code"].to_list())


# ---------------------------------------------------------------- residence duration


def test_transfer_pupil_who_arrived_last_month_is_not_a_migrant_child_yet(world):
    # 入学年月 2023-09 from the school he started in elsewhere; the permit dates his arrival
    world.migrant("C1", since=date(2026, 5, 20))
    world.record(
        "C1",
        "school_enrollment",
        residence_county="220102",
        enrol_month=date(2023, 9, 1),
        school_status="在读",
    )
    d = world.decide()
    prof = d.profiles.row(0, named=True)
    assert prof["residence_since"] == date(2026, 5, 20)
    assert prof["residence_basis"] == "permit_start"
    assert prof["migrant_check"] == "resident_under_6_months"
    assert d.ledger.is_empty() and d.candidates.is_empty()


def test_pupil_with_nothing_dating_the_arrival_is_a_candidate_not_a_ledger_child(world):
    world.record(
        "C1",
        "school_enrollment",
        name="刘洋",
        birth_date=date(2015, 2, 1),
        hukou_county="220281",
        residence_county="220102",
        enrol_month=date(2021, 9, 1),
        school_status="在读",
    )
    d = world.decide()
    assert d.ledger.is_empty()
    cand = d.candidates.row(0, named=True)
    assert cand["child_id"] == "C1" and cand["residence_county"] == "220102"
    assert cand["reason_code"] == "residence_since_unknown"
    assert "入学年月" in cand["reason"] and "居住证" in cand["reason"]
    assert json.loads(cand["evidence"])["records"][0]["source"] == "school_enrollment"


def test_record_opened_by_a_clinic_of_another_county_does_not_date_the_arrival(world):
    # a health record opened at birth in the hukou county (梅河口市), managed here since
    world.record(
        "C1",
        "child_health",
        birth_date=date(2021, 4, 1),
        hukou_county="220581",
        residence_county="220102",
        clinic="梅河口市妇幼保健院",
        record_opened=date(2021, 4, 20),
    )
    # the vaccination card was opened here in May 2026
    world.record(
        "C1",
        "vaccination",
        birth_date=date(2021, 4, 1),
        hukou_county="220581",
        residence_county="220102",
        clinic="南关区社区卫生服务中心预防接种门诊",
        card_opened=date(2026, 5, 2),
    )
    prof = world.decide().profiles.row(0, named=True)
    assert prof["residence_since"] == date(2026, 5, 2)
    assert prof["residence_basis"] == "vaccination_card"
    assert not prof["is_migrant"]


def test_a_clinic_named_without_a_division_is_the_extracts_own_county_one_of_another_city_is_not(world):
    for cid, clinic in (
        ("C1", "第一社区卫生服务中心"),
        ("C2", "长春市妇幼保健院"),
        ("C3", "延边州妇幼保健院"),
    ):
        world.record(
            cid,
            "child_health",
            birth_date=date(2022, 4, 1),
            hukou_county="220581",
            residence_county="220102",
            clinic=clinic,
            record_opened=date(2024, 4, 20),
        )
    by = {r["child_id"]: r for r in world.decide().profiles.iter_rows(named=True)}
    assert by["C1"]["residence_basis"] == "health_record" and by["C1"]["is_migrant"]
    assert by["C2"]["residence_since"] == date(2024, 4, 20)  # 长春市 is the city of 南关区
    assert by["C3"]["residence_since"] is None and not by["C3"]["is_migrant"]


def test_birth_in_the_county_and_last_half_years_ledger_date_presence(world):
    # born in 南关区 (birth certificate), known from school and insurance since
    world.record("C1", "birth_certificates", birth_date=date(2017, 3, 8), birth_place_county="220102")
    world.record("C1", "school_enrollment", hukou_county="220281", residence_county="220102")
    # on last half-year's ledger in 宽城区 since 2023; seen there again by school only
    world.record(
        "C2",
        "school_enrollment",
        birth_date=date(2016, 1, 1),
        hukou_county="220281",
        residence_county="220103",
    )
    previous = pl.DataFrame(
        {
            "child_id": ["C2"],
            "birth_date": [date(2016, 1, 1)],
            "residence_county": ["220103"],
            "residence_since": [date(2023, 3, 1)],
        }
    )
    from taizhang.rules.decide import decide

    d = decide(*world.frames(), AS_OF, previous_ledger=previous)
    by = {r["child_id"]: r for r in d.profiles.iter_rows(named=True)}
    assert by["C1"]["residence_since"] == date(2017, 3, 8) and by["C1"]["residence_basis"] == "birth"
    assert by["C2"]["residence_since"] == date(2023, 3, 1) and by["C2"]["residence_basis"] == "previous_run"
    assert d.ledger["child_id"].to_list() == ["C1", "C2"]
    assert d.ledger["residence_basis"].to_list() == ["birth", "previous_run"]


def test_a_record_kept_apart_from_a_dated_twin_or_renamed_child_is_left_to_the_review(world):
    # the permit of 王浩宇 dates the family's arrival last month; a school record of 王伟, same
    # birth date, which the linker kept apart (a twin, or the same child renamed), dates nothing
    apart = world.kept_apart_pair("C1", "C2")
    from taizhang.rules.decide import decide

    d = decide(*world.frames(), AS_OF, vetoed_apart=apart)
    by = {r["child_id"]: r for r in d.profiles.iter_rows(named=True)}
    # the partner's date is not the child's: nothing dates C2 itself
    assert by["C2"]["residence_since"] is None
    assert by["C2"]["migrant_check"] == "residence_since_unknown"
    assert d.candidates.is_empty() and d.ledger.is_empty()
    assert set(d.review.filter(pl.col("reason_code") == "renamed_or_twin")["child_id"]) == {"C1", "C2"}
    # without the dated partner, the same school record is a candidate
    alone = decide(*world.frames(), AS_OF, vetoed_apart=apart.filter(pl.lit(False)))
    assert alone.candidates["child_id"].to_list() == ["C2"]


def test_child_known_only_from_insurance_is_a_candidate_with_everything_missing(world):
    number = make_id("220581", date(2016, 6, 6), 41)
    world.record(
        "C1",
        "insurance",
        name="赵一",
        id_number=number,
        id_status="valid",
        id_birth_date=date(2016, 6, 6),
        id_county="220581",
        residence_county="220102",
        insurance_year=2026,
    )
    d = world.decide()
    assert d.ledger.is_empty()
    cand = d.candidates.row(0, named=True)
    assert cand["reason_code"] == "residence_from_insurance"
    assert cand["missing"] == ["residence_from_insurance", "residence_since_unknown", "hukou_from_id_number"]
    assert cand["hukou_county"] == "220581" and cand["id_number"] == number
    assert "户口簿" in cand["reason"] and "入户" in cand["reason"]


# ---------------------------------------------------------------- status rows to parents


def test_mothers_death_under_a_number_one_digit_off_with_her_name_counts_and_is_reviewed(world):
    family(world)
    world.event(F_ID, "王大明", "死亡", date(2025, 1, 1))
    world.event(one_digit(M_ID), "李丽", "死亡", date(2025, 3, 1), id_status="bad_check")
    d = world.decide()
    flag = d.flags.filter(pl.col("flag") == "suspected_orphan")
    assert flag["child_id"].to_list() == ["C1"]
    matches = {e["row_number"]: e["match"] for e in json.loads(flag["evidence"].item())["events"]}
    assert matches == {1: "exact", 2: "one_digit"}
    assert "status_matched_by_slip" in review_codes(d)


def test_birth_month_that_cannot_exist_and_a_transposition_are_slips_too(world):
    family(world)
    # 李丽 born in October: month 10 typed 13 (a date that cannot exist; the standardizer keeps no number)
    month13 = M_ID[:10] + "13" + M_ID[12:]
    world.event(None, "李丽", "死亡", date(2025, 3, 1), id_status="malformed", id_raw=month13)
    # 王大明's number with two adjacent digits of the sequence code swapped
    world.event(swapped(F_ID, 14), "王大明", "服刑在押", date(2025, 1, 1), id_status="bad_check")
    d = world.decide()
    r = d.profiles.row(0, named=True)
    assert r["suspected_unsupported"]
    events = json.loads(d.flags.filter(pl.col("flag") == "suspected_unsupported")["evidence"].item())[
        "events"
    ]
    assert {e["match"] for e in events} == {"impossible_date", "transposition"}


def test_namesake_with_a_valid_number_one_digit_off_is_another_person(world):
    family(world)
    other = namesake_of(F_ID)
    assert other != F_ID and sum(a != b for a, b in zip(other, F_ID, strict=True)) == 2
    world.event(other, "王大明", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 3, 1))
    d = world.decide()
    r = d.profiles.row(0, named=True)
    assert not r["suspected_orphan"] and not r["suspected_unsupported"]
    assert "status_matched_by_slip" not in review_codes(d)


def test_slip_that_fits_two_namesakes_counts_for_neither_and_is_reviewed(world):
    # two children whose fathers share a name and have numbers one digit apart in the sequence code
    other_f = make_id("220281", date(1985, 10, 1), 15)
    family(world, "C1")
    world.migrant("C2", seq=17)
    world.couple("C2", ("王大明", other_f), ("周敏", make_id("220281", date(1988, 1, 1), 26)))
    # a row under 王大明 typed with the second father's digits and the first one's check character:
    # one digit from each number
    typed = other_f[:17] + F_ID[17]
    assert sum(a != b for a, b in zip(typed, F_ID, strict=True)) == 1
    assert sum(a != b for a, b in zip(typed, other_f, strict=True)) == 1
    world.event(typed, "王大明", "死亡", date(2025, 1, 1), id_status="bad_check")
    world.event(M_ID, "李丽", "死亡", date(2025, 3, 1))
    d = world.decide()
    assert not d.profiles["suspected_orphan"].any()
    assert "status_ambiguous_match" in review_codes(d, "C1")
    assert "status_ambiguous_match" in review_codes(d, "C2")


# ---------------------------------------------------------------- parents and guardians


def test_grandparent_guardian_with_a_death_record_is_not_a_parent(world):
    world.migrant("C1")
    world.parent("C1", "mother", "李丽", M_ID)
    world.parent(
        "C1",
        "guardian1",
        "王老汉",
        GP_ID,
        source="residence_permits",
        relation="祖父母",
        phone="13900000001",
    )
    world.event(GP_ID, "王老汉", "死亡", date(2025, 1, 1))
    world.event(M_ID, "李丽", "死亡", date(2025, 3, 1))
    d = world.decide()
    r = d.profiles.row(0, named=True)
    assert not r["suspected_orphan"] and not r["suspected_unsupported"]
    parents = d.parents.row(0, named=True)
    assert parents["father_person_id"] is None and parents["mother_name"] == "李丽"
    # the guardian is shown on the ledger, as a guardian
    led = d.ledger.row(0, named=True)
    assert led["guardian_name"] == "王老汉" and led["guardian_relation"] == "祖父母"
