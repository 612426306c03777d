"""The liaison's report and the pipeline read a cell with the same parser, so they cannot disagree."""

from datetime import date

import polars as pl
import pytest

from data_contracts import load_contracts
from expectations.check_columns import clean, helper_frame, id_columns, phone_helper
from expectations.checks import MOBILE_REGEX
from expectations.failing_rows import fails
from expectations.suites import checks_for
from taizhang.parsers.dates import date_table
from taizhang.parsers.divisions import COUNTY_RESOLUTIONS, resolve_divisions
from taizhang.parsers.id_numbers import id_table
from taizhang.parsers.phones import parse_phone
from tests.support.ids import bad_check, with_check

TODAY = date(2026, 6, 30)

CELLS = [
    "138-0013-8000",
    "138.0013.8000",
    "138·0013·8000",
    "138/0013/8000",
    "+86 138 0013 8000",
    "008613800138000",
    "(138)00138000",
    "13800138000.0",
    "１３８００１３８０００",
    "12012345678",
    "0431-8888",
    "88888888",
    "-",
]


def test_a_phone_the_report_accepts_is_the_phone_the_pipeline_keeps() -> None:
    frame = pl.DataFrame({"raw": CELLS}).with_columns(
        reported_ok=phone_helper(clean(pl.col("raw"))).str.contains(MOBILE_REGEX),
        kept=parse_phone(pl.col("raw")),
    )
    assert frame["reported_ok"].fill_null(True).to_list() == frame["kept"].is_not_null().to_list()
    # Dots, middle dots and slashes are separators to both (they were not to the report before).
    assert frame.filter(pl.col("raw") == "138.0013.8000")["reported_ok"].item() is True
    assert frame.filter(pl.col("raw") == "12012345678")["reported_ok"].item() is False


def test_the_report_checks_the_check_digit_the_pipeline_computes() -> None:
    numbers = ["11010519491231002X", "110105194912310021", "220102201503151231", "220102201503151230"]
    table = id_table(pl.Series(numbers)).select("raw", valid=pl.col("status") == "valid")
    reported = id_columns(pl.Series(numbers), TODAY).select("raw", ok="id_check_ok")
    both = table.join(reported, on="raw")
    assert both.height == len(numbers)
    assert both["valid"].to_list() == both["ok"].to_list()
    assert both["valid"].sum() == 2


_ID = with_check("22010220150315123")
DATES = [
    "2015-03-15",
    "2015/3/15",
    "2015.03.15",
    "20150315",
    "2015年3月15日",
    "2015年3月15",
    "42078",
    "42078.0",
    "2015-03-15 00:00:00",
    "2015-03-15T08:30",
    "２０１５－０３－１５",
    "2015-02-30",
    "2015-13-01",
    "15/3/2015",
    "1899-12-31",
    "2031-01-01",
    "2015年3-15",
    "明年",
    "-",
]
IDS = [
    _ID,
    _ID.lower(),
    "'" + _ID,
    " ".join((_ID[:6], _ID[6:14], _ID[14:])),
    _ID + ".0",
    _ID[:15] + "000.0",
    f"{_ID[0]}.{_ID[1:]}E+17",
    f"{_ID[0]}.{_ID[1:15]}E+17",
    bad_check("22010220150315123"),
    "220102150315123",
    "220102150315123.0",
    "22010220151345123X",
    "22010220310101123X",
    _ID[:16],
    "无",
]
COUNTIES = [
    "220102",
    "220102001",
    "220102001002",
    "220102.0",
    "220181",
    "南关区",
    "长春市南关区",
    "吉林省长春市南关区",
    "朝阳区",
    "河南省郑州市金水区",
    "吉林省长春市南关区幸福街道12号",
    "长春市",
    "吉林省",
    "999999",
    "22010",
    "不详",
]


