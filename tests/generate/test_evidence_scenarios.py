"""The generator's scenarios for decisions that must stand on evidence, read back from the written files.

- status rows under a parent's number with one slip keep the parent's name as written;
- near namesakes carry a valid number one digit of the sequence code off the father's;
- grandparents with a death record are named on the child's permit as 祖父母, never as a parent;
- transfer pupils keep a 入学年月 that predates their arrival.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from taizhang.generate.population import six_months_before
from taizhang.period import Period
from tests.support.ids import is_valid

from .conftest import PERIODS, source_columns


def _clean_id(raw: str) -> str:
    return "".join(unicodedata.normalize("NFKC", raw).upper().replace("'", "").split())


def _rows(folder, source: str, columns: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """``file, row_number`` and the wanted columns (by header) of every data row of a source."""
    return pl.DataFrame(source_columns(folder, source, columns), infer_schema_length=None)


def _status_rows(out, period: str) -> pl.DataFrame:
    written = _rows(
        out / period, "person_status", {"raw_id": ("证件号码", "公民身份号码"), "raw_name": ("姓名",)}
    )
    truth = pl.read_parquet(out / "truth" / period / "status_events.parquet")
    return truth.join(written, on=["file", "row_number"])


def test_slipped_status_rows_keep_the_parents_name_and_are_one_slip_from_the_number(generated):
    out, _ = generated
    people = pl.read_parquet(out / "truth" / PERIODS[0] / "people.parquet")
    rows = _status_rows(out, PERIODS[0]).filter(pl.col("slip").is_not_null())
    rows = rows.join(people.select("person_key", "name", "id_number"), on="person_key")
    assert set(rows["slip"]) == {"one_digit", "transposition", "impossible_date"}
    for r in rows.iter_rows(named=True):
        typed, true = _clean_id(r["raw_id"]), r["id_number"]
        assert r["raw_name"] == r["name"]
        assert len(typed) == 18 and not is_valid(typed)
        diff = [i for i in range(18) if typed[i] != true[i]]
        if r["slip"] == "transposition":
            assert len(diff) == 2 and diff[1] == diff[0] + 1
            assert typed[diff[0]] == true[diff[1]] and typed[diff[1]] == true[diff[0]]
        else:
            assert len(diff) == 1
        if r["slip"] == "impossible_date":
            assert int(typed[10:12]) > 12


def test_near_namesakes_have_a_valid_number_one_sequence_digit_off_the_fathers(generated):
    out, _ = generated
    people = pl.read_parquet(out / "truth" / PERIODS[0] / "people.parquet")
    rows = _status_rows(out, PERIODS[0]).filter(pl.col("person_key").str.starts_with("k"))
    fathers = people.select(father=pl.col("person_key"), f_name="name", f_id="id_number")
    rows = rows.with_columns(father=pl.concat_str([pl.lit("p"), pl.col("person_key").str.slice(1)])).join(
        fathers, on="father"
    )
    assert rows.height > 0
    for r in rows.iter_rows(named=True):
        typed = _clean_id(r["raw_id"])
        assert is_valid(typed) and typed != r["f_id"] and r["raw_name"] == r["f_name"]
        assert [i for i in range(17) if typed[i] != r["f_id"][i]] == [14]
    # the truth never counts them for the child
    assert set(rows["is_decoy_kind"]) == {"namesake_one_digit_off"}


def test_grandparents_with_a_death_record_are_guardians_on_the_permit_not_parents(generated):
    out, _ = generated
    period = PERIODS[0]
    events = _status_rows(out, period).filter(pl.col("person_key").str.starts_with("g"))
    assert events.height > 0 and set(events["status"]) == {"死亡"}
    kids = pl.read_parquet(out / "truth" / period / "children.parquet")
    family = events.select(
        father_key=pl.concat_str([pl.lit("p"), pl.col("person_key").str.slice(1)]), gp="raw_name"
    )
    theirs = kids.join(family, on="father_key")
    assert theirs.height > 0 and not theirs["is_orphan"].any()
    permits = _rows(
        out / period,
        "residence_permits",
        {"guardian": ("监护人姓名",), "relation": ("与儿童关系", "监护关系")},
    )
    records = pl.read_parquet(out / "truth" / period / "records.parquet")
    named = permits.join(records, on=["file", "row_number"]).join(theirs, on="child_key")
    assert named.height > 0
    assert set(named["relation"]) == {"祖父母"}


def test_transfer_pupils_keep_a_school_start_that_predates_their_arrival(generated):
    out, _ = generated
    for period in PERIODS:
        as_of = Period.parse(period).as_of
        pupils = _rows(out / period, "school_enrollment", {"enrol": ("入学年月",)})
        records = pl.read_parquet(out / "truth" / period / "records.parquet")
        kids = pl.read_parquet(out / "truth" / period / "children.parquet")
        month = pl.col("enrol").str.replace("-", "").str.slice(0, 6)
        got = (
            pupils.join(records, on=["file", "row_number"])
            .join(kids, on="child_key")
            .filter(pl.col("enrol").str.contains(r"^\d{4}-?\d{2}$"))
            .with_columns(arrived=pl.col("residence_since").dt.strftime("%Y%m"), enrol_m=month)
        )
        early = got.filter(pl.col("enrol_m") < pl.col("arrived"))
        # newcomers of the last six months among them: the decoy of a 入学年月 taken for an arrival
        assert early.filter(pl.col("residence_since") > six_months_before(as_of)).height > 0
        assert early.height < got.height
