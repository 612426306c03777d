"""Child ids for clusters that hold the same evidence: distinct, deterministic, stable across half-years.

At province scale many children share every anchor they have (namesakes born the same day with no
number on any record: a common name, a placeholder such as 张小宝). Their clusters used to get the
same id seed, and re-seeding gave them the same suffix again, so a 300,000-child run died with
"child ids could not be made unique".
"""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from matchers.stable_ids import Anchor, assign_child_ids, cluster_anchors

NAME_DOB = "namedob-same"  # one name + birth date anchor key shared by every namesake below


def _namesakes(rows: range) -> pl.DataFrame:
    """Cluster anchors, made as a run makes them, for one-record clusters of namesakes born the same day.

    Every record holds one real anchor (name + birth date, a weak one), the same for all.
    """
    records = pl.DataFrame(
        {
            "record_id": list(rows),
            "source": "child_health",
            "file": "child_health.csv",
            "row_number": list(rows),
            "name_dob": NAME_DOB,
        }
    )
    clusters = records.select("record_id", pl.col("record_id").alias("cluster_id"))
    with duckdb.connect() as con:
        con.register("records", records)
        return cluster_anchors(
            con,
            "records",
            (Anchor("name_dob", "r.name_dob", 10.0),),
            "test",
            "r.source || '|' || r.file || '|' || CAST(r.row_number AS VARCHAR)",
            clusters,
        )


def _assign(anchors: pl.DataFrame, previous: pl.DataFrame | None = None):
    clusters = anchors["cluster_id"].unique().sort()
    with duckdb.connect() as con:
        cluster_child, registry, events = assign_child_ids(
            con, anchors, clusters, previous, "test", strong_claim=20.0
        )
    # As the engine does: row keys never go into the registry carried to the next half-year.
    return cluster_child, registry.filter(pl.col("anchor_type") != "fallback"), events


def test_namesakes_with_equal_evidence_get_distinct_ids_and_the_same_ids_on_a_rerun() -> None:
    anchors = _namesakes(range(12))  # more than the old five re-seeding rounds could separate
    first, _, events = _assign(anchors)
    assert first.height == 12
    assert first["child_id"].n_unique() == 12
    assert events.filter(pl.col("event") == "new").height == 12
    again, _, _ = _assign(anchors)
    assert again.equals(first)


def test_namesakes_keep_their_ids_next_half_year_and_newcomers_get_fresh_distinct_ids() -> None:
    first, registry, _ = _assign(_namesakes(range(12)))
    # Next half-year: the same twelve children (their rows have moved) and twelve more namesakes.
    later = _namesakes(range(100, 124))
    second, _, events = _assign(later, previous=registry)
    assert second["child_id"].n_unique() == 24
    # Every id of last half-year is kept, none is given twice, and only the newcomers are new.
    assert set(first["child_id"]) <= set(second["child_id"])
    # The newcomers claimed an id by name and birth date and lost it: each gets a fresh one.
    assert events.filter(pl.col("event").is_in(["new", "conflict_lost"])).height == 12
    # A rerun of that half-year gives the same ids to the same clusters.
    rerun, _, _ = _assign(later, previous=registry)
    assert rerun.equals(second)


def test_a_fresh_id_already_held_by_a_previous_child_probes_on_to_a_free_one() -> None:
    # A previous child whose id is exactly what the newcomer's seed hashes to, without any anchor in
    # common (so no claim): the newcomer must not take it.
    newcomer = _namesakes(range(1))
    first, _, _ = _assign(newcomer)
    squatter = pl.DataFrame(
        {
            "child_id": [first["child_id"][0]],
            "anchor_type": ["insurance_no"],
            "anchor_key": ["x"],
            "weight": [40.0],
        }
    )
    second, _, events = _assign(newcomer, previous=squatter)
    assert second["child_id"][0] != first["child_id"][0]
    assert events.filter(pl.col("event") == "new").height == 1


def test_a_broken_invariant_is_reported_without_data_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from matchers import stable_ids

    # A scheme whose every probe lands on a taken id: the run must stop with a plain message.
    monkeypatch.setattr(stable_ids, "MAX_PROBES", 0)
    with pytest.raises(stable_ids.IdSchemeError) as raised:
        _assign(_namesakes(range(3)))
    assert "child_health" not in str(raised.value) and "name" not in str(raised.value)


