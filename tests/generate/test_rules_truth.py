"""The truth flags follow the policy rule on hand-checked examples (docs/policy.md §1, §2.2)."""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.generate.population import six_months_before
from taizhang.generate.status import child_flags, classify
from taizhang.period import Period

from .conftest import PERIODS

AS_OF = date(2026, 6, 30)


def _events(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "person_key": pl.Utf8,
            "status": pl.Utf8,
            "status_detail": pl.Utf8,
            "reporter": pl.Utf8,
            "start_date": pl.Date,
            "end_date": pl.Date,
        },
        orient="row",
    )


def _flags(rows: list[tuple], age: int = 10) -> tuple[bool, bool]:
    kids = pl.DataFrame({"child_key": ["c"], "father_key": ["f"], "mother_key": ["m"], "age": [age]})
    out = child_flags(kids, _events(rows), AS_OF)
    return out["is_orphan"][0], out["is_unsupported"][0]


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


def test_orphan_needs_both_parents_dead_or_declared_missing():
    assert _flags(
        [
            ("f", "死亡", None, "省公安厅", d(2025, 1, 1), None),
            ("m", "宣告死亡", None, "法院", d(2024, 1, 1), None),
        ]
    ) == (True, False)
    assert _flags([("f", "死亡", None, "省公安厅", d(2025, 1, 1), None)]) == (False, False)
    # a plain 失踪 counts only when a court reports it
    court = [
        ("f", "失踪", None, "长春市南关区人民法院", d(2024, 1, 1), None),
        ("m", "死亡", None, "省公安厅", d(2025, 1, 1), None),
    ]
    police = [
        ("f", "失踪", None, "省公安厅", d(2024, 1, 1), None),
        ("m", "死亡", None, "省公安厅", d(2025, 1, 1), None),
    ]
    assert _flags(court) == (True, False)
    assert _flags(police) == (False, False)
    assert _flags(court, age=18) == (False, False)


def test_unsupported_pairs_and_their_decoys():
    prison = ("f", "服刑在押", None, "省监狱管理局", d(2025, 9, 1), None)
    assert _flags([prison, ("m", "重残", "肢体残疾一级", "省残联", d(2020, 1, 1), None)]) == (False, True)
    assert _flags([prison, ("m", "重残", "肢体残疾三级", "省残联", d(2020, 1, 1), None)]) == (False, False)
    assert _flags([prison, ("m", "重残", "精神残疾三级", "省残联", d(2020, 1, 1), None)]) == (False, True)
    # a term under 6 months does not count; 6 months or more does
    short = ("f", "服刑在押", None, "省监狱管理局", d(2026, 5, 1), d(2026, 10, 1))
    long = ("f", "服刑在押", None, "省监狱管理局", d(2026, 5, 1), d(2026, 11, 1))
    ill = ("m", "重病", "尿毒症", "省卫健委", d(2025, 1, 1), None)
    assert _flags([short, ill]) == (False, False)
    assert _flags([long, ill]) == (False, True)
    # ended before the as-of date, or starting after it
    assert _flags([("f", "服刑在押", None, "x", d(2024, 1, 1), d(2026, 6, 30)), ill]) == (False, False)
    assert _flags([("f", "服刑在押", None, "x", d(2026, 7, 1), None), ill]) == (False, False)
    # 失联 counts from 6 months on; one dead parent plus one S8 parent is unsupported
    dead = ("m", "死亡", None, "省公安厅", d(2025, 1, 1), None)
    assert _flags([("f", "失联", None, "省公安厅", d(2025, 12, 30), None), dead]) == (False, True)
    assert _flags([("f", "失联", None, "省公安厅", d(2026, 1, 15), None), dead]) == (False, False)


def test_hiv_is_carried_but_is_neither_death_nor_s8():
    ev = classify(_events([("f", "艾滋病病毒感染", None, "省卫健委", d(2025, 1, 1), None)]), AS_OF)
    assert ev["counts_as_of"][0] and ev["rule_class"][0] is None


