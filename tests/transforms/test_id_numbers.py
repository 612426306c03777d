"""Identity numbers: normalisation, Excel repairs, 15→18 upgrade, MOD 11-2 detection power."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.iso7064 import mod_11_2

from taizhang.parsers.id_numbers import upgrade_15, with_id_columns
from tests.support.ids import check_character

TODAY = date(2026, 6, 30)


def parse(values: list[str | None]) -> pl.DataFrame:
    return with_id_columns(pl.DataFrame({"raw": values}, schema={"raw": pl.Utf8}), "raw", today=TODAY)


@st.composite
def valid_numbers(draw) -> str:
    county = draw(st.sampled_from(["220102", "220381", "220172", "110105", "222401"]))
    born = draw(st.dates(min_value=date(1940, 1, 1), max_value=TODAY))
    seq = draw(st.integers(0, 999))
    body = f"{county}{born:%Y%m%d}{seq:03d}"
    return body + check_character(body)


def test_standard_example_is_valid_female_born_1949():
    row = parse(["11010519491231002X"]).row(0, named=True)
    assert row["id_status"] == "valid"
    assert row["id_birth_date"] == date(1949, 12, 31)
    assert row["id_sex"] == "女"
    assert row["id_county"] == "110105"


MANGLINGS = ("lower_x", "full_width", "inner_spaces", "ideographic_space", "apostrophe", "decimal")


def _mangle(number: str, how: str) -> str:
    full_width = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    return {
        "lower_x": number.lower(),
        "full_width": number.translate(full_width),
        "inner_spaces": f"{number[:6]} {number[6:14]} {number[14:]}",
        "ideographic_space": f" {number[:6]}\u3000{number[6:]} ",
        "apostrophe": "'" + number,
        "decimal": number + ".0" if number[-1] != "X" else number,
    }[how]


@settings(max_examples=60, deadline=None)
@given(
    number=valid_numbers(),
    how=st.sampled_from(MANGLINGS),
)
def test_valid_number_survives_every_digit_keeping_mangling(number, how):
    row = parse([_mangle(number, how)]).row(0, named=True)
    assert row["id_status"] == "valid"
    assert row["id_number"] == number


@settings(max_examples=40, deadline=None)
@given(number=valid_numbers(), pos=st.integers(0, 16), digit=st.integers(0, 9))
def test_every_single_digit_substitution_is_detected(number, pos, digit):
    if number[pos] == str(digit):
        return
    typo = number[:pos] + str(digit) + number[pos + 1 :]
    row = parse([typo]).row(0, named=True)
    # A substitution in the birth date may make it no real date: then malformed, never valid.
    assert row["id_status"] in ("bad_check", "malformed")
    if row["id_status"] == "bad_check":
        assert row["id_number"] == typo


@settings(max_examples=40, deadline=None)
@given(number=valid_numbers(), pos=st.integers(0, 16))
def test_every_adjacent_transposition_of_different_digits_is_detected(number, pos):
    chars = list(number)
    if chars[pos] == chars[pos + 1] or chars[pos + 1] == "X":
        return
    chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    assert parse(["".join(chars)])["id_status"][0] in ("bad_check", "malformed")


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17), last=st.sampled_from("0123456789X"))
def test_check_agrees_with_python_stdnum_mod_11_2(body, last):
    status = parse([body + last])["id_status"][0]
    if status in ("valid", "bad_check"):
        assert (status == "valid") == mod_11_2.is_valid(body + last)


def test_fifteen_digit_numbers_upgrade_to_eighteen():
    # 110105 491231 002 -> 110105 19 491231 002 + check (hand-computed: S = 2 -> 'X')
    assert upgrade_15("110105491231002") == "11010519491231002X"
    body = "22010219850615123"
    expected = body + check_character(body)
    row = parse(["220102850615123"]).row(0, named=True)
    assert row["id_number"] == expected
    assert row["id_status"] == "valid"
    assert row["id_repair"] == "upgraded_15"
    assert row["id_sex"] == "男"


def test_excel_scientific_numbers_are_lossy_but_keep_their_prefix():
    row = parse(["2.20102201503151E+17"]).row(0, named=True)
    assert row["id_status"] == "lossy"
    assert row["id_number"] is None
    assert row["id_prefix"] == "220102201503151"


def test_excel_scientific_with_every_digit_and_a_good_check_is_repaired():
    body = "22010220150315123"
    number = body + check_character(body)
    row = parse([f"{number[0]}.{number[1:]}E+17"]).row(0, named=True)
    assert (row["id_status"], row["id_number"], row["id_repair"]) == ("valid", number, "excel_scientific")


def test_bad_check_keeps_its_characters_and_derives_birth_date_and_sex():
    row = parse(["110105194912310021"]).row(0, named=True)
    assert row["id_status"] == "bad_check"
    assert row["id_number"] == "110105194912310021"
    assert row["id_birth_date"] == date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "malformed"),
        ("2201022015031512", "malformed"),  # 16 digits
        ("110105194902300028", "malformed"),  # 30 February
        ((TODAY + timedelta(days=1)).strftime("220102%Y%m%d0011"), "malformed"),  # born tomorrow
    ],
)
def test_unusable_numbers_get_a_status_and_no_number(raw, status):
    row = parse([raw]).row(0, named=True)
    assert row["id_status"] == status
    assert row["id_number"] is None


def test_address_codes_are_not_checked_against_a_code_list():
    # 扶余市 220781 did not exist in 2012 (late registration) and 220172 is a dev-zone statistics code.
    for body in ("22078120120101001", "22017220150101002", "99999920150101003"):
        number = body + check_character(body)
        assert parse([number])["id_status"][0] == "valid"
