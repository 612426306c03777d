"""``generate``: the synthetic extracts of several half-years, with their ground truth."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import polars as pl

from data_contracts import SOURCE_ORDER, load_contracts
from taizhang.ages import age_at
from taizhang.generate import noise as nz
from taizhang.generate.names import NameStyle
from taizhang.generate.population import Population, build_population, children_in
from taizhang.generate.sources import child_records, undated
from taizhang.generate.status import build_events, child_flags, classify
from taizhang.generate.writers import FileSpec, write_file
from taizhang.period import Period

# usual format per source (README), and the alternatives a department sometimes sends
DEFAULT_FORMAT = {
    "residence_permits": ("csv", "gb18030"),
    "school_enrollment": ("xlsx", None),
    "child_health": ("csv", "utf-8-sig"),
    "vaccination": ("csv", "utf-8"),
    "insurance": ("csv", "utf-8"),
    "birth_certificates": ("csv", "utf-8"),
    "person_status": ("csv", "utf-8"),
    "field_visits": ("xlsx", None),
}
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
PREFECTURE_NAMES = {
    "2201": "长春",
    "2202": "吉林",
    "2203": "四平",
    "2204": "辽源",
    "2205": "通化",
    "2206": "白山",
    "2207": "松原",
    "2208": "白城",
    "2224": "延边",
}


def _file_specs(
    source: str, index: int, rng: np.random.Generator, xlsx_source: str | None, title: str = ""
) -> list[tuple[FileSpec, pl.Expr | None]]:
    """The files of one source in one period, each with the row filter that fills it."""
    specs = _specs(source, index, rng, xlsx_source)
    return [(dataclasses.replace(spec, title=title), cond) for spec, cond in specs]


def _specs(
    source: str, index: int, rng: np.random.Generator, xlsx_source: str | None
) -> list[tuple[FileSpec, pl.Expr | None]]:
    ext, enc = DEFAULT_FORMAT[source]
    if ext == "csv" and rng.random() < 0.2:
        enc = str(rng.choice(ENCODINGS))
    if source == xlsx_source:
        ext, enc = "xlsx", None
    if source == "school_enrollment":
        return [(FileSpec(f"{source}.xlsx", "xlsx", sheet_column="_sheet"), None)]
    if source == "field_visits":
        return [
            (FileSpec(f"{source}_{name}.xlsx", "xlsx", sheet_column="_sheet"), pl.col("_prefecture") == pref)
            for pref, name in PREFECTURE_NAMES.items()
        ]
    if source == "residence_permits" and index % 2 == 1:
        cc = pl.col("_res_pref") == "2201"
        return [
            (FileSpec(f"{source}_长春.{ext}", ext, enc), cc),
            (FileSpec(f"{source}_吉林.{ext}", ext, enc), ~cc),
        ]
    return [(FileSpec(f"{source}.{ext}", ext, enc), None)]


def _person_status(events: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    """The status extract of a period: events reported by its as-of date, some twice."""
    as_of = period.as_of
    ev = events.filter(pl.col("report_date") <= as_of)
    # an end date is known in advance for terms; for the others only once it has passed
    terms = pl.col("status").is_in(["服刑在押", "强制隔离戒毒", "限制人身自由"])
    ev = ev.with_columns(end_shown=pl.when(terms | (pl.col("end_date") <= as_of)).then("end_date"))
    ev = pl.concat([ev, ev.filter(pl.Series(rng.random(ev.height)) < 0.02)])
    return ev.select(
        _person_key="person_key",
        _event_id="event_id",
        # a parent's event must reach its parent: digits kept (no typo) on their rows; so are the
        # numbers of the decoys (a near namesake, a grandparent), whose point is their exact number
        _clean_ids=pl.col("person_key").str.contains("^[pkg]"),
        # a row typed with a slip in the number is tied to the parent by the name, and a near
        # namesake is a decoy only under the father's very name: both kept as written
        _clean_names=pl.col("slip").is_not_null() | pl.col("person_key").str.starts_with("k"),
        id_number="id_number",
        name="name",
        status="status",
        status_detail="status_detail",
        start_date="start_date",
        end_date="end_shown",
        reporter="reporter",
    )


def with_grandparent_guardians(children: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Children whose grandparent has a status event (a decoy) live with that grandparent: the
    permit names the grandparent as guardian (祖父母), so a rule that took a guardian for a parent
    would read the grandparent's death as the parent's."""
    grand = events.filter(pl.col("person_key").str.starts_with("g"))["person_key"].str.slice(1).unique()
    return children.with_columns(
        guardian=pl.when(pl.col("father_key").str.slice(1).is_in(grand.implode()))
        .then(pl.lit("grand"))
        .otherwise("guardian")
    )


