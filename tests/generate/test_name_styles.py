"""The generator's given-name styles: the small pools (many namesakes) and varied names (few)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from taizhang.generate import generate
from taizhang.generate import names as nm


def _namesake_share(full: pl.Series) -> float:
    """The share of pairs of people who have the same full name."""
    n = full.len()
    counts = full.value_counts()["count"].cast(pl.Float64)
    return float((counts * (counts - 1)).sum()) / (n * (n - 1))


@pytest.mark.parametrize("who", ["child", "adult"])
def test_varied_names_make_namesakes_rare_where_the_pools_make_them_common(who: str) -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    male = rng.random(n) < 0.52
    surnames = pl.Series(nm.draw_surnames(rng, n, np.zeros(n, dtype=bool)), dtype=pl.Utf8)
    share = {}
    for style in nm.NAME_STYLES:
        names = nm.GivenNames.of(style, 3, 1)
        given = names.child(rng, male) if who == "child" else names.adult(rng, male)
        share[style] = _namesake_share(surnames + pl.Series(given, dtype=pl.Utf8))
    assert share["pooled"] > 1 / 1_000
    assert share["varied"] < 1 / 20_000


def test_varied_given_names_are_one_or_two_common_characters() -> None:
    rng = np.random.default_rng(4)
    male = rng.random(20_000) < 0.5
    given = pl.Series(nm.GivenNames.of("varied", 4, 1).child(rng, male), dtype=pl.Utf8)
    assert set(given.str.len_chars().unique().to_list()) == {1, 2}
    chars = set("".join(given.to_list()))
    assert chars <= set(nm.BOY_CHARS) | set(nm.GIRL_CHARS)
    # the characters the typo tables know still occur, so the name noise still has work to do
    assert chars & set(nm.HOMOPHONES) and chars & set(nm.TRADITIONAL) and chars & set(nm.RARE_PINYIN)


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown name style"):
        nm.GivenNames.of("rare", 1, 1)  # type: ignore[arg-type]


def test_the_varied_style_changes_the_names_and_nothing_else(tmp_path) -> None:
    truth = {}
    for style in nm.NAME_STYLES:
        generate(tmp_path / style, children=1500, seed=4, periods=["2026H1"], names=style)
        folder = tmp_path / style / "truth" / "2026H1"
        truth[style] = (
            pl.read_parquet(folder / "children.parquet"),
            pl.read_parquet(folder / "records.parquet"),
        )
    (pooled_children, pooled_records), (varied_children, varied_records) = truth["pooled"], truth["varied"]
    # the same children, families, counties and records, row for row
    assert pooled_children.drop("name").equals(varied_children.drop("name"))
    assert pooled_records.equals(varied_records)
    # only the names differ, and far fewer children share one
    assert (pooled_children["name"] != varied_children["name"]).mean() > 0.9
    assert varied_children["name"].n_unique() > 0.95 * varied_children.height
    assert pooled_children["name"].n_unique() < 0.7 * pooled_children.height
