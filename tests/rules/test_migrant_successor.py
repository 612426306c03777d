from datetime import date

import polars as pl

from taizhang.rules.migrant import migrant_decisions


def _profile(hukou: str, residence: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "child_id": ["C1"],
            "age": [9],
            "hukou_county": [hukou],
            "residence_county": [residence],
            "residence_since": [date(2020, 1, 1)],
            "residence_tier": [0],
            "hukou_basis": ["records"],
            "in_child_health": [False],
        }
    )


def test_retired_code_of_the_same_county_is_not_a_move():
    # 公主岭市 moved from 四平 (220381) to 长春 (220184) in 2020: same place, no migration.
    decided = migrant_decisions(_profile("220381", "220184"), date(2026, 6, 30))
    assert decided["migrant_check"].to_list() == ["same_county"]


def test_retired_code_of_another_county_still_counts_as_a_move():
    # 扶余县 220724 is today's 扶余市 220781, not 南关区.
    decided = migrant_decisions(_profile("220724", "220102"), date(2026, 6, 30))
    assert decided["is_migrant"].to_list() == [True]