def children_of_reported_parents(children: pl.DataFrame, events: pl.DataFrame) -> pl.Series:
    """Child keys whose father or mother has any status event: their truth reads those events."""
    parents = events.filter(pl.col("person_key").str.starts_with("p"))["person_key"].unique().implode()
    return (
        children.filter(pl.col("father_key").is_in(parents) | pl.col("mother_key").is_in(parents))[
            "child_key"
        ]
        .unique()
        .sort()
    )


def clear_undecidable(c: pl.DataFrame, needs: pl.Series, frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Clear the orphan/unsupported truth of children no record identifies the parents of.

    A child whose parents' statuses decide its flags is identified when one of
    its records names both parents by a readable number (``parents_basis`` =
    ``own_record``), or when its permit names one parent and a sibling's record
    names that parent beside the other (``co_parent``, the pipeline's co-parent
    rule). Otherwise (a 16- or 17-year-old born outside Jilin with no permit
    naming a parent, or no sibling on record) it cannot be judged from the
    extracts: the pipeline can only send it to review, so the truth says
    ``parents_undecidable`` and both flags false.
    """
    anchored = (
        pl.concat(
            [
                df.filter("_clean_ids").select("_child_key", "_parents_basis")
                for s, df in frames.items()
                if s != "person_status" and "_clean_ids" in df.columns
            ]
        )
        .sort("_child_key", "_parents_basis", descending=[False, True])  # own_record before co_parent
        .unique("_child_key", keep="first", maintain_order=True)
        .select(child_key="_child_key", parents_basis="_parents_basis")
    )
    needed = pl.col("child_key").is_in(needs.implode())
    c = c.join(anchored, on="child_key", how="left").with_columns(
        parents_basis=pl.when(needed).then("parents_basis")
    )
    undecidable = needed & pl.col("parents_basis").is_null()
    return c.with_columns(parents_undecidable=undecidable).with_columns(
        is_orphan=pl.col("is_orphan") & ~pl.col("parents_undecidable"),
        is_unsupported=pl.col("is_unsupported") & ~pl.col("parents_undecidable"),
    )


def _changes(prev: pl.DataFrame, cur: pl.DataFrame, pop: Population, period: Period) -> pl.DataFrame:
    """Change of each child between two periods' migrant ledgers (see docs/generator.md)."""
    p = prev.filter("is_migrant").select("child_key", p_o="is_orphan", p_u="is_unsupported")
    c = cur.filter("is_migrant").select("child_key", c_o="is_orphan", c_u="is_unsupported")
    both = p.join(c, on="child_key", how="inner").select(
        "child_key",
        change=pl.when((pl.col("p_o") == pl.col("c_o")) & (pl.col("p_u") == pl.col("c_u")))
        .then(pl.lit("continuing"))
        .otherwise(pl.lit("status_changed")),
    )
    new = c.join(p, on="child_key", how="anti").select("child_key", change=pl.lit("new"))
    gone = p.join(c, on="child_key", how="anti").join(
        pop.children.select("child_key", "birth_date"), on="child_key"
    )
    as_of = period.as_of
    age = age_at(pl.col("birth_date"), as_of)
    gone = gone.select(
        "child_key", change=pl.when(age >= 16).then(pl.lit("turned_16")).otherwise(pl.lit("left"))
    )
    return pl.concat([both, new, gone]).sort("child_key")


def generate(
    out: Path,
    children: int,
    seed: int,
    periods: list[str],
    noise: str = "default",
    marks: bool | None = None,
    names: NameStyle = "pooled",
) -> dict:
    """Write ``out/<P>/`` extracts and ``out/truth/<P>/`` truth for each period; return counts.

    The same ``seed`` gives byte-identical files. ``marks`` False leaves out the
    arrival marks (junk rows, annotated headers, titles, extra sheets) and writes
    the very same records otherwise. ``names`` is how given names are drawn
    (``names.NAME_STYLES``: the small pools, or varied names with far fewer
    namesakes; the same records either way). The returned dict holds counts and timings
    only, never personal data.
    """
    t0 = time.perf_counter()
    out = Path(out)
    level = nz.Noise.parse(noise, marks)
    pers = [Period.parse(p) for p in periods]
    if not pers:
        raise ValueError("at least one period is needed")
    contracts = load_contracts()
    pop = build_population(children, seed, pers, names)
    events = build_events(pop, seed, pers[0].as_of)
    needs = children_of_reported_parents(pop.children, events)
    counts: dict = {
        "children_requested": children,
        "seed": seed,
        "noise": noise,
        "marks": level.marks > 0,
        "names": names,
        "periods": {},
    }
    previous: pl.DataFrame | None = None
    for index, period in enumerate(pers):
        rng = np.random.default_rng([seed, 10 + index])
        folder, truth = out / str(period), out / "truth" / str(period)
        folder.mkdir(parents=True, exist_ok=True)
        truth.mkdir(parents=True, exist_ok=True)
        c = child_flags(children_in(pop, period), events, period.as_of)
        c = with_grandparent_guardians(c, events)
        frames = child_records(c, pop, period, rng, needs)
        c = clear_undecidable(c, needs, frames)
        alt = c.select(_child_key="child_key", _alt_name=pl.concat_str(["surname", "alt_given"]))
        res_pref = c.select(_child_key="child_key", _res_pref=pl.col("residence_county").str.slice(0, 4))
        frames = {
            s: df.join(alt, on="_child_key", how="left").join(res_pref, on="_child_key", how="left")
            for s, df in frames.items()
        }
        frames["person_status"] = _person_status(events, period, rng)
        xlsx_source = (
            str(rng.choice(["insurance", "vaccination", "birth_certificates"]))
            if rng.random() < 0.5
            else None
        )
        records = []
        for source in SOURCE_ORDER:
            df = frames[source]
            if "_prefecture" in df.columns:
                df = df.with_columns(
                    _sheet=(
                        pl.col("_county") if source == "field_visits" else pl.col("_prefecture")
                    ).replace_strict({**PREFECTURE_NAMES, **_county_names()}, default="其他")
                )
            df = df.sample(fraction=1.0, shuffle=True, seed=int(rng.integers(0, 2**31)))
            title = f"{period.year}年{'上' if period.half == 1 else '下'}半年{contracts[source].title}"
            for j, (spec, cond) in enumerate(_file_specs(source, index, rng, xlsx_source, title)):
                part = df.filter(cond) if cond is not None else df
                if source == "field_visits" and part.is_empty():
                    continue
                # the marks draw from their own stream: records stay the same with or without them
                marks_rng = np.random.default_rng([seed, 10 + index, 7919, len(records)])
                records.append(
                    write_file(part, contracts[source], spec, folder, rng, level, index + j, marks_rng)
                )
        rec = pl.concat(records, how="vertical_relaxed").sort("source", "file", "row_number")
        ev_rows = rec.filter(pl.col("_event_id").is_not_null()).select(
            "source", "file", "row_number", "_event_id"
        )
        status_events = (
            ev_rows.join(classify(events, period.as_of), left_on="_event_id", right_on="event_id", how="left")
            .select(
                "source",
                "file",
                "row_number",
                "person_key",
                "status",
                "start_date",
                "end_date",
                "counts_as_of",
                "slip",
                is_decoy_kind="decoy_kind",
            )
            .sort("source", "file", "row_number")
        )
        rec.drop("_event_id").write_parquet(truth / "records.parquet")
        status_events.write_parquet(truth / "status_events.parquet")
        kids = c.select(
            "child_key",
            "name",
            "sex",
            "birth_date",
            id_number="id_now",
            hukou_county="hukou",
            residence_county="residence_county",
            residence_since="residence_since",
            father_key="father_key",
            mother_key="mother_key",
            is_migrant="is_migrant",
            is_orphan="is_orphan",
            is_unsupported="is_unsupported",
            age="age",
            unknown_hukou=pl.col("hukou").is_null(),
            family_kind="kind",
            parents_undecidable="parents_undecidable",
            parents_basis="parents_basis",
            # False for the few whose records date no arrival: only a candidate list can hold them
            presence_dated=~undated(),
        ).sort("child_key")
        kids.write_parquet(truth / "children.parquet")
        pop.parents.select("person_key", "name", "sex", "birth_date", "id_number", "id_number_15").sort(
            "person_key"
        ).write_parquet(truth / "people.parquet")
        if previous is not None:
            _changes(previous, kids, pop, period).write_parquet(truth / "changes.parquet")
        previous = kids
        mig = kids.filter("is_migrant")
        counts["periods"][str(period)] = {
            "children": kids.height,
            "migrants": mig.height,
            "orphans": int(mig["is_orphan"].sum()),
            "unsupported": int(mig["is_unsupported"].sum()),
            "parents_undecidable": int(kids["parents_undecidable"].sum()),
            "rows": dict(rec.group_by("source").len().sort("source").iter_rows()),
            "unreadable_rows": int(rec["unreadable"].sum()),
            "junk_rows": int(rec["junk"].sum()),
            "files": rec["file"].n_unique(),
        }
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


def _county_names() -> dict[str, str]:
    from taizhang.division_reference import county_names

    return county_names()
