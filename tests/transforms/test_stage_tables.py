"""The stage's one-pass path (``standardized_tables``) gives exactly the tables of the three functions."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from taizhang.parsers.id_numbers import upgrade_15
from transforms.staged_rows import sorted_distinct_lists, stacked_child_rows
from transforms.standardize import (
    standardize_guardians,
    standardize_records,
    standardize_status,
    standardized_tables,
)

from .conftest import TODAY, staged_frame
from .test_standardize import staged


def _one_by_one(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    records = standardize_records(tables, TODAY)
    return {
        "std_records": records,
        "std_guardians": standardize_guardians(tables, records, TODAY),
        "std_status": standardize_status(tables, TODAY),
    }


def _assert_same(tables: dict[str, pl.DataFrame]) -> None:
    expected = _one_by_one(tables)
    got = dict(standardized_tables(dict(tables), TODAY))
    assert list(got) == ["std_records", "std_guardians", "std_status"]
    for name, frame in expected.items():
        assert_frame_equal(got[name], frame)


def test_the_stage_path_gives_the_tables_of_the_three_functions():
    _assert_same(staged())


def test_a_parent_named_on_two_sources_is_parsed_alike_in_both_tables():
    """The mother's number on a health row and a guardian's on a school row come from one shared table."""
    tables = staged()
    guardians = dict(standardized_tables(dict(tables), TODAY))["std_guardians"]
    mother = guardians.filter(pl.col("role") == "mother")
    assert mother["id_number"].to_list() == ["11010519491231002X"]
    assert mother["id_status"].to_list() == ["valid"]
    father = guardians.filter(pl.col("parent_role") == "father")
    # The legacy 15-digit number is upgraded, and the +86 phone cleaned, exactly as on std_records.
    assert father["id_number"].to_list() == [upgrade_15("110105491231002")]
    assert father["phone"].to_list() == ["13812345678"]


def test_only_some_sources_or_none_still_give_the_declared_tables():
    visits = staged_frame("field_visits", [{"name": "王五", "guardianship": "祖父母"}, {"name": " "}])
    _assert_same({"field_visits": visits})
    _assert_same({})


def test_rows_out_of_file_order_get_the_same_record_ids():
    rows = [{"name": f"孩子{i}", "id_number": None, "guardian1_name": "家长"} for i in range(5)]
    frame = staged_frame("school_enrollment", rows)
    shuffled = frame.sort("row_number", descending=True)
    in_order = stacked_child_rows({"school_enrollment": frame})
    assert_frame_equal(stacked_child_rows({"school_enrollment": shuffled}), in_order)
    _assert_same({"school_enrollment": shuffled})


def test_sorted_distinct_lists_matches_the_list_expression():
    a = pl.Series(["b", None, "x", None, "a"])
    b = pl.Series(["a", None, "x", "c", None])
    c = pl.Series(["b", "d", None, None, None])
    got = sorted_distinct_lists([a, b, c])
    expected = (
        pl.DataFrame({"a": a, "b": b, "c": c})
        .select(pl.concat_list("a", "b", "c").list.drop_nulls().list.unique().list.sort())
        .to_series()
    )
    assert got.to_list() == expected.to_list() == [["a", "b"], ["d"], ["x"], ["c"], ["a"]]
    assert got.dtype == pl.List(pl.Utf8)
    assert sorted_distinct_lists([pl.Series([None, None], dtype=pl.Utf8)]).to_list() == [[], []]


def test_a_guardian_is_named_by_some_text_in_the_name_or_the_id():
    rows = [
        {"name": "甲", "guardian1_name": "\u3000", "guardian1_id": "110105194912310021"},  # blank name, an id
        {"name": "乙", "guardian1_name": " ", "guardian1_id": " "},  # nothing there: no guardian
        {"name": "丙", "guardian1_name": "王芳", "guardian2_name": "\u3000", "guardian2_id": None},
        # A full-width legacy number and no name.
        {"name": "丁", "guardian1_name": None, "guardian1_id": "１１０１０５４９１２３１００２"},
    ]
    tables = {"school_enrollment": staged_frame("school_enrollment", rows)}
    guardians = dict(standardized_tables(dict(tables), TODAY))["std_guardians"]
    named = guardians.select("record_id", "role").rows()
    assert named == [(1, "guardian1"), (3, "guardian1"), (4, "guardian1")]
    assert guardians["name"].to_list() == [None, "王芳", None]
    assert guardians["id_number"].to_list()[0] == "110105194912310021"
    assert guardians["id_number"].to_list()[2] == upgrade_15("110105491231002")
    _assert_same(tables)
