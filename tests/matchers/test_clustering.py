"""Clustering guards: anchors never merge, cannot-link pairs never merge, weak chains are split."""

from __future__ import annotations

import numpy as np
import polars as pl

from matchers.clustering import ClusterReport, cluster_pairs, component_frame


def _pairs(rows: list[tuple[int, int, float, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "l": [r[0] for r in rows],
            "r": [r[1] for r in rows],
            "match_probability": [r[2] for r in rows],
            "match_weight": [float(np.log2(r[2] / (1 - r[2]))) for r in rows],
            "cannot_link": [r[3] for r in rows],
        }
    )


def _clusters(result: pl.DataFrame) -> dict[int, int]:
    return dict(result.select("record_id", "cluster_id").iter_rows())


def test_two_valid_ids_chained_by_an_id_less_record_end_in_two_clusters() -> None:
    # 0 and 2 hold different valid ids; 1 has no id and links to both, more strongly to 2.
    anchors = pl.DataFrame({"record_id": [0, 2], "anchor": ["ID-A", "ID-B"]})
    pairs = _pairs([(0, 1, 0.95, False), (1, 2, 0.999, False), (0, 2, 0.99, True)])
    result, report = cluster_pairs(np.arange(3), anchors, pairs, 0.9, (0.99,), 10)
    c = _clusters(result)
    assert c[0] != c[2]
    assert c[1] == c[2]  # the id-less record follows its strongest link
    assert report.conflict_components == 1


def test_cannot_link_pair_is_kept_apart_even_through_a_third_record() -> None:
    # Twins 0 and 1 (cannot link); record 2 resembles both.
    anchors = pl.DataFrame(schema={"record_id": pl.Int64, "anchor": pl.Utf8})
    pairs = _pairs([(0, 1, 0.97, True), (0, 2, 0.98, False), (1, 2, 0.95, False), (1, 3, 0.99, False)])
    result, _ = cluster_pairs(np.arange(4), anchors, pairs, 0.9, (0.99,), 10)
    c = _clusters(result)
    assert c[0] != c[1]
    assert c[0] == c[2]
    assert c[1] == c[3]


def test_component_too_large_is_split_at_a_stricter_threshold() -> None:
    # Two tight groups of 3 joined by one weak link: 6 records > max 4.
    anchors = pl.DataFrame(schema={"record_id": pl.Int64, "anchor": pl.Utf8})
    tight = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)]
    pairs = _pairs([(a, b, 0.9999, False) for a, b in tight] + [(2, 3, 0.92, False)])
    result, report = cluster_pairs(np.arange(6), anchors, pairs, 0.9, (0.99, 0.999), 4)
    c = _clusters(result)
    assert len(set(c.values())) == 2
    assert c[0] == c[1] == c[2] and c[3] == c[4] == c[5]
    assert report.oversized_components == 1 and report.oversized_remaining == 0


def test_cluster_ids_do_not_depend_on_pair_order() -> None:
    anchors = pl.DataFrame(schema={"record_id": pl.Int64, "anchor": pl.Utf8})
    rows = [(0, 1, 0.99, False), (2, 3, 0.99, False), (1, 4, 0.95, False)]
    a, _ = cluster_pairs(np.arange(5), anchors, _pairs(rows), 0.9, (), 10)
    b, _ = cluster_pairs(np.arange(5), anchors, _pairs(rows[::-1]), 0.9, (), 10)
    assert a.equals(b)


def _weighted(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    """Accepted pairs given by match weight (bits)."""
    return pl.DataFrame(
        {
            "l": [r[0] for r in rows],
            "r": [r[1] for r in rows],
            "match_probability": [1 / (1 + 2 ** -r[2]) for r in rows],
            "match_weight": [float(r[2]) for r in rows],
            "cannot_link": [False] * len(rows),
        }
    )


# Two children with different valid ids (0 and 2); record 1, without one, fits both almost equally.
_TWO_ANCHORS = pl.DataFrame({"record_id": [0, 2], "anchor": ["ID-A", "ID-B"]})


def test_a_record_linked_almost_as_strongly_to_another_cluster_ends_on_its_own() -> None:
    pairs = _weighted([(0, 1, 10.0), (1, 2, 9.0)])
    result, report = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, ambiguity_margin=4.0)
    c = _clusters(result)
    assert c[1] != c[0] and c[1] != c[2] and c[0] != c[2]
    assert report.conflict_components == 1
    assert report.ambiguous_records_detached >= 1


def test_margin_zero_keeps_the_stronger_link() -> None:
    pairs = _weighted([(0, 1, 10.0), (1, 2, 9.0)])
    result, report = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, ambiguity_margin=0.0)
    c = _clusters(result)
    assert c[1] == c[0] != c[2]
    assert report.ambiguous_records_detached == 0
    default, _ = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10)
    assert default.equals(result)


