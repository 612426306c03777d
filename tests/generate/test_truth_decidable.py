"""The truth claims only what the written extracts can show (docs/generator.md, "Decidable truth").

Every child whose flags read its parents' statuses has one readable record naming
both parents by a number that keeps its digits, or is marked undecidable with both
flags false; status events never lose a start or end date to noise; and the truth's
rule treats an undated event the way the pipeline's rule does.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import polars as pl

from data_contracts import load_contracts
from taizhang.generate.status import classify

from .conftest import PERIODS, clean_header, read_rows, source_of

AS_OF = {"2026H1": date(2026, 6, 30), "2026H2": date(2026, 12, 31)}


def _columns(folder: Path, source: str, names: list[str]) -> pl.DataFrame:
    """``file, row_number`` and the raw text of the named contract columns, for every row of a source."""
    contract = load_contracts()[source]
    rows = []
    for path in sorted(folder.iterdir()):
        if source_of(path.name) != source:
            continue
        n = 0
        for header, data in read_rows(path):
            cleaned = [clean_header(h) for h in header]
            idx = [
                next((cleaned.index(h) for h in contract.column(c).headers if h in cleaned), None)
                for c in names
            ]
            for r in data:
                n += 1
                rows.append((path.name, n, *[r[i] if i is not None and i < len(r) else "" for i in idx]))
    return pl.DataFrame(rows, schema=["file", "row_number", *names], orient="row")


def _digits_of(col: str) -> pl.Expr:
    """An id cell with digit-keeping damage undone: NFKC, no spaces, no apostrophe, upper case."""
    return (
        pl.col(col)
        .map_elements(lambda v: unicodedata.normalize("NFKC", v), return_dtype=pl.Utf8)
        .str.replace_all(r"[\s']", "")
        .str.to_uppercase()
    )


def _parent_ids_on_records(out: Path, period: str) -> pl.DataFrame:
    """``child_key, father, mother`` (normalised) of every readable record that names both parents."""
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
    ids = pl.concat(frames).filter(pl.col("father_id").is_not_null() & pl.col("mother_id").is_not_null())
    ids = ids.filter((pl.col("father_id") != "") & (pl.col("mother_id") != ""))
    rec = pl.read_parquet(out / "truth" / period / "records.parquet").filter(~pl.col("unreadable"))
    return ids.join(rec, on=["file", "row_number"]).select(
        "child_key", father=_digits_of("father_id"), mother=_digits_of("mother_id")
    )


def test_scenario_children_have_both_parents_on_one_readable_record(generated):
    out, _ = generated
    for period in PERIODS:
        truth = out / "truth" / period
        kids = pl.read_parquet(truth / "children.parquet")
        reported = pl.read_parquet(truth / "status_events.parquet")["person_key"].unique().implode()
        scenario = kids.filter(pl.col("father_key").is_in(reported) | pl.col("mother_key").is_in(reported))
        people = pl.read_parquet(truth / "people.parquet")
        known = {
            role: people.select(
                pl.col("person_key").alias(f"{role}_key"),
                pl.col("id_number").alias(f"{role}_18"),
                pl.col("id_number_15").alias(f"{role}_15"),
            )
            for role in ("father", "mother")
        }
        on_record = (
            _parent_ids_on_records(out, period)
            .join(scenario.select("child_key", "father_key", "mother_key"), on="child_key")
            .join(known["father"], on="father_key")
            .join(known["mother"], on="mother_key")
        )
        same_f = (pl.col("father") == pl.col("father_18")) | (pl.col("father") == pl.col("father_15"))
        same_m = (pl.col("mother") == pl.col("mother_18")) | (pl.col("mother") == pl.col("mother_15"))
        identified = on_record.filter(same_f.fill_null(False) & same_m.fill_null(False))["child_key"].unique()
        decidable = scenario.filter(~pl.col("parents_undecidable"))
        missing = decidable.filter(~pl.col("child_key").is_in(identified.implode()))
        assert missing.is_empty(), f"{period}: {missing.height} scenario children without a parent record"
        # undecidable children are few and claim nothing
        undecidable = scenario.filter("parents_undecidable")
        assert undecidable.filter(pl.col("is_orphan") | pl.col("is_unsupported")).is_empty()
        assert undecidable.height < 0.2 * scenario.height
        assert scenario.filter(pl.col("is_orphan") | pl.col("is_unsupported")).height > 5


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
