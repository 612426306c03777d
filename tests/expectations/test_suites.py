"""Suites are generated from the contracts: every source, and they follow contract edits."""

from __future__ import annotations

import dataclasses

import pytest

from data_contracts import SOURCE_ORDER, Column
from expectations.checks import REDACTED
from expectations.suites import build_suite


def _configs(suite) -> list[dict]:
    return [e.configuration.to_json_dict() for e in suite.expectations]


def _by_check(suite, column: str, check: str):
    found = [e for e in suite.expectations if e.meta["column"] == column and e.meta["check"] == check]
    assert len(found) == 1, (column, check)
    return found[0]


@pytest.mark.parametrize("source", SOURCE_ORDER)
def test_every_contract_gets_a_described_suite(contracts, source):
    contract = contracts[source]
    suite = build_suite(contract)
    assert suite.name == f"taizhang_{source}"
    assert suite.expectations
    for e in suite.expectations:
        assert e.meta["severity"] in {"row", "column"}
        assert e.meta["description_zh"].startswith(contract.column(e.meta["column"]).header)
        assert e.column.startswith(e.meta["column"] + "__")  # GX reads a helper column
    typed = {(e.meta["column"], e.meta["check"]) for e in suite.expectations}
    for col in contract.columns:
        if col.type == "id_number":
            assert {(col.name, "id_shape"), (col.name, "id_check_digit")} <= typed
        if col.type == "date":
            assert (col.name, "date_parse") in typed
        if col.type == "division":
            assert (col.name, "division_resolves") in typed
        if col.type == "enum":
            # Staged data carries a sensitive value's code, so the suite checks against the code.
            allowed = set(_by_check(suite, col.name, "allowed_value").value_set)
            assert allowed == set(contract.staged_allowed(col))
            assert not allowed & set(contract.sensitive_values)
        if col.required or col.row_required:
            assert (col.name, "required_present") in typed


def test_check_digit_is_a_column_level_warning(contracts):
    e = _by_check(build_suite(contracts["insurance"]), "id_number", "id_check_digit")
    assert e.meta["severity"] == "column"
    assert e.mostly < 1


def test_jilin_check_only_where_codes_should_be_in_jilin(contracts):
    suite = build_suite(contracts["residence_permits"])
    jilin = _by_check(suite, "residence_code", "division_in_jilin")
    assert "220102" in jilin.value_set and "110101" not in jilin.value_set
    # A hukou outside Jilin is what makes a child a migrant here: no warning for it.
    hukou = {e.meta["check"] for e in suite.expectations if e.meta["column"] == "hukou_code"}
    assert hukou == {"division_resolves"}


def test_permit_expiry_may_lie_in_the_future(contracts):
    checks = {
        (e.meta["column"], e.meta["check"]) for e in build_suite(contracts["residence_permits"]).expectations
    }
    assert ("issue_date", "date_not_future") in checks
    assert ("valid_until", "date_parse") in checks
    assert ("valid_until", "date_not_future") not in checks


def test_adding_an_alias_changes_the_suite(contracts):
    contract = contracts["vaccination"]
    before = build_suite(contract)
    col = contract.column("residence_division")
    edited = dataclasses.replace(col, aliases=(*col.aliases, "现居住县区"))
    contract2 = dataclasses.replace(
        contract, columns=tuple(edited if c.name == col.name else c for c in contract.columns)
    )
    after = build_suite(contract2)
    assert _configs(before) != _configs(after)
    e = _by_check(after, "residence_division", "division_resolves")
    assert "现居住县区" in e.meta["headers"]
    assert "现居住县区" in e.meta["description_zh"]


def test_adding_an_allowed_value_changes_the_suite(contracts):
    contract = contracts["insurance"]
    col = contract.column("insurance_status")
    edited = dataclasses.replace(col, allowed=(*col.allowed, "中断缴费"))
    contract2 = dataclasses.replace(
        contract, columns=tuple(edited if c.name == col.name else c for c in contract.columns)
    )
    before = _by_check(build_suite(contract), "insurance_status", "allowed_value")
    after = _by_check(build_suite(contract2), "insurance_status", "allowed_value")
    assert "中断缴费" not in before.value_set
    assert "中断缴费" in after.value_set


def test_a_new_typed_column_gets_its_checks(contracts):
    contract = contracts["field_visits"]
    extra = Column(name="next_visit", header="下次走访日期", type="date")
    suite = build_suite(dataclasses.replace(contract, columns=(*contract.columns, extra)))
    assert {e.meta["check"] for e in suite.expectations if e.meta["column"] == "next_visit"} == {
        "date_parse",
        "date_not_future",
    }


def test_descriptions_never_spell_the_sensitive_status(contracts):
    suite = build_suite(contracts["person_status"])
    status = _by_check(suite, "status", "allowed_value")
    # The check accepts the status as staged data carries it (its code), and never spells the words.
    assert "SD01" in status.value_set
    assert "艾滋病病毒感染" not in status.value_set
    for e in suite.expectations:
        assert "艾滋病病毒感染" not in e.meta["description_zh"]
        assert "艾滋病病毒感染" not in (e.description or "")
    assert REDACTED in status.meta["description_zh"]