def test_generated_truth_is_consistent_with_the_rules(generated):
    out, _ = generated
    for period in PERIODS:
        t = out / "truth" / period
        kids = pl.read_parquet(t / "children.parquet")
        mig = kids.filter("is_migrant")
        as_of = date(2026, 6, 30) if period.endswith("H1") else date(2026, 12, 31)
        assert mig.filter(
            (pl.col("age") >= 16)
            | pl.col("hukou_county").is_null()
            | (pl.col("hukou_county") == pl.col("residence_county"))
            | (pl.col("residence_since") > six_months_before(as_of))
        ).is_empty()
        # some children are recent arrivals, urban-district movers or of unknown hukou: not migrants
        assert (
            kids.filter(
                ~pl.col("is_migrant")
                & (pl.col("age") < 16)
                & (pl.col("hukou_county") != pl.col("residence_county"))
            ).height
            > 0
        )
        assert kids.filter(pl.col("unknown_hukou")).height > 0
        assert not kids.filter(pl.col("is_orphan") & pl.col("is_unsupported")).height
        assert 0.003 < mig["is_orphan"].mean() < 0.03 and 0.008 < mig["is_unsupported"].mean() < 0.05
        ev = pl.read_parquet(t / "status_events.parquet")
        decoys = set(ev["is_decoy_kind"].drop_nulls())
        assert {"namesake_other_id", "legacy_15_digit_same_person", "term_under_6_months"} <= decoys
        # the legacy-number event counts; the namesake's death is another person's
        legacy = ev.filter(pl.col("is_decoy_kind") == "legacy_15_digit_same_person")
        assert legacy["counts_as_of"].all()
        people = pl.read_parquet(t / "people.parquet")
        assert legacy.join(people, on="person_key").height == legacy.height
        assert (
            ev.filter(pl.col("is_decoy_kind") == "namesake_other_id").join(people, on="person_key").is_empty()
        )
    ch = pl.read_parquet(out / "truth" / PERIODS[1] / "changes.parquet")
    assert set(ch["change"]) == {"new", "continuing", "status_changed", "left", "turned_16"}


def test_every_migrant_and_newcomer_but_the_undated_few_has_a_record_with_its_exact_residence_start(
    generated,
):
    out, _ = generated
    from .conftest import clean_header, read_rows, source_of

    heads = {
        "residence_permits": ("居住起始日期", "来本地日期"),
        "child_health": ("建档日期",),
        "vaccination": ("建卡日期",),
    }
    for period in PERIODS:
        rec = pl.read_parquet(out / "truth" / period / "records.parquet")
        as_of = Period.parse(period).as_of
        everyone = pl.read_parquet(out / "truth" / period / "children.parquet")
        newcomer = (
            pl.col("hukou_county").is_not_null()
            & (pl.col("hukou_county") != pl.col("residence_county"))
            & (pl.col("residence_since") > six_months_before(as_of))
            & (pl.col("age") < 16)
        )
        kids = everyone.filter(pl.col("is_migrant") | newcomer)
        rows = []
        for path in (out / period).iterdir():
            s = source_of(path.name)
            if s not in heads:
                continue
            n = 0
            for header, data in read_rows(path):
                cleaned = [clean_header(h) for h in header]
                idx = next(cleaned.index(h) for h in heads[s] if h in cleaned)
                for r in data:
                    n += 1
                    rows.append((path.name, n, r[idx] if idx < len(r) else ""))
        got = pl.DataFrame(rows, schema=["file", "row_number", "raw"], orient="row").join(
            rec, on=["file", "row_number"]
        )
        got = got.join(kids.select("child_key", "residence_since"), on="child_key")
        since = pl.col("residence_since")
        y, m, dd = since.dt.year().cast(pl.Utf8), since.dt.month().cast(pl.Utf8), since.dt.day().cast(pl.Utf8)
        forms = [
            since.dt.strftime("%Y-%m-%d"),
            pl.concat_str([y, m, dd], separator="/"),
            since.dt.strftime("%Y%m%d"),
            since.dt.strftime("%Y.%m.%d"),
            pl.concat_str([y, pl.lit("年"), m, pl.lit("月"), dd, pl.lit("日")]),
            (since.cast(pl.Int32) + 25569).cast(pl.Utf8),
        ]
        exact = got.filter(pl.any_horizontal([pl.col("raw") == f for f in forms]))["child_key"].unique()
        assert kids.filter("presence_dated").filter(~pl.col("child_key").is_in(exact.implode())).is_empty()
        # the undated are long-settled migrants with no such record at all
        undated = kids.filter(~pl.col("presence_dated"))
        assert undated["is_migrant"].all()
        assert not undated["child_key"].is_in(got["child_key"].implode()).any()
        assert kids.filter(newcomer).height > 0