def test_a_record_clearly_closer_to_one_cluster_stays_there() -> None:
    # 10 bits into its own cluster, 4 to the other: 6 bits apart, beyond a margin of 4.
    pairs = _weighted([(0, 1, 10.0), (1, 2, 4.0)])
    result, _ = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, ambiguity_margin=4.0)
    c = _clusters(result)
    assert c[1] == c[0] != c[2]


def test_an_ambiguous_record_with_the_smallest_id_is_left_on_its_own_too() -> None:
    # The same situation with the id-less record numbered first: 0 fits 1 (10 bits) and 2 (9 bits).
    anchors = pl.DataFrame({"record_id": [1, 2], "anchor": ["ID-A", "ID-B"]})
    pairs = _weighted([(0, 1, 10.0), (0, 2, 9.0)])
    result, _ = cluster_pairs(np.arange(3), anchors, pairs, 0.9, (0.99,), 10, ambiguity_margin=4.0)
    c = _clusters(result)
    assert c[0] != c[1] and c[0] != c[2]


def test_the_report_counts_only_records_actually_detached() -> None:
    pairs = _weighted([(0, 1, 10.0), (1, 2, 9.0)])
    _, report = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, ambiguity_margin=4.0)
    assert report.ambiguous_records_detached == 1  # record 1; record 2 was on its own already
    far = _weighted([(0, 1, 10.0), (1, 2, 4.0)])
    _, report = cluster_pairs(np.arange(3), _TWO_ANCHORS, far, 0.9, (0.99,), 10, ambiguity_margin=4.0)
    assert report.ambiguous_records_detached == 0


def _floaters(rows: list[tuple[int, bool, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"record_id": [r[0] for r in rows], "floater": [r[1] for r in rows], "key": [r[2] for r in rows]}
    )


# Two children: A = {0 杨小宝 health, 1 birth certificate}, B = {2 杨梓轩 permit with the phone,
# 3 杨梓轩 health}; 0 and 3 cannot link (one department, both children). Record 4 is a vaccination
# record known only as 杨小宝, linked to both: most strongly to B's phone.
_TWIN_PAIRS = [
    (0, 1, 0.9999, False),
    (2, 3, 0.9999, False),
    (0, 3, 0.999, True),
    (1, 2, 0.95, False),
    (4, 2, 0.99999, False),
    (4, 0, 0.998, False),
]
_NO_ANCHORS = pl.DataFrame(schema={"record_id": pl.Int64, "anchor": pl.Utf8})


def test_placeholder_record_of_twins_stands_alone_whatever_its_strongest_link() -> None:
    # Both children were born the same day: twins, and the placeholder fits either.
    keys = _floaters(
        [(0, False, "20250301"), (2, False, "20250301"), (3, False, "20250301"), (4, True, "20250301")]
    )
    result, _ = cluster_pairs(np.arange(5), _NO_ANCHORS, _pairs(_TWIN_PAIRS), 0.9, (0.99,), 10, floaters=keys)
    c = _clusters(result)
    assert c[4] == 4 and c[4] not in (c[0], c[2])
    assert c[0] == c[1] and c[2] == c[3] and c[0] != c[2]
    # Without floaters the strongest link (the phone) decides.
    plain, _ = cluster_pairs(np.arange(5), _NO_ANCHORS, _pairs(_TWIN_PAIRS), 0.9, (0.99,), 10)
    assert _clusters(plain)[4] == _clusters(plain)[2]


def test_placeholder_record_joins_the_one_child_born_on_its_birth_date() -> None:
    # Siblings born on different days: the placeholder joins A, born that day, not B's phone.
    keys = _floaters(
        [(0, False, "20250301"), (2, False, "20230715"), (3, False, "20230715"), (4, True, "20250301")]
    )
    result, _ = cluster_pairs(np.arange(5), _NO_ANCHORS, _pairs(_TWIN_PAIRS), 0.9, (0.99,), 10, floaters=keys)
    c = _clusters(result)
    assert c[4] == c[0] == c[1] != c[2]


def test_placeholder_record_joins_the_only_cluster_it_links_to() -> None:
    # Nobody in the component has its birth date; it is linked to B alone.
    pairs = [*_TWIN_PAIRS[:4], (4, 2, 0.99999, False)]
    keys = _floaters([(4, True, "20250302")])
    result, _ = cluster_pairs(np.arange(5), _NO_ANCHORS, _pairs(pairs), 0.9, (0.99,), 10, floaters=keys)
    c = _clusters(result)
    assert c[4] == c[2] == c[3]


def _names(rows: dict[int, tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_id": list(rows),
            "label": [v[0] for v in rows.values()],
            "sound": [v[1] for v in rows.values()],
        }
    )


def test_a_record_joins_the_twin_of_its_own_name_before_a_twin_one_character_away() -> None:
    # Twins 浩然 (0) and 浩宇 (2) hold their own ids; 浩宇's birth certificate (1) is tied more
    # strongly to 浩然 by the family than to 浩宇 by the name.
    pairs = _weighted([(0, 1, 15.0), (1, 2, 10.0)])
    names = _names({0: ("浩然", "haoran"), 1: ("浩宇", "haoyu"), 2: ("浩宇", "haoyu")})
    result, _ = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, names=names)
    c = _clusters(result)
    assert c[1] == c[2] != c[0]


