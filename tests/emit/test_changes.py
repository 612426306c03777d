"""The change list between two half-years, on the hand-made fixture of conftest.py."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from taizhang.emit.changes import change_list


def _changes(fx) -> pl.DataFrame:
    return change_list(
        fx.ledger_frame(fx.current_ledger_rows()),
        fx.ledger_frame(fx.previous_ledger_rows()),
        fx.CURRENT.as_of,
    )


def test_every_kind_of_change_is_classified_exactly(fx):
    changes = _changes(fx)
    got = dict(zip(changes["child_id"], changes["change"], strict=True))
    assert got == {
        "CA": "continuing",
        "CB": "status_changed",
        "CC": "left",
        "CD": "turned_16",
        "CE": "continuing",
        "CF": "new",
        "CG": "new",
        "CH": "new",
        "CI": "new",
    }
    labels = dict(zip(changes["child_id"], changes["change_label"], strict=True))
    assert [labels[c] for c in ("CA", "CB", "CC", "CD", "CF")] == [
        "持续",
        "状态变化",
        "离开",
        "满16周岁",
        "新增",
    ]


def test_status_change_names_the_flag_that_changed(fx):
    cb = _changes(fx).filter(pl.col("child_id") == "CB").row(0, named=True)
    assert cb["changed_flags"] == ["suspected_unsupported"]
    assert cb["change_detail"] == "疑似事实无人抚养：否→是"
    assert cb["previous_suspected_unsupported"] is False and cb["suspected_unsupported"] is True


def test_departed_children_are_listed_under_their_last_county(fx):
    rows = _changes(fx).filter(pl.col("change").is_in(["left", "turned_16"]))
    assert dict(zip(rows["child_id"], rows["residence_county"], strict=True)) == {
        "CC": "220102",
        "CD": "220103",
    }


def test_move_between_counties_is_marked(fx):
    changes = _changes(fx)
    moved = changes.filter(pl.col("moved_county"))["child_id"].to_list()
    assert moved == ["CE"]
    ce = changes.filter(pl.col("child_id") == "CE").row(0, named=True)
    assert (ce["previous_residence_county"], ce["residence_county"]) == ("220102", "220103")


def test_sixteenth_birthday_on_the_as_of_date_counts_as_turned_16(fx):
    prev = fx.ledger_frame(fx.previous_ledger_rows()[:1]).with_columns(
        pl.Series("child_id", ["X"]), pl.Series("birth_date", [date(2010, 6, 30)])
    )
    day_after = prev.with_columns(pl.Series("child_id", ["Y"]), pl.Series("birth_date", [date(2010, 7, 1)]))
    unknown = prev.with_columns(pl.Series("child_id", ["Z"]), pl.Series("birth_date", [None], dtype=pl.Date))
    current = fx.ledger_frame([])
    changes = change_list(current, pl.concat([prev, day_after, unknown]), date(2026, 6, 30))
    assert dict(zip(changes["child_id"], changes["change"], strict=True)) == {
        "X": "turned_16",
        "Y": "left",
        "Z": "left",
    }


def test_without_previous_ledger_every_child_is_new(fx):
    changes = change_list(fx.ledger_frame(fx.current_ledger_rows()), None, fx.CURRENT.as_of)
    assert changes["change"].unique().to_list() == ["new"]
    assert changes.height == len(fx.current_ledger_rows())


def test_ledger_parquet_carries_the_change_of_each_current_child(two_periods):
    out, report = two_periods
    counts = {k: v for k, v in report.items() if k.startswith("change_")}
    assert counts == {
        "change_new": 4,
        "change_continuing": 2,
        "change_status_changed": 1,
        "change_left": 1,
        "change_turned_16": 1,
    }
    ledger = pl.read_parquet(out / "ledger.parquet")
    assert dict(zip(ledger["child_id"], ledger["change"], strict=True)) == {
        "CA": "continuing",
        "CB": "status_changed",
        "CE": "continuing",
        "CF": "new",
        "CG": "new",
        "CH": "new",
        "CI": "new",
    }
    required = [
        "child_id", "name", "sex", "birth_date", "id_number", "hukou_county", "residence_county",
        "suspected_orphan", "suspected_unsupported", "care_level", "change",
    ]  # fmt: skip
    assert ledger.columns[: len(required)] == required
    changes = pl.read_parquet(out / "changes.parquet")
    assert sorted(changes["change"].unique()) == ["continuing", "left", "new", "status_changed", "turned_16"]


def test_previous_folder_without_ledger_is_an_error_not_an_all_new_run(tmp_path, fx):
    from taizhang.emit import emit_period

    with pytest.raises(FileNotFoundError):
        emit_period(
            fx.decisions_for(fx.current_ledger_rows()), tmp_path / "out", fx.CURRENT, tmp_path / "nope"
        )


def test_a_child_split_last_half_year_and_merged_now_is_continuing_not_left(fx):
    # Last half-year the child had two ids (linkage split it); now one, and "S" was merged into "K".
    prev_k = fx.ledger_frame(fx.previous_ledger_rows()[:1]).with_columns(
        pl.Series("child_id", ["K"]), pl.Series("birth_date", [date(2015, 3, 1)])
    )
    prev_s = prev_k.with_columns(pl.Series("child_id", ["S"]))
    current = prev_k.clone()
    merged = pl.DataFrame({"previous_child_id": ["S"], "child_id": ["K"]})

    without = change_list(current, pl.concat([prev_k, prev_s]), date(2026, 6, 30))
    assert dict(zip(without["child_id"], without["change"], strict=True)) == {"K": "continuing", "S": "left"}

    changes = change_list(current, pl.concat([prev_k, prev_s]), date(2026, 6, 30), merged)
    assert changes.select("child_id", "change").rows() == [("K", "continuing")]
    assert changes["change_detail"].to_list() == ["上期编号S已合并"]


def test_a_merged_id_whose_child_is_gone_now_is_one_departure(fx):
    prev_s = fx.ledger_frame(fx.previous_ledger_rows()[:1]).with_columns(
        pl.Series("child_id", ["S"]), pl.Series("birth_date", [date(2015, 3, 1)])
    )
    merged = pl.DataFrame({"previous_child_id": ["S"], "child_id": ["K"]})
    changes = change_list(fx.ledger_frame([]), prev_s, date(2026, 6, 30), merged)
    assert changes.select("child_id", "change").rows() == [("K", "left")]
