"""Divisions: codes of 6, 9 and 12 digits, names with or without prefecture and province, addresses."""

from __future__ import annotations

import polars as pl
import pytest

from taizhang.division_reference import jilin_code_history
from taizhang.parsers.divisions import resolve_divisions, with_division_columns


def resolve(raw: str | None) -> dict:
    return resolve_divisions(pl.Series([raw], dtype=pl.Utf8)).row(0, named=True)


@pytest.mark.parametrize(
    ("raw", "county", "province", "resolution"),
    [
        ("220102", "220102", "22", "code"),
        ("220102001", "220102", "22", "code"),
        ("220102001001", "220102", "22", "code"),
        ("220102.0", "220102", "22", "code"),
        ("220172", "220172", "22", "code"),  # 净月 dev zone (statistics code)
        ("220381", "220381", "22", "code_history"),  # 公主岭 under 四平 before 2020
        ("110105", "110105", "11", "code"),
        ("南关区", "220102", "22", "name"),
        ("长春市南关区", "220102", "22", "name"),
        ("吉林省长春市南关区", "220102", "22", "name"),
        ("吉林省长春市南关区自由大路123号", "220102", "22", "address"),
        ("朝阳区", "220104", "22", "name"),  # ambiguous: Jilin by default
        ("长春市朝阳区红旗街5号", "220104", "22", "address"),
        ("北京市朝阳区", "110105", "11", "name"),
        ("北京朝阳区建国路1号", "110105", "11", "address"),
        ("吉林省吉林市船营区", "220204", "22", "name"),
        ("延边州延吉市", "222401", "22", "name"),
        ("四平市公主岭市", "220381", "22", "name"),
        ("浙江省杭州市西湖区文三路", "330106", "33", "address"),
    ],
)
def test_counties_resolve(raw, county, province, resolution):
    row = resolve(raw)
    assert (row["county"], row["province"], row["resolution"]) == (county, province, resolution)


@pytest.mark.parametrize(
    ("raw", "prefecture", "province", "resolution"),
    [
        ("220100", "220100", "22", "prefecture_only"),
        ("辽宁省朝阳市", "211300", "21", "prefecture_only"),
        ("220000", None, "22", "province_only"),
        ("河北省", None, "13", "province_only"),
        ("火星基地", None, None, "unresolved"),
        ("990000", None, None, "unresolved"),
        ("", None, None, "empty"),
        (None, None, None, "empty"),
    ],
)
def test_partial_and_unresolvable_values_have_no_county(raw, prefecture, province, resolution):
    row = resolve(raw)
    assert (row["county"], row["prefecture"], row["province"], row["resolution"]) == (
        None,
        prefecture,
        province,
        resolution,
    )


def test_every_historic_jilin_code_maps_to_itself():
    codes = jilin_code_history().filter(~pl.col("code").str.ends_with("00"))["code"].unique()
    table = resolve_divisions(codes)
    assert table["county"].to_list() == table["raw"].to_list()


def test_first_resolvable_column_wins():
    df = pl.DataFrame(
        {
            "code": [None, "990000", "220102"],
            "address": ["北京市朝阳区建国路", "吉林省四平市铁西区", "北京市朝阳区"],
        }
    )
    out = with_division_columns(df, ["code", "address"], "hukou")
    assert out["hukou_county"].to_list() == ["110105", "220302", "220102"]
    assert out["hukou_raw"].to_list() == ["北京市朝阳区建国路", "吉林省四平市铁西区", "220102"]