def test_a_name_with_a_typo_still_joins_its_child_inside_a_conflict() -> None:
    # 浩杰 (1) is one character from 浩然 (0) and unrelated to 子涵 (2): it joins 浩然 although its
    # family link to 子涵 is stronger.
    pairs = _weighted([(0, 1, 8.0), (1, 2, 12.0)])
    names = _names({0: ("浩然", "haoran"), 1: ("浩杰", "haojie"), 2: ("子涵", "zihan")})
    result, _ = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, names=names)
    c = _clusters(result)
    assert c[1] == c[0] != c[2]


def test_one_one_character_given_name_for_another_is_no_typo_inside_a_conflict() -> None:
    # 伟 (1) is tied to 宇 (0) by the family; 宇 and 伟 are two names, not one typed twice.
    pairs = _weighted([(0, 1, 15.0), (1, 2, 5.0)])
    names = _names({0: ("宇", "yu"), 1: ("伟", "wei"), 2: ("子涵", "zihan")})
    result, _ = cluster_pairs(np.arange(3), _TWO_ANCHORS, pairs, 0.9, (0.99,), 10, names=names)
    c = _clusters(result)
    assert len({c[0], c[1], c[2]}) == 3


def _born(day: str, floating: int, *others: int) -> pl.DataFrame:
    """Floater keys: every record born ``day``, ``floating`` the one that floats."""
    return _floaters([(i, i == floating, day) for i in sorted({floating, *others})])


_TWINS_DAY = "20260310"


def _with_sibling_elsewhere(
    pairs: pl.DataFrame, floating: int, sibling: tuple[int, int]
) -> tuple[dict[int, int], ClusterReport]:
    """Records 0-3 born on one day, ``floating`` a floater, ``sibling`` a pair kept apart."""
    floaters = _born(_TWINS_DAY, floating, 0, 1, 2, 3)
    siblings = pl.DataFrame({"l": [sibling[0]], "r": [sibling[1]], "key": [_TWINS_DAY]})
    result, report = cluster_pairs(
        np.arange(4), _NO_ANCHORS, pairs, 0.9, (0.99,), 10, floaters=floaters, sibling_pairs=siblings
    )
    return _clusters(result), report


def test_a_placeholder_record_leaves_a_twin_whose_sibling_sits_in_another_cluster() -> None:
    # 0 and 1 are one twin's records, 3 the other twin's; the two twins' records (0, 3) score as one
    # child but a guard keeps them apart. 2 (李娜之女, no number) is linked to twin 0 only by birth
    # date and county: it could be either twin's and stands alone.
    pairs = _weighted([(0, 1, 20.0), (0, 2, 8.0)])
    c, report = _with_sibling_elsewhere(pairs, 2, (0, 3))
    assert c[0] == c[1] and len({c[0], c[2], c[3]}) == 3
    assert c[2] == 2  # a cluster is still numbered by its smallest record
    assert report.floaters_detached == 1
    # Without a sibling born that day it stays with the only child it can be.
    floaters = _born(_TWINS_DAY, 2, 0, 1, 3)
    alone, _ = cluster_pairs(np.arange(4), _NO_ANCHORS, pairs, 0.9, (0.99,), 10, floaters=floaters)
    assert _clusters(alone)[2] == _clusters(alone)[0]


def test_a_floater_that_numbers_its_cluster_leaves_it_and_the_rest_are_renumbered() -> None:
    # The floater is record 0, the smallest of its cluster {0, 1, 2}.
    pairs = _weighted([(0, 1, 8.0), (1, 2, 20.0)])
    c, _ = _with_sibling_elsewhere(pairs, 0, (1, 3))
    assert c == {0: 0, 1: 1, 2: 1, 3: 3}


def test_components_are_the_same_whether_record_ids_are_dense_or_sparse() -> None:
    # Three components {a, b, c}, {d}, {e, f} over ids numbered densely and spread far apart.
    for ids in ([1, 2, 3, 4, 5, 6], [10, 2_000, 30_000, 400_000, 5_000_000, 60_000_000]):
        a, b, c, d, e, f = ids
        accepted = pl.DataFrame({"l": [b, a, e], "r": [c, b, f]})
        components = component_frame(np.array([f, e, d, c, b, a]), accepted)
        assert components.sort("record_id")["component"].to_list() == [a, a, a, d, e, e]
