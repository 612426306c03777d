from datetime import date

import pytest

from taizhang.period import Period


def test_as_of_dates_are_half_year_ends():
    assert Period.parse("2026H1").as_of == date(2026, 6, 30)
    assert Period.parse("2026h2").as_of == date(2026, 12, 31)


def test_previous_and_next_cross_years():
    assert str(Period.parse("2026H1").previous()) == "2025H2"
    assert str(Period.parse("2026H2").next()) == "2027H1"


@pytest.mark.parametrize("bad", ["2026", "2026H3", "H1", "26H1"])
def test_malformed_period_is_rejected(bad):
    with pytest.raises(ValueError, match="2026H1"):
        Period.parse(bad)


def test_the_latest_ended_half_years_never_include_the_running_one():
    from datetime import date

    from taizhang.period import latest_ended

    assert [str(p) for p in latest_ended(2, date(2026, 12, 5))] == ["2025H2", "2026H1"]
    assert [str(p) for p in latest_ended(2, date(2027, 1, 5))] == ["2026H1", "2026H2"]
    assert [str(p) for p in latest_ended(1, date(2026, 7, 1))] == ["2026H1"]


def test_a_period_is_parsed_once_at_the_edge_and_passed_on_as_it_is():
    from taizhang.errors import PipelineError

    parsed = Period.of(" 2026h2 ")
    assert parsed == Period(2026, 2)
    assert Period.of(parsed) is parsed
    with pytest.raises(PipelineError) as err:
        Period.of("2026H3")
    assert err.value.code == "bad_period"
    assert "2026H1" in err.value.zh and "2026H1" in err.value.en
