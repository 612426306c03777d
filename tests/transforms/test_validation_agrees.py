"""The liaison's report and the pipeline read a cell with the same parser, so they cannot disagree."""

import polars as pl

from expectations.checks import MOBILE_REGEX
from expectations.check_columns import clean, id_check_ok, phone_helper
from taizhang.parsers.id_numbers import id_table
from taizhang.parsers.phones import parse_phone

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
    reported = pl.DataFrame({"raw": numbers}).select("raw", ok=id_check_ok(pl.col("raw")))
    both = table.join(reported, on="raw")
    assert both.height == len(numbers)
    assert both["valid"].to_list() == both["ok"].to_list()
    assert both["valid"].sum() == 2
