"""Validation names exactly the bad rows, by file and row number, and never keeps values."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from expectations.helpers import id_check_ok, normalise_id, parse_date, parse_month, resolve_county

TODAY = date(2026, 6, 30)


@pytest.fixture(scope="module")
def permits(contracts, make_staged, ids):
    valid_id, bad_check_id = ids
    good = {
        "name": "王小明",
        "sex": "男",
        "birth_date": "2015-03-15",
        "id_number": valid_id("22010220150315123"),
        "residence_code": "220102",
        "hukou_code": "410105",
        "guardian1_phone": "138-0013-8000",
        "guardian1_relation": "父亲",
    }
    rows = [{"file": "residence_permits_长春.csv", "row_number": n, **good} for n in range(1, 9)]
    rows += [{"file": "residence_permits_吉林.csv", "row_number": n, **good} for n in range(1, 6)]
    bad = {
        ("residence_permits_长春.csv", 2): {"id_number": bad_check_id("22010220150315123")},
        ("residence_permits_长春.csv", 5): {"id_number": "22010220150315"},  # too short
        ("residence_permits_吉林.csv", 3): {"birth_date": "2015-02-30", "sex": "未说明"},
        ("residence_permits_吉林.csv", 4): {"birth_date": "2031-01-01", "guardian1_phone": "0431-8888"},
        ("residence_permits_长春.csv", 7): {"residence_code": "郑州市金水区", "guardian1_relation": "叔叔"},
        ("residence_permits_长春.csv", 8): {"residence_code": "110101", "id_number": None},
    }
    for row in rows:
        row.update(bad.get((row["file"], row["row_number"]), {}))
    from expectations.validate import validate_source

    return validate_source(
        contracts["residence_permits"], make_staged(contracts["residence_permits"], rows), today=TODAY
    )


def _failures(validation) -> dict[str, list[tuple[str, int]]]:
    return {o.check.key: o.row_list for o in validation.outcomes if o.unexpected_count}


def test_failures_name_exactly_the_bad_rows(permits):
    assert _failures(permits) == {
        "sex.sex_encoding": [("residence_permits_吉林.csv", 3)],
        "birth_date.date_parse": [("residence_permits_吉林.csv", 3)],
        "birth_date.date_not_future": [("residence_permits_吉林.csv", 4)],
        "id_number.id_shape": [("residence_permits_长春.csv", 5)],
        "id_number.id_check_digit": [("residence_permits_长春.csv", 2)],
        "id_number.required_present": [("residence_permits_长春.csv", 8)],
        "residence_code.division_resolves": [("residence_permits_长春.csv", 7)],
        "residence_code.division_in_jilin": [("residence_permits_长春.csv", 8)],
        "guardian1_relation.allowed_value": [("residence_permits_长春.csv", 7)],
        "guardian1_phone.mobile": [("residence_permits_吉林.csv", 4)],
    }


def test_counts_and_rates_are_reported(permits):
    out = {o.check.key: o for o in permits.outcomes}
    check = out["id_number.id_check_digit"]
    # 13 rows, one empty, one too short: 11 eighteen-character numbers, one with a bad check digit.
    assert check.element_count == 13
    assert check.unexpected_count == 1
    assert check.unexpected_percent == pytest.approx(100 / 11)
    assert out["id_number.required_present"].unexpected_percent == pytest.approx(100 / 13)
    assert permits.row_count == 13
    assert not permits.success


def test_outcomes_hold_no_values(permits):
    dumped = repr(permits)
    for value in ("王小明", "22010220150315", "13800138000", "郑州市金水区", "未说明"):
        assert value not in dumped


def test_rows_to_fix_lists_every_failure_once_per_check(permits):
    table = permits.rows_to_fix()
    assert table.columns == [
        "file",
        "row_number",
        "sheet",
        "excel_row",
        "column",
        "header",
        "check",
        "finding",
    ]
    assert table.height == 10
    assert set(table.filter(pl.col("row_number") == 7)["header"]) == {"居住地区划代码", "与儿童关系"}


def test_check_digit_agrees_with_an_independent_computation(ids):
    valid_id, bad_check_id = ids
    bodies = ["11010519491231002", "22010220150315123", "22240320100101001", "22038119990909999"]
    raw = [valid_id(b) for b in bodies] + [bad_check_id(b) for b in bodies]
    raw += [" " + valid_id(bodies[0]).lower(), "'" + valid_id(bodies[1])]
    df = pl.DataFrame({"raw": raw}).with_columns(ok=id_check_ok(normalise_id(pl.col("raw"))))
    assert df["ok"].to_list() == [True] * 4 + [False] * 4 + [True, True]


def test_light_normalisation_of_identity_numbers():
    raw = [
        "２２０１０２２０１５０３１５１２３４",
        "2.20102201503151234E+17",
        "220102201503151234.0",
        "2201 0220 1503 1512 34",
    ]
    out = pl.DataFrame({"raw": raw}).select(normalise_id(pl.col("raw")))["raw"].to_list()
    assert out == ["220102201503151234"] * 4


def test_every_listed_date_format_parses():
    raw = [
        "2015-03-15",
        "2015/3/15",
        "20150315",
        "2015.03.15",
        "2015年3月15日",
        "42078",
        "2015-03-15 00:00:00",
    ]
    out = pl.DataFrame({"raw": raw}).select(parse_date(pl.col("raw")))["raw"].to_list()
    assert out == [date(2015, 3, 15)] * len(raw)
    bad = pl.DataFrame({"raw": ["2015-02-30", "15/3/2015", "明年"]}).select(parse_date(pl.col("raw")))
    assert bad["raw"].null_count() == 3
    months = pl.DataFrame({"raw": ["2021-09", "202109", "2021年9月", "2021-13"]}).select(
        parse_month(pl.col("raw"))
    )
    assert months["raw"].to_list() == [date(2021, 9, 1)] * 3 + [None]


def test_division_codes_and_jilin_names_resolve_to_counties():
    raw = [
        "220102",
        "220102001",
        "220102001002",
        "南关区",
        "长春市南关区",
        "吉林省长春市南关区",
        "河南省郑州市金水区",
        None,
    ]
    out = pl.DataFrame({"raw": raw}).select(resolve_county(pl.col("raw")))["raw"].to_list()
    assert out == ["220102"] * 6 + ["", None]


def test_gx_lists_the_rows_itself_where_polars_counts_differently(contracts, make_staged, ids, monkeypatch):
    """If polars ever reads a check differently from GX, the report keeps GX's rows and counts."""
    import expectations.validate as validate

    real = validate.failing_rows

    def skewed(helpers, checks):
        found = real(helpers, checks)
        # Pretend polars found no failing row for the check digit (GX finds one).
        _, rows = found["id_number.id_check_digit"]
        found["id_number.id_check_digit"] = (0, rows.clear())
        return found

    monkeypatch.setattr(validate, "failing_rows", skewed)
    valid_id, bad_check_id = ids
    rows = [
        {"file": "residence_permits_长春.csv", "row_number": n, "id_number": valid_id("22010220150315123")}
        for n in range(1, 6)
    ]
    rows[3]["id_number"] = bad_check_id("22010220150315123")
    result = validate.validate_source(
        contracts["residence_permits"], make_staged(contracts["residence_permits"], rows), today=TODAY
    )
    out = {o.check.key: o for o in result.outcomes}
    assert out["id_number.id_check_digit"].row_list == [("residence_permits_长春.csv", 4)]
    assert out["id_number.id_check_digit"].unexpected_count == 1
    # The checks polars and GX agree on keep polars' rows: every row lacks its residence code.
    listed = [("residence_permits_长春.csv", n) for n in range(1, 6)]
    assert [k for k, o in out.items() if o.row_list == listed] != []
    assert all(o.unexpected_count == len(o.row_list) for o in out.values())


def test_gx_lists_every_check_when_polars_cannot_test_the_helpers(contracts, make_staged, ids, monkeypatch):
    """A helper polars fails on never stops validation: GX then names the rows of every check."""
    import expectations.validate as validate

    valid_id, bad_check_id = ids
    rows = [
        {"file": "residence_permits_长春.csv", "row_number": n, "id_number": valid_id("22010220150315123")}
        for n in range(1, 6)
    ]
    rows[1]["id_number"] = bad_check_id("22010220150315123")
    staged = make_staged(contracts["residence_permits"], rows)
    expected = validate.validate_source(contracts["residence_permits"], staged, today=TODAY)

    def broken(helpers, checks):
        raise pl.exceptions.ComputeError("cannot test")

    monkeypatch.setattr(validate, "failing_rows", broken)
    result = validate.validate_source(contracts["residence_permits"], staged, today=TODAY)
    assert [(o.check.key, o.unexpected_count, o.row_list) for o in result.outcomes] == [
        (o.check.key, o.unexpected_count, o.row_list) for o in expected.outcomes
    ]
    assert ("residence_permits_长春.csv", 2) in {o.check.key: o for o in result.outcomes}[
        "id_number.id_check_digit"
    ].row_list
