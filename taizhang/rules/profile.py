"""One profile per child, by explicit survivorship rules over all its linked records.

Policy basis: the 2024 monitoring (民发〔2024〕17号 and the 2024 行动方案 /
吉民发〔2024〕34号) keeps "一人一档", one file per child, built by 比对核实
(cross-checking) the department extracts, and counts migrant children "mainly
where they live now" (docs/policy.md §2.2). So each field below is chosen by a rule
that can be read back, and keeps the row it came from in ``<field>_source``
(``{source, file, row_number}``):

- ``id_number``: a ``valid`` number beats a ``bad_check`` one; among equals the
  most frequent, then the most recent row. Two different valid numbers on one
  child cannot happen after linkage; ``n_valid_ids`` counts them defensively.
- ``name``: agreement across sources: the most frequent non-placeholder
  normalised name (placeholders such as 之子/小宝 only when nothing else), ties
  to the most recent row, then source priority.
- ``birth_date`` and ``sex``: from the chosen valid identity number, else the
  most frequent value on the records; a birth date, else last half-year's
  ledger for the same child id (a birth date does not change).
- ``residence_county``: the most recent evidence of where the child lives
  (field visit date; permit issue or residence start; school enrolment; health
  follow-up or record opening; last vaccination or card opening), ties by
  source priority (field visit, permit, school, health, vaccination).
  Insurance is used only when nothing else names a residence, because children
  are often insured where their hukou is. Pupils marked 转出 and health
  records marked 迁出 are no longer evidence of residence, and birth
  certificates name a birthplace, not a residence.
- ``hukou_county``: the most frequent hukou county on the records. The address
  code of an identity number is the county of first registration (docs/policy.md
  §3), not the current hukou, so it is used only when no record names a hukou,
  and then ``hukou_basis`` says ``id_address_code``.
- ``residence_since``: the earliest date that shows the child PRESENT in the
  profile's residence county, and ``residence_basis`` names the evidence that
  gave it (:data:`RESIDENCE_BASES`): a permit's residence start (else its issue
  date), both issued for that county; a child health record or vaccination
  card opened by a clinic of that county (a clinic whose name names another
  county or city is not: a record opened at birth in the hukou county and
  managed here since keeps its first opening date; a name that names no
  division is taken for the extract's own county); birth in that county (a
  birth certificate's place of birth); a home visit by the county's child
  director; or last half-year's ledger, which placed the child in the same
  county (its ``residence_since`` carries over). The school's 入学年月 is NOT
  such evidence: it is the month the pupil entered the current school stage,
  and a pupil who transfers keeps it, so it says nothing about when the family
  came to the county. Nor is the insurance year: residents' insurance covers
  the whole calendar year whatever the date a newcomer enrolled.
- ``in_child_health``: the child has a record in the 0-6 child health
  management extract (0～6岁儿童健康管理, 卫健): it is under 7 whatever its
  records say of the birth date, which the migrant rule uses when no birth
  date is known.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from taizhang.ages import age_at
from taizhang.parsers.divisions import resolve_divisions
from taizhang.rules.columns import RECORD_CHILD_COLUMNS, RECORD_COLUMNS, conform
from taizhang.rules.row_refs import ref
from taizhang.rules.survivorship import SOURCE_PRIORITY, choose, source_rank, survivorship_order
from taizhang.rules.usable_ids import usable_id

# What dates a child's presence in its residence county (``residence_basis``).
RESIDENCE_BASES = (
    "permit_start",
    "permit_issue",
    "health_record",
    "vaccination_card",
    "birth",
    "home_visit",
    "previous_run",
)

PROFILE_FIELDS = (
    "id_number",
    "name",
    "birth_date",
    "sex",
    "ethnicity",
    "residence_county",
    "hukou_county",
    "residence_since",
)


def link_records(records: pl.DataFrame, record_child: pl.DataFrame) -> pl.DataFrame:
    """Records with their ``child_id`` (rows the linker left unassigned are dropped), conformed."""
    rc = conform(record_child, RECORD_CHILD_COLUMNS).select("record_id", "child_id")
    records = conform(records, RECORD_COLUMNS)
    if rc["record_id"].is_unique().all():
        # One child per record (what the linker writes): the child id is looked up beside the
        # records instead of joined into a second copy of the province's records.
        child_id = records.select("record_id").join(rc, on="record_id", how="left", maintain_order="left")
        linked = records.with_columns(child_id=child_id["child_id"])
    else:
        linked = records.join(rc, on="record_id", how="inner")
    if linked["child_id"].null_count():
        linked = linked.filter(pl.col("child_id").is_not_null())
    return linked


def _clip(d: pl.Expr, as_of: date) -> pl.Expr:
    """A date after the as-of date says nothing about the half-year: treat it as unknown."""
    return pl.when(d <= as_of).then(d)


def clinic_divisions(clinic: pl.Series) -> pl.DataFrame:
    """``clinic, _clinic_county, _clinic_prefecture``: the county and prefecture each distinct clinic
    text (管理机构名称 / 接种单位) names, or null.

    Resolved once per distinct clinic text with the standardizer's division search (each text on
    its own); a clinic named only by its city (长春市妇幼保健院) has a prefecture and no county.
    """
    return resolve_divisions(clinic.drop_nulls().unique().sort()).select(
        pl.col("raw").alias("clinic"), _clinic_county="county", _clinic_prefecture="prefecture"
    )


def with_clinic_county(linked: pl.DataFrame, table: pl.DataFrame | None = None) -> pl.DataFrame:
    """Add ``_clinic_county`` and ``_clinic_prefecture`` (see :func:`clinic_divisions`; ``table``
    when the caller resolved the clinics already, for the records of several buckets)."""
    if table is None:
        table = clinic_divisions(linked["clinic"])
    # a lookup beside the records, not a join that would copy every column of them
    return linked.with_columns(
        pl.col("clinic")
        .replace_strict(table["clinic"], table[name], default=None, return_dtype=pl.Utf8)
        .alias(name)
        for name in ("_clinic_county", "_clinic_prefecture")
    )


def clinic_of_county() -> pl.Expr:
    """The row's clinic is of its residence county: it names that county; or it names only the
    county's city; or it names no division at all (the extract's own county is then the clinic's).
    A clinic that names another county or another city is not."""
    named = pl.col("_clinic_county")
    city = pl.col("_clinic_prefecture")
    own_city = pl.col("residence_county").str.slice(0, 4) + pl.lit("00")
    return (
        pl.when(named.is_not_null())
        .then(named == pl.col("residence_county"))
        .when(city.is_not_null())
        .then(city == own_city)
        .otherwise(pl.col("residence_county").is_not_null())
    ).fill_null(False)


def with_evidence_dates(
    linked: pl.DataFrame, as_of: date, clinics: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Add ``evidence_date`` (how recent the row is), ``since_date`` (start of residence it shows),
    ``since_basis`` and ``since_county`` (what kind of presence it dates, and where),
    ``residence_tier`` (0 direct evidence, 1 insurance, null not residence evidence), ``_rank``, ``_ref``.

    Insurance and school rows have an evidence date (for recency) but no
    ``since_date`` (see the module docstring), nor have rows that no longer
    show the child living there (转出, 迁出). ``clinics`` is :func:`clinic_divisions` of the
    clinics when the caller resolved them already (for the records of several buckets)."""
    src = pl.col("source")
    year_start = pl.date(pl.col("insurance_year"), 1, 1)
    evidence = (
        pl.when(src == "field_visits")
        .then(pl.col("visit_date"))
        .when(src == "residence_permits")
        .then(pl.max_horizontal(_clip(pl.col("issue_date"), as_of), _clip(pl.col("residence_start"), as_of)))
        .when(src == "school_enrollment")
        .then(pl.col("enrol_month"))
        .when(src == "child_health")
        .then(pl.coalesce(_clip(pl.col("last_followup"), as_of), pl.col("record_opened")))
        .when(src == "vaccination")
        .then(pl.coalesce(_clip(pl.col("last_dose"), as_of), pl.col("card_opened")))
        .when(src == "insurance")
        .then(year_start)
    )
    clinic_here = clinic_of_county()
    permit_start = pl.col("residence_start").is_not_null()
    since = (
        pl.when(src == "field_visits")
        .then(pl.col("visit_date"))
        .when(src == "residence_permits")
        .then(pl.coalesce(pl.col("residence_start"), pl.col("issue_date")))
        .when((src == "child_health") & clinic_here)
        .then(pl.col("record_opened"))
        .when((src == "vaccination") & clinic_here)
        .then(pl.col("card_opened"))
        .when(src == "birth_certificates")
        .then(pl.coalesce(pl.col("birth_date"), pl.col("id_birth_date")))
    )
    since_basis = (
        pl.when(src == "field_visits")
        .then(pl.lit("home_visit"))
        .when((src == "residence_permits") & permit_start)
        .then(pl.lit("permit_start"))
        .when(src == "residence_permits")
        .then(pl.lit("permit_issue"))
        .when(src == "child_health")
        .then(pl.lit("health_record"))
        .when(src == "vaccination")
        .then(pl.lit("vaccination_card"))
        .when(src == "birth_certificates")
        .then(pl.lit("birth"))
    )
    # the county the since date is about: the birthplace for a birth certificate
    since_county = (
        pl.when(src == "birth_certificates")
        .then(pl.col("birth_place_county"))
        .otherwise(pl.col("residence_county"))
    )
    left = ((src == "school_enrollment") & (pl.col("school_status") == "转出")) | (
        (src == "child_health") & (pl.col("management_status") == "迁出")
    )
    tier = (
        pl.when(pl.col("residence_county").is_null() | left.fill_null(False))
        .then(None)
        .when(
            src.is_in(
                ["field_visits", "residence_permits", "school_enrollment", "child_health", "vaccination"]
            )
        )
        .then(pl.lit(0, dtype=pl.Int8))
        .when(src == "insurance")
        .then(pl.lit(1, dtype=pl.Int8))
    )
    linked = with_clinic_county(linked, clinics)
    return linked.with_columns(
        evidence_date=_clip(evidence, as_of),
        since_date=pl.when(~left.fill_null(False)).then(_clip(since, as_of)),
        since_basis=since_basis,
        since_county=since_county,
        residence_tier=tier,
        _rank=source_rank(),
        _ref=ref(),
    )


