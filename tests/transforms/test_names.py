"""Names: cleaning, traditional → simplified, pinyin keys, surname split, placeholders, variant key."""

from __future__ import annotations

import polars as pl
import pytest
from pypinyin import Style, lazy_pinyin

from taizhang.parsers.names import SURNAME_PINYIN, standardize_names


def std(raw: str | None) -> dict:
    table = standardize_names(pl.Series([raw], dtype=pl.Utf8))
    return table.row(0, named=True)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("张 伟", "张伟"),
        ("张\u3000伟", "张伟"),
        (" 张伟 ", "张伟"),
        ("張偉", "张伟"),
        ("劉德華", "刘德华"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提‧艾力", "买买提·艾力"),
        ("买买提∙艾力", "买买提·艾力"),
        ("买买提･艾力", "买买提·艾力"),
        ("买买提·艾力", "买买提·艾力"),
    ],
)
def test_names_are_cleaned_simplified_and_dotted(raw, name):
    assert std(raw)["name"] == name


@pytest.mark.parametrize(
    ("raw", "pinyin", "initials"),
    [
        ("单田芳", "shantianfang", "stf"),
        ("曾小明", "zengxiaoming", "zxm"),
        ("解晓东", "xiexiaodong", "xxd"),
        ("仇英", "qiuying", "qy"),
        ("区家明", "oujiaming", "ojm"),
        ("朴正熙", "piaozhengxi", "pzx"),
        ("查良镛", "zhaliangyong", "zly"),
        ("覃小红", "qinxiaohong", "qxh"),
        ("长孙无忌", "changsunwuji", "cswj"),
        ("张伟", "zhangwei", "zw"),
        ("吕丽", "lvli", "ll"),
    ],
)
def test_surname_readings_are_fixed(raw, pinyin, initials):
    row = std(raw)
    assert (row["pinyin"], row["initials"]) == (pinyin, initials)


def test_override_table_only_holds_readings_pypinyin_gets_wrong():
    single = {k: v for k, v in SURNAME_PINYIN.items() if len(k) == 1}
    wrong = {k for k, v in single.items() if lazy_pinyin(k, style=Style.NORMAL)[0] != v}
    assert wrong == set(single)


def test_pinyin_in_place_of_a_rare_character_gives_the_same_key():
    assert std("张yan")["pinyin"] == std("张燕")["pinyin"] == "zhangyan"
    assert std("张YAN")["pinyin"] == "zhangyan"


@pytest.mark.parametrize(
    ("raw", "surname", "given"),
    [
        ("欧阳修", "欧阳", "修"),
        ("司马光", "司马", "光"),
        ("诸葛亮", "诸葛", "亮"),
        ("上官婉儿", "上官", "婉儿"),
        ("皇甫嵩", "皇甫", "嵩"),
        ("尉迟恭", "尉迟", "恭"),
        ("慕容复", "慕容", "复"),
        ("东方明", "东方", "明"),
        ("令狐冲", "令狐", "冲"),
        ("宇文泰", "宇文", "泰"),
        ("欧阳", "欧", "阳"),  # two characters: a surname and a given name
        ("张伟", "张", "伟"),
        ("买买提·艾力", None, "买买提·艾力"),
    ],
)
def test_compound_surnames_are_split(raw, surname, given):
    row = std(raw)
    assert (row["surname"], row["given_name"]) == (surname, given)


@pytest.mark.parametrize(
    ("raw", "placeholder"),
    [
        ("李娜之子", True),
        ("李娜之女", True),
        ("张小宝", True),
        ("宝宝", True),
        ("婴儿", True),
        ("王某", True),
        ("王某某", True),
        ("", True),
        (None, True),
        ("???", True),
        ("张伟", False),
        ("李宝林", False),
        ("ZhangSan", False),
    ],
)
def test_placeholders_are_marked(raw, placeholder):
    assert std(raw)["placeholder"] is placeholder


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("候宝林", "侯宝林"),
        ("粱启超", "梁启超"),
        ("萧峰", "肖峰"),
        ("阎明", "闫明"),
        ("傅明", "付明"),
        ("越语嫣", "赵语嫣"),
        ("載明", "戴明"),
    ],
)
def test_register_variants_share_a_variant_key_but_keep_their_name(a, b):
    ra, rb = std(a), std(b)
    assert ra["variant_key"] == rb["variant_key"]
    assert ra["name"] != rb["name"]


def test_distinct_values_keep_nulls_and_order_independent_results():
    s = pl.Series(["張偉", None, "张伟", "張偉"])
    table = standardize_names(s)
    assert table.height == 3
    assert set(table.filter(pl.col("raw").is_not_null())["name"]) == {"张伟"}
