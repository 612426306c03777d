"""Care level, urgent list and service gaps as a county worker sees them in the ledger."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from tests.support.rules_world import AS_OF, World


def ledger_row(world: World, child: str = "C1") -> dict:
    d = world.decide()
    return d.ledger.filter(pl.col("child_id") == child).row(0, named=True)


def visit(world: World, child: str = "C1", **fields) -> None:
    base = {"visit_date": date(2026, 5, 10), "residence_county": "220102"}
    base.update(fields)
    world.record(child, "field_visits", **base)


def test_no_visit_means_every_three_months(world):
    world.migrant("C1")
    assert ledger_row(world)["care_level"] == "每三个月走访"


def test_ordinary_guardianship_means_monthly_visits(world):
    world.migrant("C1")
    visit(world, guardianship="一般")
    assert ledger_row(world)["care_level"] == "每月走访"


def test_inadequate_guardianship_and_special_situations_are_key_cases(world):
    world.migrant("C1")
    visit(world, guardianship="监护缺失", special=["心理行为异常", "单亲"], self_apply=True)
    r = ledger_row(world)
    assert r["care_level"] == "重点关爱"
    assert r["key_reasons"] == sorted(["监护缺失", "心理行为异常", "主动申请救助"])


def test_single_parent_alone_is_not_a_key_reason(world):
    world.migrant("C1")
    visit(world, guardianship="良好", special=["单亲"])
    assert ledger_row(world)["care_level"] == "每三个月走访"


def test_latest_visit_supersedes_an_earlier_one(world):
    world.migrant("C1")
    visit(world, visit_date=date(2025, 11, 1), guardianship="监护不当", urgent=["疑似家庭暴力"])
    visit(world, visit_date=date(2026, 5, 1), guardianship="一般")
    r = ledger_row(world)
    assert r["care_level"] == "每月走访" and not r["urgent"]


def test_dropout_school_status_makes_a_key_case_and_a_gap(world):
    world.migrant("C1")
    world.record(
        "C1",
        "school_enrollment",
        school_name="南关小学",
        school_status="疑似辍学",
        enrol_month=date(2022, 9, 1),
        residence_county="220102",
    )
    r = ledger_row(world)
    assert r["care_level"] == "重点关爱" and "失辍学" in r["key_reasons"]
    assert "辍学或疑似辍学" in r["service_gaps"] and "无在读学籍" not in r["service_gaps"]
    assert r["school_name"] == "南关小学"


def test_urgent_situation_goes_on_the_urgent_list_with_evidence(world):
    world.migrant("C1")
    visit(world, guardianship="监护侵害", urgent=["脱离监护单独居住", "疑似家庭暴力"])
    d = world.decide()
    r = d.ledger.row(0, named=True)
    assert r["urgent"] and r["urgent_reasons"] == sorted(["脱离监护单独居住", "疑似家庭暴力"])
    flag = d.flags.filter(pl.col("flag") == "urgent")
    assert "立即报告公安机关" in flag["reason"].item()
    assert json.loads(flag["evidence"].item())["records"][0]["source"] == "field_visits"


def test_service_gaps_for_an_unschooled_uninsured_child_with_missed_doses(world):
    world.migrant("C1", birth=date(2018, 3, 1))
    world.records[0]["valid_until"] = date(2026, 1, 1)  # permit expired before the as-of date
    world.record("C1", "vaccination", missed_doses=2, card_opened=date(2019, 1, 1), residence_county="220102")
    world.record("C1", "insurance", insurance_status="参保缴费", insurance_year=2025)
    world.record("C1", "child_health", management_status="失访", record_opened=date(2019, 1, 1))
    gaps = ledger_row(world)["service_gaps"]
    assert gaps == ["无在读学籍", "疫苗应种未种", "未参保", "无有效居住证", "健康管理失访"]


def test_no_gaps_for_a_child_that_has_every_service(world):
    world.migrant("C1", birth=date(2015, 3, 1))
    world.record("C1", "school_enrollment", school_status="在读", enrol_month=date(2021, 9, 1))
    world.record("C1", "insurance", insurance_status="参保缴费", insurance_year=AS_OF.year)
    world.record("C1", "vaccination", missed_doses=0, card_opened=date(2016, 1, 1))
    assert ledger_row(world)["service_gaps"] == []


def test_disability_without_rehabilitation_needs_follow_up(world):
    world.migrant("C1")
    visit(world, guardianship="良好", special=["残疾"])
    r = ledger_row(world)
    assert "残疾儿童未见康复记录" in r["service_gaps"] and r["care_level"] == "重点关爱"


def test_every_flag_carries_evidence_naming_rows(world):
    world.migrant("C1")
    visit(world, guardianship="监护缺失", urgent=["失踪"])
    flags = world.decide().flags
    assert flags.height >= 3
    for text in flags["evidence"]:
        ev = json.loads(text)
        assert ev["records"] or ev["events"]