@pytest.fixture(scope="module")
def reported() -> pl.DataFrame:
    """The liaison report's verdict on every cell: one staged residence-permit row per cell."""
    contract = load_contracts()["residence_permits"]
    n = max(len(DATES), len(IDS), len(COUNTIES))

    def column(values: list[str]) -> list[str | None]:
        return values + [None] * (n - len(values))

    staged = pl.DataFrame(
        {
            "file": ["residence_permits_长春.csv"] * n,
            "row_number": list(range(1, n + 1)),
            "birth_date": column(DATES),
            "id_number": column(IDS),
            "residence_code": column(COUNTIES),
            "hukou_code": column(COUNTIES),
        }
    )
    checks = {c.key: c for c in checks_for(contract)}
    wanted = [
        "birth_date.date_parse",
        "birth_date.date_not_future",
        "id_number.id_shape",
        "id_number.id_check_digit",
        "residence_code.division_resolves",
        "residence_code.division_in_jilin",
        "hukou_code.division_resolves",
    ]
    frame = helper_frame(contract, staged, [checks[k] for k in wanted], TODAY)
    verdicts = frame.select(*(fails(checks[k]).alias(k) for k in wanted), "residence_code__county")
    return pl.concat(
        [staged.select("birth_date", "id_number", "residence_code", "hukou_code"), verdicts], how="horizontal"
    )


def _by_cell(reported: pl.DataFrame, column: str, cells: list[str], table: pl.DataFrame) -> pl.DataFrame:
    """The report's verdicts on ``cells`` beside the pipeline's reading (``table``, keyed by ``raw``)."""
    return (
        reported.head(len(cells))
        .join(table, left_on=column, right_on="raw", how="left", maintain_order="left")
        .with_columns(cell=pl.Series(cells))
    )


def test_a_date_the_report_accepts_is_the_date_the_pipeline_reads(reported) -> None:
    pipeline = date_table(pl.Series(DATES), TODAY)
    both = _by_cell(reported, "birth_date", DATES, pipeline)
    # Accepted as a date exactly where standardization keeps a date (a future one is kept by the
    # reader and reported by its own check).
    read = both["issue"].is_null() | (both["issue"] == "future")
    assert (~both["birth_date.date_parse"]).to_list() == read.to_list()
    assert (
        both["birth_date.date_not_future"].to_list() == (both["issue"] == "future").fill_null(False).to_list()
    )
    accepted = both.filter(~pl.col("birth_date.date_parse"))["cell"].to_list()
    assert accepted[:11] == DATES[:11]  # every written form of 15 March 2015
    assert "2031-01-01" in accepted and "1899-12-31" not in accepted and "明年" not in accepted


def test_an_identity_number_the_report_accepts_is_one_the_pipeline_can_use(reported) -> None:
    pipeline = id_table(pl.Series(IDS), TODAY).select("raw", "status", "repair")
    both = _by_cell(reported, "id_number", IDS, pipeline)
    usable = both["status"].is_in(["valid", "bad_check"])
    assert (~both["id_number.id_shape"]).to_list() == usable.to_list()
    # The check digit is flagged exactly where the pipeline reads a number one typo from the truth.
    assert both["id_number.id_check_digit"].to_list() == (both["status"] == "bad_check").to_list()
    by_cell = dict(zip(both["cell"], both["status"], strict=True))
    # Excel kept 15 significant digits: the number is gone, for the report as for the pipeline.
    assert by_cell[f"{_ID[0]}.{_ID[1:15]}E+17"] == "lossy"
    assert by_cell[_ID[:15] + "000.0"] == "lossy"
    assert by_cell["220102150315123"] == "valid"  # legacy 15 digits, upgraded


def test_a_division_the_report_reads_is_the_county_the_pipeline_reads(reported) -> None:
    pipeline = resolve_divisions(pl.Series(COUNTIES)).select(
        "raw", pl.when(pl.col("resolution").is_in(COUNTY_RESOLUTIONS)).then(pl.col("county")).alias("county")
    )
    both = _by_cell(reported, "residence_code", COUNTIES, pipeline)
    assert both["residence_code__county"].to_list() == both["county"].fill_null("").to_list()
    assert (~both["residence_code.division_resolves"]).to_list() == both["county"].is_not_null().to_list()
    assert (
        both["hukou_code.division_resolves"].to_list() == both["residence_code.division_resolves"].to_list()
    )
    # "In Jilin" is one rule on top of the county read: a county elsewhere is read, then flagged.
    outside = both.filter(pl.col("residence_code.division_in_jilin"))["cell"].to_list()
    # A retired Jilin code (九台市) is read as the pipeline reads it; the in-Jilin list is today's counties.
    assert outside == ["220181", "河南省郑州市金水区"]
    assert both.filter(pl.col("cell") == "长春市南关区")["county"].item() == "220102"
