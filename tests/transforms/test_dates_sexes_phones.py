"""Dates, months, sexes and phones in every form docs/extracts.md lists."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from taizhang.parsers.dates import date_table, month_table
from taizhang.parsers.phones import parse_phone
from taizhang.parsers.sexes import parse_sex, sex_conflict

TODAY = date(2026, 6, 30)


def one_date(raw: str | None) -> dict:
    return date_table(pl.Series([raw], dtype=pl.Utf8), TODAY).row(0, named=True)


@pytest.mark.parametrize(
    "raw",
    [
        "2015-03-15",
        "2015/3/15",
        "20150315",
        "2015.03.15",
        "2015年3月15日",
        "42078",
        "42078.0",
        "2015-03-15 00:00:00",
    ],
)
def test_every_listed_date_form_parses(raw):
    row = one_date(raw)
    assert (row["date"], row["issue"]) == (date(2015, 3, 15), None)


@pytest.mark.parametrize(
    ("raw", "issue"),
    [
        ("2015-02-30", "impossible_date"),
        ("2015-13-01", "impossible_date"),
        ("不详", "unparseable"),
        ("2027-01-01", "future"),
        ("1850-01-01", "before_1900"),
        (None, None),
        ("", None),
    ],
)
def test_impossible_dates_are_null_with_a_reason(raw, issue):
    row = one_date(raw)
    assert row["date"] is None
    assert row["issue"] == issue


def test_day_month_swap_is_offered_only_when_plausible():
    assert one_date("2015-03-05")["alt"] == date(2015, 5, 3)
    assert one_date("2015-03-15")["alt"] is None  # day 15 cannot be a month
    assert one_date("2015-03-03")["alt"] is None  # the swap is the same date


@pytest.mark.parametrize("raw", ["2021-09", "202109", "2021/9", "2021年9月", "2021.09", "2021-09-01"])
def test_enrolment_months(raw):
    assert month_table(pl.Series([raw]))["month"][0] == date(2021, 9, 1)


@pytest.mark.parametrize(
    ("raw", "sex"),
    [
        ("男", "男"),
        ("女", "女"),
        ("1", "男"),
        ("2", "女"),
        ("M", "男"),
        ("f", "女"),
        ("m", "男"),
        ("", None),
        (None, None),
        ("0", None),
    ],
)
def test_sexes(raw, sex):
    assert pl.select(parse_sex(pl.lit(raw, pl.Utf8))).item() == sex


def test_sex_conflict_is_recorded_only_when_both_are_known():
    df = pl.DataFrame({"sex": ["男", "男", None], "id_sex": ["女", "男", "女"]})
    assert df.select(sex_conflict(pl.col("sex"), pl.col("id_sex")))["sex"].to_list() == [True, False, False]


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("+86 138-1234-5678", "13812345678"),
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("８６１３８１２３４５６７８", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("13812345678.0", "13812345678"),
        ("0431-88881234", None),
        ("1381234567", None),
        ("12812345678", None),
        (None, None),
    ],
)
def test_phones(raw, phone):
    assert pl.select(parse_phone(pl.lit(raw, pl.Utf8))).item() == phone