def test_clusters_drawing_the_same_fresh_id_settle_by_seed_and_rerun_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matchers import stable_ids

    # Ids of one hex character: twelve clusters draw 16 possible ids, so several draw one id in the
    # same round, which a 60-bit id makes too rare to meet otherwise.
    coarse = (
        "SELECT cluster_id, seed,"
        " $prefix || substr(sha256($namespace || '|child|' || seed), 1, 1) AS child_id FROM {seeds}"
    )
    real_render = stable_ids.render_sql

    def render(name: str, **identifiers: str) -> str:
        if name == "link_new_child_ids":
            return coarse.format(**identifiers)
        return real_render(name, **identifiers)

    monkeypatch.setattr(stable_ids, "render_sql", render)
    anchors = _namesakes(range(12))
    first, _, _ = _assign(anchors)
    assert first["child_id"].n_unique() == 12
    assert _assign(anchors)[0].equals(first)
    # Of the clusters whose first draw was the same id, the one with the smallest seed holds it.
    seeds = stable_ids._seeds(anchors, pl.DataFrame({"cluster_id": anchors["cluster_id"].unique().sort()}))
    with duckdb.connect() as con:
        con.register("lk_seeds", seeds)
        drawn = con.sql(coarse.format(seeds="lk_seeds"), params={"namespace": "test", "prefix": "C"}).pl()
    collided = drawn.filter(pl.col("child_id").is_duplicated())
    assert collided.height >= 2
    holders = collided.sort("seed", "cluster_id").group_by("child_id", maintain_order=True).first()
    kept = holders.join(first, on="cluster_id", suffix="_kept")
    assert (kept["child_id"] == kept["child_id_kept"]).all()
    others = collided.join(holders.select("cluster_id"), on="cluster_id", how="anti")
    assert not others.join(first, on=["cluster_id", "child_id"]).height


def test_a_seed_is_the_clusters_sorted_keys_whatever_order_they_come_in() -> None:
    from matchers.stable_ids import _seeds

    rows = [  # cluster, anchor type, key; cluster 1 lists k1 twice
        (2, "name_dob", "n"),
        (1, "insurance_no", "k2"),
        (1, "fallback", "r9"),
        (2, "fallback", "r5"),
        (1, "name_dob", "k1"),
        (3, "fallback", "r7"),
        (3, "fallback", "r3"),
        (1, "name_dob", "k1"),
    ]
    anchors = pl.DataFrame(rows, schema=["cluster_id", "anchor_type", "anchor_key"], orient="row")
    clusters = pl.DataFrame({"cluster_id": [1, 2, 3, 4]})
    seeds = dict(_seeds(anchors, clusters).iter_rows())
    # Real keys sorted and once each; no real key: every row key; nothing at all: the cluster number.
    assert seeds == {1: "k1,k2", 2: "n", 3: "r3,r7", 4: "cluster-4"}
    shuffled = anchors.sample(fraction=1.0, shuffle=True, seed=7)
    assert dict(_seeds(shuffled, clusters).iter_rows()) == seeds


def test_row_keys_are_hashed_only_for_clusters_whose_seed_needs_them() -> None:
    # Clusters 1 and 2: namesakes with the same anchor; 3: an anchor of its own; 4: no anchor at all.
    records = pl.DataFrame(
        {
            "record_id": [1, 2, 3, 4, 5, 6],
            "cluster_id": [1, 1, 2, 3, 4, 4],
            "name_dob": ["same", "same", "same", "own", None, None],
            "row": ["a", "b", "c", "d", "e", "f"],
        }
    )
    with duckdb.connect() as con:
        con.register("records", records)
        anchors = cluster_anchors(
            con, "records", (Anchor("name_dob", "r.name_dob", 10.0),), "test", "r.row", records
        )
        hashed = dict(
            con.sql("SELECT row, left(sha256('test|fallback|' || row), 32) FROM records").fetchall()
        )
    row_keys = anchors.filter(pl.col("anchor_type") == "fallback")
    by_cluster = {c: sorted(g["anchor_key"]) for (c,), g in row_keys.group_by("cluster_id")}
    assert by_cluster == {
        1: [min(hashed["a"], hashed["b"])],  # the tie-breaker with cluster 2
        2: [hashed["c"]],
        4: sorted([hashed["e"], hashed["f"]]),  # seeded by its rows
    }
    # And the seeds the ids are made from are distinct.
    _, _, events = _assign(anchors)
    assert events.filter(pl.col("event") == "new").height == 4
