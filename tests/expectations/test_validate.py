"""Validation names exactly the bad rows, by file and row number, and never keeps values."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from expectations.check_columns import date_columns, division_columns, id_columns, month_columns

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
        ("residence_permits_长春.csv", 7): {"residence_code": "长春市幸福街道", "guardian1_relation": "叔叔"},
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
    for value in ("王小明", "22010220150315", "13800138000", "长春市幸福街道", "未说明"):
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
    table = id_columns(pl.Series(raw), TODAY)
    ok = pl.DataFrame({"raw": raw}).join(table, on="raw", how="left", maintain_order="left")["id_check_ok"]
    assert ok.to_list() == [True] * 4 + [False] * 4 + [True, True]


def _read(table: pl.DataFrame, raw: list[str | None], column: str) -> list:
    """``column`` of a per-distinct-value table, in the order of ``raw``."""
    cells = pl.DataFrame({"raw": raw}, schema={"raw": pl.Utf8})
    return cells.join(table, on="raw", how="left", nulls_equal=True, maintain_order="left")[column].to_list()


def test_light_normalisation_of_identity_numbers(ids):
    valid_id, _ = ids
    number = valid_id("22010220150315123")
    raw = [
        "".join(chr(ord(d) + 0xFEE0) for d in number),  # full-width digits
        f"{number[0]}.{number[1:]}E+17",  # Excel scientific notation that kept every digit
        number + ".0",
        " ".join((number[:4], number[4:8], number[8:12], number[12:16], number[16:])),
    ]
    assert _read(id_columns(pl.Series(raw), TODAY), raw, "id") == [number] * 4


def test_identity_numbers_whose_digits_are_gone_fail_the_shape_check(ids):
    """Excel's 15 significant digits lose the tail: the number is unusable, not one typo away."""
    valid_id, _ = ids
    number = valid_id("22010220150315123")
    raw = [f"{number[0]}.{number[1:15]}E+17", number[:15] + "000.0", "22010220151345123X", "220102150315123"]
    table = id_columns(pl.Series(raw), TODAY)
    assert _read(table, raw, "id")[:3] == ["", "", ""]
    assert _read(table, raw, "id_check_ok") == [None, None, None, None]  # 15 digits: no check digit
    assert len(_read(table, raw, "id")[3]) == 18


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
    raw += ["2015-02-30", "15/3/2015", "明年", "2027-01-01"]
    table = date_columns(pl.Series(raw), TODAY)
    assert _read(table, raw, "date_ok") == [True] * 7 + [False] * 3 + [True]
    assert _read(table, raw, "date_not_future") == [True] * 7 + [None] * 3 + [False]
    months = ["2021-09", "202109", "2021年9月", "2021-13"]
    assert _read(month_columns(pl.Series(months)), months, "month_ok") == [True] * 3 + [False]


def test_division_codes_and_names_resolve_to_counties():
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
    table = division_columns(pl.Series(raw))
    assert _read(table, raw, "county") == ["220102"] * 6 + ["410105", None]
    junk = ["长春市幸福街道", "999999", "不详"]
    assert _read(division_columns(pl.Series(junk)), junk, "county") == ["", "", ""]


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


def test_a_county_outside_jilin_is_read_and_only_the_in_jilin_check_flags_it(contracts, make_staged):
    """The report reads a division as the pipeline does; "in Jilin" is one more rule on the county read."""
    rows = [
        {
            "file": "residence_permits_长春.csv",
            "row_number": 1,
            "residence_code": "220102",
            "hukou_code": "220102",
        },
        {
            "file": "residence_permits_长春.csv",
            "row_number": 2,
            "residence_code": "河南省郑州市金水区",
            "hukou_code": "河南省郑州市金水区",
        },
        {
            "file": "residence_permits_长春.csv",
            "row_number": 3,
            "residence_code": "不详",
            "hukou_code": "不详",
        },
    ]
    from expectations.validate import validate_source

    result = validate_source(
        contracts["residence_permits"], make_staged(contracts["residence_permits"], rows), today=TODAY
    )
    failures = _failures(result)
    assert failures["residence_code.division_in_jilin"] == [("residence_permits_长春.csv", 2)]
    assert failures["residence_code.division_resolves"] == [("residence_permits_长春.csv", 3)]
    # The hukou is where a migrant child comes from: outside Jilin is no finding, unreadable is.
    assert failures["hukou_code.division_resolves"] == [("residence_permits_长春.csv", 3)]
    assert "hukou_code.division_in_jilin" not in failures


@pytest.mark.parametrize("columns", ["all", "row_ids_only"])
def test_a_source_with_no_rows_reads_as_gx_reads_an_empty_frame(contracts, make_staged, columns):
    """A source missing from a liaison's folder (or with no row left) is answered without GX, and
    the answer is GX's own for every check of every source: met, nothing counted, no row to fix."""
    import expectations.validate as validate
    from expectations.suites import build_suite

    for contract in contracts.values():
        empty = make_staged(contract, [])
        if columns == "row_ids_only":
            empty = empty.select("source", "file", "row_number")
        checks = {c.helper + "|" + c.code: c for c in validate.checks_for(contract)}
        by_gx = validate._outcomes(contract, empty, checks, TODAY)
        answered = validate.validate_source(contract, empty, today=TODAY)

        def seen(outcomes: list) -> list[tuple]:
            return sorted(
                (
                    o.check.key,
                    o.expectation_type,
                    o.success,
                    o.element_count,
                    o.missing_count,
                    o.unexpected_count,
                    o.unexpected_percent,
                    o.rows.height,
                )
                for o in outcomes
            )

        assert seen(list(answered.outcomes)) == seen(by_gx), contract.source
        assert answered.row_count == 0 and len(answered.outcomes) == len(build_suite(contract).expectations)
