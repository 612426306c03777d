"""The operator's linkage review page: nearest pairs and vetoed pairs, waterfalls, masked names only."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from taizhang.emit.linkage_review import NEAREST, review_page, threshold_weight

EXPLAIN = "name:{n} id:null(+0.0) dob:exact(+11.0) sex:exact(+1.0) residence:different(-3.5)"


@pytest.fixture
def inputs():
    n = 30
    records = pl.DataFrame(
        {
            "record_id": list(range(2 * n)),
            "source": ["insurance", "vaccination"] * n,
            "file": ["insurance.csv", "vaccination.xlsx"] * n,
            "row_number": list(range(1, 2 * n + 1)),
            "name": ["王小明", "王晓明"] * n,
            "birth_date": [date(2018, 5, 3)] * (2 * n),
            "residence_county": ["220102"] * (2 * n),
            "hukou_county": [None] * (2 * n),
        }
    )
    weights = [threshold_weight(0.9) + (k - n / 2) * 0.5 for k in range(n)]
    pairs = pl.DataFrame(
        {
            "l": [2 * k for k in range(n)],
            "r": [2 * k + 1 for k in range(n)],
            "cannot_link": [False] * n,
            "vetoed": [k == 0 for k in range(n)],
            "match_weight": weights,
            "match_probability": [2**w / (1 + 2**w) for w in weights],
            "tf_adjustment": [0.5] * n,
            "explanation": [EXPLAIN.format(n="homophone(+5.6)")] * n,
        }
    )
    vetoed = pl.DataFrame(
        {"l": [0], "r": [1], "match_weight": [weights[0]], "child_id_l": ["CA"], "child_id_r": ["CB"]}
    )
    return pairs, records, vetoed


def test_the_page_lists_pairs_nearest_the_threshold_and_the_vetoed_ones(inputs):
    pairs, records, vetoed = inputs
    text = review_page(pairs, records, vetoed, 0.9)
    assert text.count("<section class='pair'>") == NEAREST + 1
    assert "疑似改名或双胞胎" in text and "最接近阈值" in text
    # a waterfall per pair, with every comparison that moved the weight and the name-frequency step
    assert text.count("class='chart waterfall'") == NEAREST + 1
    for label in ("先验", "姓名：同音", "出生日期：相同", "居住地：不同", "名字频率调整", "合计"):
        assert label in text
    assert "身份证号：缺失" not in text  # a comparison with no weight is left out


def test_names_are_masked_and_the_rows_named(inputs):
    pairs, records, vetoed = inputs
    text = review_page(pairs, records, vetoed, 0.9)
    assert "王小明" not in text and "王晓明" not in text and "王**" in text
    assert "insurance.csv" in text and "城乡居民医保参保儿童" in text and "2018-05" in text
    assert "2018-05-03" not in text
