"""The engine end to end on hand-made children: guards, determinism, stable ids, masking."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import polars as pl
import pytest

from matchers.configs import children
from matchers.engine import LinkResult, link
from tests.support.families import child, frame, population, with_check

TWIN_DOB = date(2016, 5, 20)
MOTHER = with_check("22010219880101234")


def _twins() -> list[dict[str, object]]:
    """Twins without identity numbers, on two sources each, sharing mother and birth date."""
    rows = []
    for name, pinyin in (("赵浩然", "zhao_hao_ran"), ("赵浩宇", "zhao_hao_yu")):
        for source in ("child_health", "birth_certificates"):
            rows.append(
                child(
                    name,
                    pinyin,
                    1,
                    TWIN_DOB,
                    "男",
                    None,
                    [MOTHER],
                    source=source,
                    mother_name="钱红梅",
                    mother_id=MOTHER,
                )
                | {"residence_county": "220104", "hukou_county": "220104"}
            )
    return rows


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return frame(population(150) + _twins())


@pytest.fixture(scope="module")
def result(records: pl.DataFrame) -> LinkResult:
    return link(records, children())


def _child_of(records: pl.DataFrame, result: LinkResult) -> pl.DataFrame:
    return records.join(result.record_child, on="record_id")


def test_each_child_gets_exactly_one_id(records: pl.DataFrame, result: LinkResult) -> None:
    linked = _child_of(records, result).filter(pl.col("source").is_in(["residence_permits", "vaccination"]))
    per_permit = linked.group_by(pl.col("permit_no").fill_null(pl.col("client_code").str.replace("V", "P")))
    assert per_permit.agg(pl.col("child_id").n_unique()).get_column("child_id").max() == 1
    assert linked["child_id"].n_unique() == 150


def test_twins_are_never_merged_but_each_twin_is_linked(records: pl.DataFrame, result: LinkResult) -> None:
    twins = _child_of(records, result).filter(pl.col("birth_date") == TWIN_DOB)
    by_name = twins.group_by("name").agg(pl.col("child_id").unique())
    assert by_name.height == 2
    ids = [row[0] for row in by_name["child_id"].to_list()]
    assert all(len(x) == 1 for x in by_name["child_id"].to_list())
    assert ids[0] != ids[1]


def test_child_ids_are_opaque_and_rerun_identical(records: pl.DataFrame, result: LinkResult) -> None:
    ids = result.record_child["child_id"]
    assert ids.str.contains(r"^C[0-9A-HJKMNP-TV-Z]{12}$").all()
    digits = set(records["id_number"].drop_nulls().to_list())
    assert not any(re.search(d[-6:], cid) for cid in ids.unique().to_list() for d in digits)
    again = link(records, children())
    assert again.record_child.equals(result.record_child)
    assert again.pairs.select("l", "r", "match_weight").equals(result.pairs.select("l", "r", "match_weight"))


def test_next_half_year_keeps_ids_through_the_registry(records: pl.DataFrame, result: LinkResult) -> None:
    # Next half-year: rows come in another order and some children are gone.
    later = (
        records.drop("record_id")
        .filter(pl.col("permit_no").is_null() | (pl.col("permit_no") != "P000007"))
        .reverse()
        .with_row_index("record_id")
        .with_columns(pl.col("record_id").cast(pl.Int64))
    )
    nxt = link(later, children(), previous_registry=result.registry)
    key = ["source", "permit_no", "client_code", "name", "birth_date"]
    before = records.join(result.record_child, on="record_id").select(*key, "child_id")
    after = later.join(nxt.record_child, on="record_id").select(*key, "child_id")
    both = before.join(after, on=key, nulls_equal=True)
    assert both.height == after.height
    assert (both["child_id"] == both["child_id_right"]).all()
    assert nxt.id_events.filter(pl.col("event") == "new").height == 0


def test_registry_never_holds_identity_numbers_in_clear(records: pl.DataFrame, result: LinkResult) -> None:
    keys = result.registry["anchor_key"]
    assert keys.str.contains(r"^[0-9a-f]{32}$").all()
    assert not keys.is_in(records["id_number"].drop_nulls().implode()).any()


def test_review_sample_is_masked(records: pl.DataFrame, result: LinkResult) -> None:
    review = result.review_sample
    assert review.height > 0
    shown = " ".join(str(v) for row in review.iter_rows() for v in row)
    for name in records["name"].drop_nulls().unique().to_list():
        assert name not in shown
    assert not any(d in shown for d in records["id_number"].drop_nulls().to_list())
    assert review["explanation"].str.contains("name:").all()


def test_a_cluster_claiming_two_previous_ids_keeps_the_heavier_claim_and_logs_the_merge() -> None:
    idn = with_check("22010220150315123")
    a = child(
        "孙明轩",
        "sun_ming_xuan",
        1,
        date(2015, 3, 15),
        "男",
        idn,
        [],
        source="residence_permits",
        permit_no="P1",
    )
    b = child(
        "孙明轩", "sun_ming_xuan", 1, date(2015, 3, 15), "男", None, [], source="insurance", insurance_no="I1"
    )
    filler = population(60)
    first_a = link(frame([a, *filler]), children())
    first_b = link(frame([b, *filler]), children())
    # Two registries from runs that saw the child separately, combined as if carried.
    registry = pl.concat([first_a.registry, first_b.registry]).unique()
    merged = link(frame([a, b, *filler]), children(), previous_registry=registry)
    ids = merged.record_child.filter(pl.col("record_id").is_in([0, 1]))["child_id"].unique()
    assert ids.len() == 1
    id_a, id_b = first_a.record_child["child_id"][0], first_b.record_child["child_id"][0]
    assert id_a != id_b  # the two runs, seeing different anchors, gave different ids
    # The permit run's id shares the identity number and permit with the whole child: it weighs more.
    assert ids[0] == id_a
    events = merged.id_events.filter(pl.col("event") == "merged")
    assert events.filter(pl.col("related_child_id") == id_b).height == 1


def _registry(child_id: str, anchors: dict[str, tuple[str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"child_id": child_id, "anchor_type": t, "anchor_key": key, "weight": w}
            for t, (key, w) in anchors.items()
        ]
    )


@pytest.mark.parametrize(
    ("current", "keeps"),
    [
        # Only the name and birth date on record now: the child it was.
        ({"name_dob": ("K", 10.0)}, True),
        # The same name and birth date but another insurance number: a namesake born that day.
        ({"name_dob": ("K", 10.0), "insurance_no": ("I2", 40.0)}, False),
        # A number of a kind the previous child never had does not contradict it.
        ({"name_dob": ("K", 10.0), "permit_no": ("P9", 40.0)}, True),
    ],
)
def test_a_name_and_birth_date_claim_yields_to_a_contradicting_number(current, keeps) -> None:
    import duckdb

    from matchers.stable_ids import assign_child_ids

    previous = _registry("COLDCHILD0001", {"name_dob": ("K", 10.0), "insurance_no": ("I1", 40.0)})
    cluster = (
        _registry("x", current).drop("child_id").with_columns(pl.lit(7, dtype=pl.Int64).alias("cluster_id"))
    )
    with duckdb.connect() as con:
        cluster_child, _, events = assign_child_ids(
            con, cluster, pl.Series([7], dtype=pl.Int64), previous, "test", strong_claim=20.0
        )
    assert (cluster_child["child_id"][0] == "COLDCHILD0001") is keeps
    assert (events.filter(pl.col("event") == "new").height == 1) is not keeps


def test_parents_configuration_links_a_mother_named_on_several_children() -> None:
    from matchers.configs.parents import parents_config

    mother = with_check("22010219880101234")
    typo = mother[:4] + ("7" if mother[4] != "7" else "6") + mother[5:]
    rows = []
    for i in range(120):
        other = with_check(f"2201{(i % 9) + 1:02d}1980{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i:03d}")
        rows.append(
            {
                "record_id": 2 * i,
                "source": "child_health",
                "file": "a.csv",
                "row_number": i + 1,
                "role": "father",
                "parent_role": "father",
                "name": f"王{'建国伟强明'[i % 5]}{i}",
                "name_pinyin": f"wang{i}",
                "id_number": other,
                "id_status": "valid",
                "id_birth_date": date(1980, (i % 12) + 1, (i % 28) + 1),
                "id_sex": "男",
                "phone": f"137{i:08d}",
            }
        )
    for k, (idn, status, name) in enumerate(
        ((mother, "valid", "钱红梅"), (typo, "bad_check", "钱红梅"), (None, "empty", "钱红梅"))
    ):
        rows.append(
            {
                "record_id": 1000 + k,
                "source": "birth_certificates",
                "file": "b.csv",
                "row_number": k + 1,
                "role": "mother",
                "parent_role": "mother",
                "name": name,
                "name_pinyin": "qianhongmei",
                "id_number": idn,
                "id_status": status,
                "id_birth_date": date(1988, 1, 1) if idn else None,
                "id_sex": "女" if idn else None,
                "phone": "13900001111",
            }
        )
    df = pl.DataFrame(
        rows, schema_overrides={"id_birth_date": pl.Date, "phone": pl.Utf8}, infer_schema_length=None
    )
    res = link(df, parents_config())
    mothers = res.record_child.filter(pl.col("record_id") >= 1000)["child_id"].unique()
    assert mothers.len() == 1
    assert mothers[0].startswith("P")


def test_a_fragment_the_guards_keep_apart_does_not_rejoin_the_previous_child() -> None:
    import duckdb

    from matchers.stable_ids import assign_child_ids

    # Last half-year one child held both insurance numbers (two twins the registry mixed up).
    previous = _registry("COLDCHILD0002", {"insurance_no": ("I1", 40.0), "permit_no": ("P1", 40.0)})
    clusters = pl.DataFrame(
        {
            "cluster_id": [1, 2],
            "anchor_type": ["insurance_no", "permit_no"],
            "anchor_key": ["I1", "P1"],
            "weight": [40.0, 40.0],
        }
    )
    ids = pl.Series([1, 2], dtype=pl.Int64)
    with duckdb.connect() as con:
        together, _, events = assign_child_ids(con, clusters, ids, previous, "test", strong_claim=20.0)
        apart, _, _ = assign_child_ids(
            con, clusters, ids, previous, "test", strong_claim=20.0, forbidden=lambda pairs: pairs
        )
    assert together["child_id"].n_unique() == 1
    assert events.filter(pl.col("event") == "rejoined").height == 1
    assert apart["child_id"].n_unique() == 2
    assert "COLDCHILD0002" in apart["child_id"].to_list()


def test_a_guard_blocking_cannot_apply_is_refused_as_uncompared(records: pl.DataFrame) -> None:
    # Blocking sees one record at a time: a guard over both records of a pair (birth dates far
    # apart) cannot keep pairs from forming, and a configuration asking for it is told so.
    config = dataclasses.replace(children(), uncompared_guards=("different_birth_dates",))
    with pytest.raises(ValueError, match="different_birth_dates cannot be left uncompared"):
        link(records.head(20), config)
