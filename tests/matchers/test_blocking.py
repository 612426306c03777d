"""Blocking: giant blocks are capped, the deletion rule finds one-typo identity numbers."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from matchers.blocking import BlockingRule, generate_candidates


def _candidates(
    df: pl.DataFrame, rules: list[BlockingRule], cap: int, apart_by: tuple[str, ...] = ()
) -> tuple[set[tuple[int, int]], pl.DataFrame]:
    con = duckdb.connect()
    con.register("recs", df)
    report = generate_candidates(con, "recs", rules, cap, apart_by=apart_by)
    pairs = {(int(a), int(b)) for a, b in con.sql("SELECT l, r FROM lk_candidates").fetchall()}
    return pairs, report


def test_oversized_block_is_skipped_with_a_warning_not_paired() -> None:
    # 400 records share a default birth date; 3 others share a real one.
    df = pl.DataFrame(
        {
            "record_id": list(range(403)),
            "dob": ["19000101"] * 400 + ["20150315"] * 3,
        }
    )
    pairs, report = _candidates(df, [BlockingRule("dob", "r.dob")], cap=50)
    assert pairs == {(400, 401), (400, 402), (401, 402)}
    row = report.row(0, named=True)
    assert row["oversized_blocks"] == 1
    assert row["records_in_oversized"] == 400
    assert "skipped" in row["warning"]


def test_oversized_block_is_sub_blocked_when_the_rule_has_a_sub_key() -> None:
    df = pl.DataFrame(
        {
            "record_id": list(range(300)),
            "county": ["220102"] * 300,
            "initials": [f"x{i % 100}" for i in range(300)],
        }
    )
    pairs, report = _candidates(df, [BlockingRule("county", "r.county", sub_key="r.initials")], cap=50)
    # 100 sub-blocks of 3 records: 3 pairs each, never the 44,850 of the whole block.
    assert len(pairs) == 300
    assert all(a % 100 == b % 100 for a, b in pairs)
    assert "sub-blocked" in report.row(0, named=True)["warning"]


def test_deletion_rule_pairs_one_substitution_and_one_transposition_only() -> None:
    base = "220102201503151234"
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3],
            "id": [
                base,
                base[:5] + "9" + base[6:],
                base[:10] + base[11] + base[10] + base[12:],
                "110105194912310021",
            ],
        }
    )
    pairs, _ = _candidates(df, [BlockingRule("near", "r.id", kind="deletion")], cap=100)
    assert {(0, 1), (0, 2)} <= pairs
    assert not any(3 in p for p in pairs)


def test_report_says_which_rule_found_each_pair_first() -> None:
    df = pl.DataFrame({"record_id": [0, 1, 2], "a": ["k", "k", None], "b": ["z", "z", "z"]})
    pairs, report = _candidates(df, [BlockingRule("a", "r.a"), BlockingRule("b", "r.b")], cap=10)
    assert pairs == {(0, 1), (0, 2), (1, 2)}
    by_rule = {r["rule"]: r for r in report.iter_rows(named=True)}
    assert by_rule["a"]["new_pairs"] == 1
    assert by_rule["b"]["new_pairs"] == 2
    assert by_rule["b"]["pairs"] == 3


def test_one_side_rule_pairs_a_dateless_record_with_its_block_but_not_dated_records_together() -> None:
    # One name in one county: four records with a birth date, one without. The rule exists for the
    # dateless record; pairs among the dated ones belong to the date rules and are not formed here.
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3, 4],
            "name_county": ["张伟|220102"] * 5,
            "dob": ["20150315", "20150315", "20160101", "20170202", None],
        }
    )
    rule = BlockingRule("name_county", "r.name_county", one_side="r.dob IS NULL")
    pairs, _ = _candidates(df, [rule], cap=50)
    assert pairs == {(0, 4), (1, 4), (2, 4), (3, 4)}


def test_one_side_deletion_rule_pairs_only_values_with_a_probe_side() -> None:
    # Three numbers one substitution apart from each other; only the middle one fails its check. Two
    # numbers that both pass are two people, so only pairs with the failing one are formed.
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2],
            "id": ["220102201503151234", "220102201503151235", "220102201503151236"],
            "valid": [True, False, True],
        }
    )
    rule = BlockingRule("near", "r.id", kind="deletion", one_side="NOT r.valid")
    pairs, _ = _candidates(df, [rule], cap=100)
    assert pairs == {(0, 1), (1, 2)}


def test_pairs_a_guard_keeps_apart_by_their_numbers_are_not_candidates() -> None:
    # Four namesakes born the same day: two with different valid numbers (two children whatever
    # they score), one with the first one's number, one with none. Only the first two's pair goes.
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3],
            "name_dob": ["王伟|20150315"] * 4,
            "valid_id": ["220102201503150011", "220102201503150038", "220102201503150011", None],
        }
    )
    rule = BlockingRule("name_dob", "r.name_dob")
    every, _ = _candidates(df, [rule], cap=50)
    kept, _ = _candidates(df, [rule], cap=50, apart_by=("valid_id",))
    assert every == {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)}
    assert kept == every - {(0, 1), (1, 2)}


def test_every_kind_of_rule_leaves_records_with_differing_values_unpaired() -> None:
    # Six records of one county (a block above the cap, sub-blocked by initials), with identity
    # numbers one typo apart in pairs, and birth-certificate numbers: records whose certificate
    # numbers differ are never paired, by a sub-blocked key rule, a list rule or a deletion rule.
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3, 4, 5],
            "county": ["220102"] * 6,
            "initials": ["wx", "wx", "wx", "lm", "lm", "lm"],
            "keys": [["a", "b"], ["b"], ["a"], ["c"], ["c", "a"], ["c"]],
            "id": [
                "220102201503151234",
                "220102201503151235",
                "x",
                "y",
                "220102201503159999",
                "220102201503159998",
            ],
            "cert": ["Q1", "Q2", None, "Q3", "Q3", "Q4"],
        }
    )
    rules = [
        BlockingRule("county", "r.county", sub_key="r.initials"),
        BlockingRule("keys", "r.keys", unnest=True),
        BlockingRule("near", "r.id", kind="deletion"),
    ]
    every, _ = _candidates(df, rules, cap=4)
    kept, report = _candidates(df, rules, cap=4, apart_by=("cert",))
    differing = {(0, 1), (3, 5), (4, 5), (0, 4)}
    assert differing <= every
    assert kept == every - differing
    assert {(0, 2), (1, 2), (3, 4)} <= kept
    # The deletion rule formed only "x" and "y" (one substitution apart, no certificate between
    # them): its two pairs with differing certificates were never formed.
    assert (2, 3) in kept
    assert report.filter(pl.col("rule") == "near")["pairs"].item() == 1


def test_one_side_rule_pairs_probes_with_each_other_once_and_with_every_other_record() -> None:
    # Two dateless records and three dated ones in one block, and a dateless record alone in another.
    df = pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3, 4, 5],
            "name_county": ["a", "a", "a", "a", "a", "b"],
            "dob": [None, "20150315", None, "20160101", "20170202", None],
        }
    )
    rule = BlockingRule("name_county", "r.name_county", one_side="r.dob IS NULL")
    pairs, report = _candidates(df, [rule], cap=50)
    assert pairs == {(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (2, 4)}
    assert report.row(0, named=True)["pairs"] == 7


def _names_and_dates() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": [0, 1, 2, 3, 4],
            "name": ["王浩宇", "王浩宇", "王浩雨", "王浩宇", None],
            "dob": ["20150315", "20150315", "20150315", "20150315", "20150315"],
            "initials": ["whY", "whY", "whY", "whY", "whY"],
        }
    )


def test_a_rule_leaves_the_pairs_sharing_another_rules_key_to_that_rule() -> None:
    name_dob = BlockingRule("name_dob", "r.name || '|' || r.dob")
    initials = BlockingRule("initials_dob", "r.initials || '|' || r.dob", found_by="name_dob")
    plain = BlockingRule("initials_dob", "r.initials || '|' || r.dob")
    pairs, report = _candidates(_names_and_dates(), [name_dob, initials], cap=50)
    alone, _ = _candidates(_names_and_dates(), [name_dob, plain], cap=50)
    # The same candidates as without found_by: every pair of the five records.
    assert pairs == alone == {(a, b) for a in range(5) for b in range(a + 1, 5)}
    by_rule = dict(zip(report["rule"], report["pairs"], strict=True))
    # The three 王浩宇 records' pairs are name_dob's; the initials rule forms only the other seven
    # (王浩雨, and the record with no name, whose name_dob key is null).
    assert by_rule == {"name_dob": 3, "initials_dob": 7}


def test_a_rule_forms_the_shared_pairs_itself_when_the_other_rule_skipped_their_block() -> None:
    initials = BlockingRule("initials_dob", "r.initials || '|' || r.dob", found_by="name_dob")
    # name_dob's block of three 王浩宇 records is over a cap of 2: skipped, so the initials rule
    # (blocks of 5, allowed up to 10) must form those pairs.
    small = BlockingRule("name_dob", "r.name || '|' || r.dob", max_block_size=2)
    pairs, report = _candidates(_names_and_dates(), [small, initials], cap=10)
    assert pairs == {(a, b) for a in range(5) for b in range(a + 1, 5)}
    assert "formed here too" in report.row(1, named=True)["warning"]


def test_found_by_must_name_an_earlier_plain_key_rule() -> None:
    listed = BlockingRule("names", "[r.name, r.initials]", unnest=True)
    for rules in (
        [BlockingRule("later", "r.dob", found_by="name_dob"), BlockingRule("name_dob", "r.name")],
        [listed, BlockingRule("b", "r.dob", found_by="names")],
        [BlockingRule("a", "r.name"), BlockingRule("b", "r.name", kind="deletion", found_by="a")],
    ):
        with pytest.raises(ValueError, match="found_by"):
            _candidates(_names_and_dates(), rules, cap=50)
