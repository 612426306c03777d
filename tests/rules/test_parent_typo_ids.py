"""A parent's number with a wrong check digit is the valid number one character away under the same name."""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.rules.parents import resolve_by_id_number
from tests.support.ids import make_id, typo

FATHER = make_id("220102", date(1985, 3, 14), 17)
NAMESAKE = make_id("220102", date(1985, 3, 14), 29)


def _keys(rows: list[tuple[str, str, str]]) -> dict[str, tuple[str | None, str | None]]:
    mentions = pl.DataFrame(rows, schema=["id_number", "id_status", "name"], orient="row").with_row_index(
        "mention_id"
    )
    out = resolve_by_id_number(mentions).join(mentions, on="mention_id")
    return {r["id_number"]: (r["person_key"], r["person_key_status"]) for r in out.iter_rows(named=True)}


def test_a_slip_in_any_part_of_the_number_resolves_to_the_valid_number_of_the_same_name() -> None:
    # One slip in the county, in the birth date, in the sequence: each is the father's number.
    slips = [typo(FATHER, 2), typo(FATHER, 8), typo(FATHER, 14)]
    keys = _keys([(FATHER, "valid", "王大明"), *[(s, "bad_check", "王大明") for s in slips]])
    for s in slips:
        assert keys[s] == (FATHER, "valid")


def test_two_slips_or_another_name_stay_as_typed() -> None:
    two_slips = typo(typo(FATHER, 2), 14)
    other_name = typo(FATHER, 8)
    keys = _keys(
        [
            (FATHER, "valid", "王大明"),
            (two_slips, "bad_check", "王大明"),
            (other_name, "bad_check", "李小红"),
        ]
    )
    assert keys[two_slips] == (two_slips, "bad_check")
    assert keys[other_name] == (other_name, "bad_check")
    # A namesake's valid number is its own person, whatever the slip.
    assert keys[FATHER] == (FATHER, "valid")
    namesakes = _keys([(NAMESAKE, "valid", "王大明"), (FATHER, "valid", "王大明")])
    assert namesakes[NAMESAKE] == (NAMESAKE, "valid")