def residence_since(
    rows: pl.DataFrame,
    residence: pl.DataFrame,
    as_of: date,
    previous: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``child_id, residence_since, residence_since_source, residence_basis``: the earliest dated
    presence in the chosen residence county (module docstring), or no row.

    ``previous`` (last half-year's ledger) adds its ``residence_since`` when it placed the child
    in the same county; the source then names ``previous_ledger``.
    """
    res = residence.select("child_id", res=pl.col("residence_county"))
    own = rows.filter(pl.col("since_date").is_not_null()).select(
        "child_id",
        "since_county",
        since_date="since_date",
        basis="since_basis",
        ref="_ref",
        _rank="_rank",
        file="file",
        row_number="row_number",
    )
    dated = (
        own.join(res, on="child_id")
        .filter(pl.col("since_county") == pl.col("res"))
        .drop("since_county", "res")
    )
    if previous is not None and {"residence_county", "residence_since"} <= set(previous.columns):
        carried = (
            previous.select(
                "child_id",
                pl.col("residence_county").cast(pl.Utf8).alias("prev_res"),
                pl.col("residence_since").cast(pl.Date).alias("since_date"),
            )
            .join(res, on="child_id")
            .filter((pl.col("prev_res") == pl.col("res")) & (pl.col("since_date") <= as_of))
            .select(
                "child_id",
                "since_date",
                basis=pl.lit("previous_run"),
                ref=pl.struct(
                    pl.lit("previous_ledger").alias("source"),
                    pl.lit("ledger.parquet").alias("file"),
                    pl.lit(None, dtype=pl.Int64).alias("row_number"),
                ),
                _rank=pl.lit(len(SOURCE_PRIORITY) + 1, dtype=pl.Int32),
                file=pl.lit("ledger.parquet"),
                row_number=pl.lit(None, dtype=pl.Int64),
            )
        )
        dated = pl.concat([dated, carried.cast(dated.schema)])
    return (
        dated.sort(["child_id", "since_date", "_rank", "file", "row_number"], nulls_last=True)
        .group_by("child_id", maintain_order=True)
        .first()
        .select(
            "child_id", residence_since="since_date", residence_since_source="ref", residence_basis="basis"
        )
    )


def build_profiles(
    records: pl.DataFrame,
    record_child: pl.DataFrame,
    as_of: date,
    previous: pl.DataFrame | None = None,
    dated: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per linked child: the fields of :data:`PROFILE_FIELDS`, each with ``<field>_source``.

    Also ``id_status`` (of the chosen number), ``n_valid_ids``, ``hukou_basis``
    (``records``, ``id_address_code`` or null), ``age`` (周岁 at ``as_of``),
    ``n_records``, ``in_child_health``, ``residence_basis`` (what dated the residence start, one
    of :data:`RESIDENCE_BASES`) and ``residence_tier`` (1 when only insurance names the
    residence). ``previous`` (``child_id``, ``birth_date``: last
    half-year's ledger) gives the birth date of a child seen again when none of its records now
    has one (a birth date does not change); its source is then ``previous_ledger``. ``dated`` is
    ``with_evidence_dates(link_records(records, record_child), as_of)`` when the caller has it
    already (the province's records are not joined twice).
    """
    rows = dated if dated is not None else with_evidence_dates(link_records(records, record_child), as_of)
    children = (
        rows.group_by("child_id")
        .agg(n_records=pl.len(), in_child_health=(pl.col("source") == "child_health").any())
        .sort("child_id")
    )

    # The columns the survivorship choices read, sorted once in their tie-break order.
    ordered = survivorship_order(
        rows.select(
            "child_id",
            "evidence_date",
            "_rank",
            "file",
            "row_number",
            "_ref",
            "id_number",
            "id_status",
            "name",
            "name_placeholder",
            "birth_date",
            "sex",
            "ethnicity",
            "hukou_county",
            "residence_county",
            "residence_tier",
        )
    )
    usable = usable_id()
    id_columns = {
        "id_number": pl.when(usable).then(pl.col("id_number")),
        "_id_tier": pl.when(pl.col("id_status") == "valid").then(0).otherwise(1),
    }
    chosen_id = choose(
        ordered.with_columns(**id_columns), "id_number", by_frequency=True, tier="_id_tier", ordered=True
    )
    ids = rows.with_columns(**id_columns)
    id_facts = (
        ids.filter(pl.col("id_number").is_not_null())
        .select("child_id", "id_number", "id_status", "id_birth_date", "id_sex", "id_county")
        .unique(subset=["child_id", "id_number"], keep="first", maintain_order=True)
    )
    chosen_id = chosen_id.join(id_facts, on=["child_id", "id_number"], how="left")
    n_valid = (
        rows.filter(pl.col("id_status") == "valid")
        .group_by("child_id")
        .agg(n_valid_ids=pl.col("id_number").n_unique().cast(pl.Int32))
    )

    names = ordered.with_columns(
        name=pl.when(pl.col("name").str.len_chars() > 0).then(pl.col("name")),
        _name_tier=pl.col("name_placeholder").fill_null(False).cast(pl.Int8),
    )
    chosen_name = choose(names, "name", by_frequency=True, tier="_name_tier", ordered=True)
    birth = choose(ordered, "birth_date", by_frequency=True, ordered=True)
    sex = choose(ordered, "sex", by_frequency=True, ordered=True)
    ethnicity = choose(ordered, "ethnicity", by_frequency=True, ordered=True)
    hukou = choose(ordered, "hukou_county", by_frequency=True, ordered=True)
    residence = choose(
        ordered.filter(pl.col("residence_tier").is_not_null()),
        "residence_county",
        by_frequency=False,
        tier="residence_tier",
        ordered=True,
    )
    del ordered, names
    # the tier sorts first, so the chosen residence has the child's best tier (1 = insurance only)
    residence = residence.join(
        rows.group_by("child_id").agg(pl.col("residence_tier").min()), on="child_id", how="left"
    )
    since = residence_since(rows, residence, as_of, previous)
    p = (
        children.join(chosen_id, on="child_id", how="left")
        .join(n_valid, on="child_id", how="left")
        .join(chosen_name, on="child_id", how="left")
        .join(
            birth.rename({"birth_date": "_birth", "birth_date_source": "_birth_src"}),
            on="child_id",
            how="left",
        )
        .join(sex.rename({"sex": "_sex", "sex_source": "_sex_src"}), on="child_id", how="left")
        .join(ethnicity, on="child_id", how="left")
        .join(
            hukou.rename({"hukou_county": "_hukou", "hukou_county_source": "_hukou_src"}),
            on="child_id",
            how="left",
        )
        .join(residence, on="child_id", how="left")
        .join(since, on="child_id", how="left")
    )
    if previous is not None:
        known = previous.select("child_id", pl.col("birth_date").cast(pl.Date).alias("_known_birth")).unique(
            "child_id", keep="first"
        )
        p = p.join(known, on="child_id", how="left").with_columns(
            _birth_src=pl.when(pl.col("_birth").is_null() & pl.col("_known_birth").is_not_null())
            .then(
                pl.struct(
                    pl.lit("previous_ledger").alias("source"),
                    pl.lit("ledger.parquet").alias("file"),
                    pl.lit(None, dtype=pl.Int64).alias("row_number"),
                )
            )
            .otherwise(pl.col("_birth_src")),
            _birth=pl.coalesce("_birth", "_known_birth"),
        )
    from_id = (pl.col("id_status") == "valid") & pl.col("id_birth_date").is_not_null()
    sex_from_id = (pl.col("id_status") == "valid") & pl.col("id_sex").is_not_null()
    hukou_from_id = pl.col("_hukou").is_null() & pl.col("id_county").is_not_null()
    p = p.with_columns(
        birth_date=pl.when(from_id).then(pl.col("id_birth_date")).otherwise(pl.col("_birth")),
        birth_date_source=pl.when(from_id).then(pl.col("id_number_source")).otherwise(pl.col("_birth_src")),
        sex=pl.when(sex_from_id).then(pl.col("id_sex")).otherwise(pl.col("_sex")),
        sex_source=pl.when(sex_from_id).then(pl.col("id_number_source")).otherwise(pl.col("_sex_src")),
        hukou_county=pl.coalesce(pl.col("_hukou"), pl.when(hukou_from_id).then(pl.col("id_county"))),
        hukou_county_source=pl.when(pl.col("_hukou").is_not_null())
        .then(pl.col("_hukou_src"))
        .when(hukou_from_id)
        .then(pl.col("id_number_source")),
        hukou_basis=pl.when(pl.col("_hukou").is_not_null())
        .then(pl.lit("records"))
        .when(hukou_from_id)
        .then(pl.lit("id_address_code")),
        n_valid_ids=pl.col("n_valid_ids").fill_null(0),
    ).with_columns(age=age_at(pl.col("birth_date"), as_of))
    cols = ["child_id"]
    for f in PROFILE_FIELDS:
        cols += [f, f"{f}_source"]
    return p.select(
        *cols,
        "residence_basis",
        "residence_tier",
        "id_status",
        "n_valid_ids",
        "hukou_basis",
        "age",
        "n_records",
        "in_child_health",
    ).sort("child_id")
