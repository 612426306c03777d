"""The name-relatedness rule: one definition (a DuckDB macro) for the rename veto and clustering."""

from __future__ import annotations

import duckdb
import polars as pl

from matchers.configs.children import VETOES
from matchers.name_relatedness import define_name_macros, typo_pairs


def _typos(*pairs: tuple[str, str]) -> set[tuple[str, str]]:
    return typo_pairs(pl.DataFrame({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}))


def test_one_character_of_a_longer_given_name_is_a_typo() -> None:
    assert _typos(("浩宇", "浩然"), ("子涵", "梓涵")) == {("浩宇", "浩然"), ("子涵", "梓涵")}


def test_one_one_character_given_name_for_another_is_another_name() -> None:
    assert _typos(("宇", "伟")) == set()


def test_names_two_edits_apart_are_not_related() -> None:
    assert _typos(("浩宇", "子涵"), ("欣怡", "雨萱")) == set()


def test_the_rename_veto_reads_the_same_rule() -> None:
    # Same surname, same parents, sex and birth date: only the given names differ. A one-character
    # given name replaced by another is vetoed (another name); a typo in a longer one is not.
    con = duckdb.connect()
    define_name_macros(con)
    (veto,) = VETOES

    def vetoed(left: tuple[str, str], right: tuple[str, str]) -> bool:
        q = (
            "SELECT coalesce((" + veto.condition + "), FALSE) FROM"
            " (SELECT $n1 AS name, $g1 AS given_name, $p1 AS name_pinyin, $v1 AS name_variant_key,"
            "  FALSE AS name_placeholder, NULL::VARCHAR AS id_any, NULL::VARCHAR AS birth_cert_no,"
            "  'insurance' AS source, TRUE AS name_in_later_records, NULL::VARCHAR AS valid_id,"
            "  []::VARCHAR[] AS guardian_ids, []::VARCHAR[] AS guardian_phones) AS l,"
            " (SELECT $n2 AS name, $g2 AS given_name, $p2 AS name_pinyin, $v2 AS name_variant_key,"
            "  FALSE AS name_placeholder, NULL::VARCHAR AS id_any, NULL::VARCHAR AS birth_cert_no,"
            "  'insurance' AS source, TRUE AS name_in_later_records, NULL::VARCHAR AS valid_id,"
            "  []::VARCHAR[] AS guardian_ids, []::VARCHAR[] AS guardian_phones) AS r"
        )
        params = {
            "n1": "张" + left[0],
            "g1": left[0],
            "p1": left[1],
            "v1": left[0],
            "n2": "张" + right[0],
            "g2": right[0],
            "p2": right[1],
            "v2": right[0],
        }
        return bool(con.sql(q, params=params).fetchall()[0][0])

    assert vetoed(("宇", "yu"), ("伟", "wei"))
    assert not vetoed(("浩宇", "haoyu"), ("浩然", "haoran"))
    assert vetoed(("浩宇", "haoyu"), ("子涵", "zihan"))
    assert _typos(("宇", "伟"), ("浩宇", "浩然"), ("浩宇", "子涵")) == {("浩宇", "浩然")}
