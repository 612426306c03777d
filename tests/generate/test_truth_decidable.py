"""The truth claims only what the written extracts can show (docs/generator.md, "Decidable truth").

Every child whose flags read its parents' statuses has one readable record naming
both parents by a number that keeps its digits, or is marked undecidable with both
flags false; status events never lose a start or end date to noise; and the truth's
rule treats an undated event the way the pipeline's rule does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from data_contracts import load_contracts
from taizhang.generate.status import classify

from .conftest import PERIODS, source_columns

AS_OF = {"2026H1": date(2026, 6, 30), "2026H2": date(2026, 12, 31)}


def _columns(folder: Path, source: str, names: list[str]) -> pl.DataFrame:
    """``file, row_number`` and the raw text of the named contract columns, for every row of a source."""
    contract = load_contracts()[source]
    rows = source_columns(folder, source, {c: tuple(contract.column(c).headers) for c in names})
    return pl.DataFrame(
        [(r["file"], r["row_number"], *(r[c] for c in names)) for r in rows],
        schema=["file", "row_number", *names],
        orient="row",
    )


def _digits_of(col: str) -> pl.Expr:
    """An id cell with digit-keeping damage undone: NFKC, no spaces, no apostrophe, upper case."""
    return pl.col(col).str.normalize("NFKC").str.replace_all(r"[\s']", "").str.to_uppercase()


def _person_of(col: str, people: pl.DataFrame) -> pl.Expr:
    """The person key whose 18- or 15-digit number the normalised cell holds (null if none)."""
    numbers = pl.concat(
        [
            people.select("person_key", nid="id_number"),
            people.select("person_key", nid="id_number_15").drop_nulls(),
        ]
    )
    return _digits_of(col).replace_strict(numbers["nid"], numbers["person_key"], default=None)


def _parents_on_records(out: Path, period: str, people: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``child_key, father, mother``: person keys read off every readable record naming both parents,
    ``child_key, parent``: the parent a readable residence permit names by relation and number)."""
    folder = out / period
    both = ["father_id", "mother_id"]
    frames = [_columns(folder, s, both) for s in ("birth_certificates", "child_health")]
    school = _columns(
        folder,
        "school_enrollment",
        ["guardian1_relation", "guardian1_id", "guardian2_relation", "guardian2_id"],
    )
    g1, g2 = pl.col("guardian1_relation").str.strip_chars(), pl.col("guardian2_relation").str.strip_chars()
    frames.append(
        school.select(
            "file",
            "row_number",
            father_id=pl.when(g1 == "父亲").then("guardian1_id").when(g2 == "父亲").then("guardian2_id"),
            mother_id=pl.when(g1 == "母亲").then("guardian1_id").when(g2 == "母亲").then("guardian2_id"),
        )
    )
    rec = pl.read_parquet(out / "truth" / period / "records.parquet").filter(~pl.col("unreadable"))
    couples = (
        pl.concat(frames)
        .join(rec, on=["file", "row_number"])
        .select("child_key", father=_person_of("father_id", people), mother=_person_of("mother_id", people))
    )
    permits = _columns(folder, "residence_permits", ["guardian1_relation", "guardian1_id"])
    named = (
        permits.filter(pl.col("guardian1_relation").str.strip_chars().is_in(["父亲", "母亲"]))
        .join(rec, on=["file", "row_number"])
        .select("child_key", parent=_person_of("guardian1_id", people))
    )
    return couples.drop_nulls(), named.drop_nulls()


def test_scenario_children_have_their_parents_identified_by_the_records(generated):
    """Requirement: each child whose truth reads its parents' statuses has one readable record of its
    own naming both parents by a digit-keeping number, or (co-parent) its permit names one parent
    and another readable record names that parent beside the other; else it is undecidable."""
    out, _ = generated
    bases = set()
    for period in PERIODS:
        truth = out / "truth" / period
        kids = pl.read_parquet(truth / "children.parquet")
        reported = pl.read_parquet(truth / "status_events.parquet")["person_key"].unique().implode()
        scenario = kids.filter(pl.col("father_key").is_in(reported) | pl.col("mother_key").is_in(reported))
        people = pl.read_parquet(truth / "people.parquet")
        couples, named = _parents_on_records(out, period, people)
        parents = scenario.select("child_key", "father_key", "mother_key")
        own = couples.join(parents, on="child_key").filter(
            (pl.col("father") == pl.col("father_key")) & (pl.col("mother") == pl.col("mother_key"))
        )["child_key"]
        pairs = couples.select(father_key="father", mother_key="mother").unique()
        co_parent = (
            named.join(parents, on="child_key")
            .filter((pl.col("parent") == pl.col("father_key")) | (pl.col("parent") == pl.col("mother_key")))
            .join(pairs, on=["father_key", "mother_key"])["child_key"]
        )
        decidable = scenario.filter(~pl.col("parents_undecidable"))
        bases |= set(decidable["parents_basis"])
        missing = decidable.filter(
            ~pl.col("child_key").is_in(own.implode())
            & ~((pl.col("parents_basis") == "co_parent") & pl.col("child_key").is_in(co_parent.implode()))
        )
        assert missing.is_empty(), (
            f"{period}: {missing.height} scenario children without their parents on record"
        )
        # undecidable children are few and claim nothing
        undecidable = scenario.filter("parents_undecidable")
        assert undecidable.filter(pl.col("is_orphan") | pl.col("is_unsupported")).is_empty()
        assert undecidable.height < 0.2 * scenario.height
        assert scenario.filter(pl.col("is_orphan") | pl.col("is_unsupported")).height > 5
    assert bases == {"own_record", "co_parent"}


def test_status_rows_keep_their_start_and_end_dates(generated):
    """An empty start hides a 6-month duration and an empty end means "still in force"."""
    out, _ = generated
    terms = ["服刑在押", "强制隔离戒毒", "限制人身自由"]
    for period in PERIODS:
        cells = _columns(out / period, "person_status", ["start_date", "end_date"])
        ev = pl.read_parquet(out / "truth" / period / "status_events.parquet")
        rows = ev.join(cells, on=["file", "row_number"])
        assert rows.height == ev.height
        assert rows.filter(pl.col("start_date_right").str.strip_chars() == "").is_empty()
        # the end is written for every term, and for any event once it has passed
        shown = pl.col("status").is_in(terms) | (pl.col("end_date") <= AS_OF[period])
        blank_end = pl.col("end_date_right").str.strip_chars() == ""
        assert rows.filter(pl.col("end_date").is_not_null() & shown & blank_end).is_empty()
        # an empty end is never an event that ended by the as-of date
        assert rows.filter(blank_end & (pl.col("end_date") <= AS_OF[period])).is_empty()
        assert rows.filter(~blank_end).height > 0


def test_an_undated_death_counts_but_an_undated_term_or_lost_contact_does_not():
    as_of = AS_OF["2026H1"]
    ev = pl.DataFrame(
        {
            "status": ["死亡", "宣告死亡", "失联", "服刑在押", "强制隔离戒毒", "限制人身自由", "失联"],
            "status_detail": [None] * 7,
            "reporter": ["省公安厅"] * 7,
            "start_date": [None, None, None, None, None, None, date(2025, 12, 30)],
            "end_date": [None] * 7,
        },
        schema_overrides={"start_date": pl.Date, "end_date": pl.Date, "status_detail": pl.Utf8},
    )
    got = classify(ev, as_of)["counts_as_of"].to_list()
    assert got == [True, True, False, False, False, False, True]
