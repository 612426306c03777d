"""Clean per-source records of one period, before any formatting noise.

Each builder picks the children a department would hold (by age, migrant
status and a per-child coverage draw that is stable across periods, so a child
on a residence permit in one half-year usually still is in the next), and fills
the contract's canonical columns with true values. ``_child_key`` carries the
truth. Every migrant child gets at least one record that carries its exact
residence start (permit start, health-record or vaccination-card opening), so
residence duration is decidable from the extracts alone; so does every newcomer
(a child living outside its hukou county for less than six months). The
exception is a few children of long-settled families (``UNDATED_SHARE``), known
only from insurance, or from school and insurance: nothing dates their arrival,
and the pipeline can only list them as candidates. A pupil who arrived after
starting school may keep the 入学年月 of the school he started in
(``TRANSFER_KEEPS_MONTH``), which then predates his arrival.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from taizhang.generate.geo import address_expr, geo
from taizhang.generate.population import Population
from taizhang.period import Period

# Share of pupils who arrived after starting school and keep their first school's 入学年月.
TRANSFER_KEEPS_MONTH = 0.5
# Share of children of long-settled migrant families (7 or older) with no record that dates their
# arrival: half known only from insurance, half from school and insurance (UNDATED_INSURANCE_ONLY).
UNDATED_SHARE = 0.004
UNDATED_INSURANCE_ONLY = 0.002

GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")


def undated() -> pl.Expr:
    """The children (a frame of ``children_in``) whose records date no arrival in the county."""
    return (pl.col("u_undated") < UNDATED_SHARE) & pl.col("is_migrant") & (pl.col("age") >= 7)


def _u(rng: np.random.Generator, n: int) -> pl.Series:
    return pl.Series(rng.random(n))


def _pick(rng: np.random.Generator, values: list[str], p: list[float], n: int) -> pl.Series:
    return pl.Series(np.asarray(values)[rng.choice(len(values), n, p=np.asarray(p) / sum(p))])


def with_parents(c: pl.DataFrame, pop: Population, rng: np.random.Generator) -> pl.DataFrame:
    """Join the parents' names, ids and phones; a parent born before 1984 sometimes appears
    with the legacy 15-digit number instead of the 18-digit one."""
    par = pop.parents
    f = par.filter(pl.col("role") == "father").select(
        father_key="person_key", f_name="name", f_id18="id_number", f_id15="id_number_15", f_phone="phone"
    )
    m = par.filter(pl.col("role") == "mother").select(
        mother_key="person_key", m_name="name", m_id18="id_number", m_id15="id_number_15", m_phone="phone"
    )
    out = c.join(f, on="father_key", how="left").join(m, on="mother_key", how="left")
    n = out.height
    legacy_f, legacy_m = _u(rng, n) < 0.3, _u(rng, n) < 0.3
    return out.with_columns(
        f_id=pl.when(pl.lit(legacy_f) & pl.col("f_id15").is_not_null()).then("f_id15").otherwise("f_id18"),
        m_id=pl.when(pl.lit(legacy_m) & pl.col("m_id15").is_not_null()).then("m_id15").otherwise("m_id18"),
    )


def _addr(code: str, rng: np.random.Generator, n: int) -> pl.Expr:
    # the hukou address is another street than the residence one
    h = pl.col("h") + (7919 if code == "hukou" else 0)
    return address_expr(pl.col(code), pl.lit(pl.Series(rng.integers(0, 3, n))), h)


def _county_name(code: str) -> pl.Expr:
    t = geo().table
    return pl.col(code).replace_strict(t["code"], t["name"], default="")


def residence_permits(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    g = pl.col("guardian")
    return c.select(
        _child_key="child_key",
        _exact=pl.lit(True),
        permit_no=pl.concat_str(
            [pl.col("residence_county"), pl.col("residence_since").dt.year().cast(pl.Utf8), "permit_seq"]
        ),
        name="name",
        sex="sex",
        ethnicity="ethnicity",
        birth_date="birth_date",
        id_number="id_now",
        hukou_address=pl.when(pl.col("hukou").is_not_null()).then(_addr("hukou", rng, n)),
        hukou_code=pl.when(pl.lit(_u(rng, n)) > 0.05).then("hukou"),
        residence_address=_addr("residence_county", rng, n),
        residence_code="residence_county",
        residence_start="residence_since",
        issue_date=pl.min_horizontal(
            pl.col("residence_since") + pl.duration(days=pl.lit(pl.Series(rng.integers(15, 120, n)))),
            pl.lit(period.as_of),
        ),
        valid_until=pl.min_horizontal(
            pl.col("residence_since") + pl.duration(days=pl.lit(pl.Series(rng.integers(15, 120, n)))),
            pl.lit(period.as_of),
        ).dt.offset_by("1y"),
        guardian1_name=pl.when(g == "father")
        .then("f_name")
        .when(g == "mother")
        .then("m_name")
        .otherwise("gp_name"),
        guardian1_id=pl.when(g == "father").then("f_id").when(g == "mother").then("m_id").otherwise("gp_id"),
        guardian1_relation=pl.when(g == "father")
        .then(pl.lit("父亲"))
        .when(g == "mother")
        .then(pl.lit("母亲"))
        .otherwise(pl.lit("祖父母")),
        guardian1_phone=pl.when(g == "father")
        .then("f_phone")
        .when(g == "mother")
        .then("m_phone")
        .otherwise("gp_phone"),
    )


def school_enrollment(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    as_of = period.as_of
    school_year = as_of.year if as_of.month >= 9 else as_of.year - 1
    start = pl.col("birth_date").dt.year() + pl.when(pl.col("birth_date").dt.month() < 9).then(6).otherwise(7)
    c = c.with_columns(grade_n=(pl.lit(school_year) - start + 1)).filter(pl.col("grade_n").is_between(1, 9))
    n = c.height
    school_start = pl.date(start, 9, 1)
    enrol = pl.max_horizontal(school_start, pl.col("residence_since")).dt.month_start()
    enrol = pl.when(enrol < pl.col("residence_since")).then(enrol.dt.offset_by("1mo")).otherwise(enrol)
    enrol = pl.min_horizontal(enrol, pl.lit(as_of))
    # a pupil who came after starting school transferred, and half of them keep the 入学年月 of the
    # school they started in: it predates their arrival in the county (TRANSFER_KEEPS_MONTH)
    transfer = (pl.col("residence_since") > school_start) & (pl.col("u_transfer") < TRANSFER_KEEPS_MONTH)
    enrol = pl.when(transfer).then(school_start).otherwise(enrol)
    numeric_grade = pl.lit(_u(rng, n)) < 0.3
    level = pl.when(pl.col("grade_n") <= 6).then(pl.lit("小学")).otherwise(pl.lit("中学"))
    return c.select(
        _child_key="child_key",
        _exact=pl.lit(False),
        _prefecture=pl.col("residence_county").str.slice(0, 4),
        pupil_no=pl.when(pl.col("id_now").is_not_null())
        .then(pl.concat_str([pl.lit("G"), "id_now"]))
        .otherwise("pupil_alt"),
        name="name",
        sex="sex",
        birth_date="birth_date",
        id_number="id_now",
        ethnicity="ethnicity",
        school_id=pl.concat_str([pl.lit("21"), pl.col("residence_county").str.slice(2, 4), "school_k", level])
        .str.replace("小学", "1")
        .str.replace("中学", "2"),
        school_name=pl.concat_str(
            [
                pl.col("residence_county"),
                pl.lit("第"),
                pl.col("school_k").cast(pl.Utf8),
                pl.lit("实验"),
                level,
            ]
        ),
        school_code="residence_county",
        grade=pl.when(numeric_grade)
        .then(pl.col("grade_n").cast(pl.Utf8))
        .otherwise(pl.col("grade_n").replace_strict(dict(enumerate(GRADES, start=1)), return_dtype=pl.Utf8)),
        enrol_month=enrol,
        school_status=_pick(rng, ["在读", "休学", "转出", "辍学", "疑似辍学"], [95, 1.5, 1.5, 1, 1], n),
        hukou_division=pl.when(pl.lit(_u(rng, n)) < 0.6).then("hukou").otherwise(_addr("hukou", rng, n)),
        residence_address=_addr("residence_county", rng, n),
        guardian1_name="f_name",
        guardian1_relation=pl.lit("父亲"),
        guardian1_id="f_id",
        guardian1_phone="f_phone",
        guardian2_name="m_name",
        guardian2_relation=pl.lit("母亲"),
        guardian2_id="m_id",
    )


def _placeholder_name(c: pl.DataFrame, rng: np.random.Generator, as_of: date) -> pl.Expr:
    """Newborns are recorded as 张小宝 or 母亲姓名+之子/之女 before they are named."""
    n = c.height
    young = (pl.lit(as_of) - pl.col("birth_date")).dt.total_days() < 120
    u = pl.lit(_u(rng, n))
    son = pl.col("sex") == "男"
    return (
        pl.when(young & (u < 0.3))
        .then(pl.concat_str(["surname", pl.lit("小宝")]))
        .when(young & (u < 0.6))
        .then(pl.concat_str(["m_name", pl.when(son).then(pl.lit("之子")).otherwise(pl.lit("之女"))]))
        .otherwise("name")
    )


def child_health(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    as_of = period.as_of
    exact = pl.lit(_u(rng, n)) < 0.6
    opened = (
        pl.when(exact)
        .then("residence_since")
        .otherwise(
            pl.min_horizontal(
                pl.col("residence_since") + pl.duration(days=pl.lit(pl.Series(rng.integers(1, 120, n)))),
                pl.lit(as_of),
            )
        )
    )
    c = c.with_columns(_opened=opened)
    follow = pl.col("_opened") + pl.duration(
        days=(pl.lit(_u(rng, n)) * (pl.lit(as_of) - pl.col("_opened")).dt.total_days()).cast(pl.Int64)
    )
    return c.select(
        _child_key="child_key",
        _exact=pl.col("_opened") == pl.col("residence_since"),
        health_record_no="health_no",
        name=_placeholder_name(c, rng, as_of),
        sex="sex",
        birth_date="birth_date",
        # infants often have no number yet, and clinics often leave it empty
        id_number=pl.when(pl.lit(_u(rng, n)) < 0.7).then("id_now"),
        birth_cert_no=pl.when(pl.lit(_u(rng, n)) < 0.7).then("cert_no"),
        mother_name="m_name",
        mother_id="m_id",
        father_name="f_name",
        father_id="f_id",
        hukou_address=pl.when(pl.col("hukou").is_not_null()).then(_addr("hukou", rng, n)),
        residence_address=_addr("residence_county", rng, n),
        residence_code="residence_county",
        clinic=pl.concat_str([_county_name("residence_county"), pl.lit("妇幼保健院")]),
        record_opened="_opened",
        last_followup=follow,
        management_status=_pick(rng, ["规范管理", "失访", "迁出"], [90, 8, 2], n),
    )


def vaccination(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    as_of = period.as_of
    exact = pl.lit(_u(rng, n)) < 0.6
    opened = (
        pl.when(exact)
        .then("residence_since")
        .otherwise(
            pl.min_horizontal(
                pl.col("residence_since") + pl.duration(days=pl.lit(pl.Series(rng.integers(1, 90, n)))),
                pl.lit(as_of),
            )
        )
    )
    c = c.with_columns(_opened=opened)
    last = pl.col("_opened") + pl.duration(
        days=(pl.lit(_u(rng, n)) * (pl.lit(as_of) - pl.col("_opened")).dt.total_days()).cast(pl.Int64)
    )
    mother = pl.lit(_u(rng, n)) < 0.7
    return c.select(
        _child_key="child_key",
        _exact=pl.col("_opened") == pl.col("residence_since"),
        client_code="client_code",
        name=_placeholder_name(c, rng, as_of),
        sex="sex",
        birth_date="birth_date",
        id_number=pl.when(pl.lit(_u(rng, n)) < 0.7).then("id_now"),
        guardian1_name=pl.when(mother).then("m_name").otherwise("f_name"),
        guardian1_phone=pl.when(mother).then("m_phone").otherwise("f_phone"),
        hukou_division="hukou",
        residence_division="residence_county",
        clinic=pl.concat_str([_county_name("residence_county"), pl.lit("社区卫生服务中心预防接种门诊")]),
        card_opened="_opened",
        last_dose=last,
        missed_doses=_pick(rng, ["0", "1", "2", "3"], [85, 9, 4, 2], n),
    )


def insurance(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    return c.select(
        _child_key="child_key",
        _exact=pl.lit(False),
        insurance_no="insurance_no",
        name="name",
        id_number="id_now",
        sex="sex",
        birth_date="birth_date",
        insured_division="residence_county",
        insurance_status=_pick(rng, ["参保缴费", "暂停缴费", "终止参保"], [92, 5, 3], n),
        insurance_year=pl.lit(str(period.as_of.year)),
        remote_care=pl.when(
            pl.col("hukou").str.starts_with("22").fill_null(True) | (pl.lit(_u(rng, n)) < 0.6)
        )
        .then(pl.lit("否"))
        .otherwise(pl.lit("是")),
    )


def birth_certificates(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    young = (pl.lit(period.as_of) - pl.col("birth_date")).dt.total_days() < 365
    return c.select(
        _child_key="child_key",
        _exact=pl.lit(False),
        birth_cert_no="cert_no",
        name=pl.when(young & (pl.lit(_u(rng, n)) < 0.3)).then(pl.lit(None, dtype=pl.Utf8)).otherwise("name"),
        sex="sex",
        birth_date="birth_date",
        birth_place_code="birth_county",
        mother_name="m_name",
        mother_id="m_id",
        father_name="f_name",
        father_id="f_id",
    )


def field_visits(c: pl.DataFrame, period: Period, rng: np.random.Generator) -> pl.DataFrame:
    n = c.height
    hard = pl.col("is_orphan") | pl.col("is_unsupported")
    u = pl.lit(_u(rng, n))
    guard = (
        pl.when(hard & (u < 0.5))
        .then(pl.lit("监护缺失"))
        .when(hard)
        .then(pl.lit("监护不足"))
        .otherwise(
            _pick(
                rng, ["良好", "一般", "监护不足", "监护不当", "监护缺失", "监护侵害"], [60, 28, 6, 3, 2, 1], n
            )
        )
    )
    special = _pick(
        rng, ["", "", "", "", "单亲", "失辍学", "重病", "残疾、单亲", "心理行为异常", "流浪经历"], [1] * 10, n
    )
    urgent = _pick(
        rng,
        [
            "",
            "脱离监护单独居住",
            "监护人丧失监护能力",
            "监护人不履行监护责任",
            "疑似家庭暴力",
            "监护人丧失监护能力、疑似家庭暴力",
        ],
        [90, 2, 3, 2, 2, 1],
        n,
    )
    remarks = _pick(
        rng, ["", "父母外出务工", "家庭经济困难", "已联系社区", "需再次走访"], [50, 20, 15, 10, 5], n
    )
    visit = pl.lit(period.as_of) - pl.duration(days=pl.lit(pl.Series(rng.integers(1, 170, n))))
    return c.select(
        _child_key="child_key",
        _exact=pl.lit(False),
        _prefecture=pl.col("residence_county").str.slice(0, 4),
        _county=pl.col("residence_county"),
        name="name",
        id_number="id_now",
        birth_date="birth_date",
        residence_code="residence_county",
        visit_date=pl.max_horizontal(visit, pl.col("residence_since")),
        guardianship=guard,
        special=pl.when(pl.lit(special) == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.lit(special)),
        self_apply=pl.when(hard | (u < 0.05)).then(pl.lit("是")).otherwise(pl.lit("否")),
        urgent=pl.when(pl.lit(urgent) == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.lit(urgent)),
        remarks=pl.when(pl.lit(remarks) == "").then(pl.lit(None, dtype=pl.Utf8)).otherwise(pl.lit(remarks)),
    )


BUILDERS = {
    "residence_permits": residence_permits,
    "school_enrollment": school_enrollment,
    "child_health": child_health,
    "vaccination": vaccination,
    "insurance": insurance,
    "birth_certificates": birth_certificates,
    "field_visits": field_visits,
}


# sources that name both parents with their ids (school: guardian1 父亲, guardian2 母亲), in the
# order an anchor record is taken from: those that also carry the child's own id first
PARENT_SOURCES = ("school_enrollment", "child_health", "birth_certificates")


def add_parent_records(
    out: dict[str, pl.DataFrame], c: pl.DataFrame, needs: pl.Series, period: Period, rng: np.random.Generator
) -> dict[str, pl.DataFrame]:
    """Give every child in ``needs`` one record naming both parents by id, where it can have one.

    The truth of an orphan or unsupported child (and of every decoy) rests on
    its parents' statuses, which the pipeline can only read once it knows the
    parents' numbers. A child holding no school, health or birth-certificate
    record gets the one its situation allows: a health record up to age 6, a
    migrant pupil record in grades 1–9, else a birth certificate when born in
    Jilin. One record per child is then marked ``_clean_ids``: its parents' ids
    keep their digits whatever the noise; ``_parents_basis`` is ``own_record``.

    A child with none of these (a 15–17-year-old born outside Jilin) can still
    be identified the way the pipeline's co-parent rule does it: one parent
    named by relation and number on its own residence permit, and a sibling's
    record naming that parent beside the other. Such a child gets a permit
    naming a parent if it has none, that row is marked ``_clean_ids``, and
    ``_parents_basis`` is ``co_parent``. Any other child stays unidentifiable
    (the caller clears its truth flags).
    """
    key = pl.col("child_key")
    want = c.filter(key.is_in(needs.implode()))
    have = pl.concat([out[s].select("_child_key") for s in PARENT_SOURCES])["_child_key"]
    lacking = want.filter(~key.is_in(have.implode()))
    if lacking.height:
        young = lacking.filter(pl.col("age") <= 6)
        out["child_health"] = pl.concat([out["child_health"], child_health(young, period, rng)])
        rest = lacking.filter(pl.col("age") > 6)
        pupils = school_enrollment(rest.filter("migrant_like"), period, rng)
        out["school_enrollment"] = pl.concat([out["school_enrollment"], pupils])
        rest = rest.filter(~key.is_in(pupils["_child_key"].implode()) & pl.col("cert_no").is_not_null())
        out["birth_certificates"] = pl.concat(
            [out["birth_certificates"], birth_certificates(rest, period, rng)]
        )
    # the anchor: the first record of the most useful source, per child that needs one
    cand = pl.concat(
        [
            out[s]
            .select("_child_key")
            .with_row_index("_row")
            .with_columns(_rank=pl.lit(i, dtype=pl.Int32))
            .filter(pl.col("_child_key").is_in(needs.implode()))
            for i, s in enumerate(PARENT_SOURCES)
        ]
    )
    anchor = cand.sort("_rank", "_row").unique("_child_key", keep="first", maintain_order=True)
    row = pl.int_range(pl.len(), dtype=pl.UInt32)
    for i, s in enumerate(PARENT_SOURCES):
        rows = anchor.filter(pl.col("_rank") == i)["_row"]
        out[s] = out[s].with_columns(
            _clean_ids=row.is_in(rows.implode()),
            _parents_basis=pl.when(row.is_in(rows.implode())).then(pl.lit("own_record")),
        )
    # the co-parent route: a sibling's anchor names both parents
    anchored = anchor["_child_key"].implode()
    families = want.filter(key.is_in(anchored))["family"].unique().implode()
    via = want.filter(~key.is_in(anchored) & pl.col("family").is_in(families))
    permits = out["residence_permits"]
    parent_rel = pl.col("guardian1_relation").is_in(["父亲", "母亲"])
    named = permits.filter(parent_rel & pl.col("_child_key").is_in(via["child_key"].implode()))["_child_key"]
    extra = via.filter(~key.is_in(named.implode()) & pl.col("migrant_like"))
    if extra.height:
        # the permit names whichever parent the child lives with; a grandparent is replaced by the father
        extra = extra.with_columns(
            guardian=pl.when(pl.col("guardian") == "mother")
            .then(pl.lit("mother"))
            .otherwise(pl.lit("father"))
        )
        permits = pl.concat([permits, residence_permits(extra, period, rng)])
    first = (
        permits.select("_child_key", parent_rel.alias("_rel"))
        .with_row_index("_row")
        .filter(pl.col("_rel") & pl.col("_child_key").is_in(via["child_key"].implode()))
        .unique("_child_key", keep="first", maintain_order=True)["_row"]
        .implode()
    )
    out["residence_permits"] = permits.with_columns(
        _clean_ids=row.is_in(first), _parents_basis=pl.when(row.is_in(first)).then(pl.lit("co_parent"))
    )
    return out


def child_records(
    c: pl.DataFrame, pop: Population, period: Period, rng: np.random.Generator, needs_parents: pl.Series
) -> dict[str, pl.DataFrame]:
    """Clean records of every child-level source for one period (``c`` from ``children_in``
    with the truth flags), including ~3% within-source duplicates. Children in
    ``needs_parents`` (their parents have status events) get a parent record
    (``add_parent_records``)."""
    c = with_parents(c, pop, rng)
    c = c.with_columns(
        _undated=undated(),
        _insurance_only=(pl.col("u_undated") < UNDATED_INSURANCE_ONLY) | ~pl.col("age").is_between(6, 15),
    )
    dated = ~pl.col("_undated")
    ml = pl.col("migrant_like")
    school = ml & pl.col("age").is_between(6, 15)
    sel = {
        "residence_permits": dated & ml & (pl.col("u_permit") < 0.6),
        "school_enrollment": school
        & ((dated & (pl.col("u_school") < 0.85)) | (pl.col("_undated") & ~pl.col("_insurance_only"))),
        "child_health": (pl.col("age") <= 6) & (pl.col("u_health") < 0.85),
        "vaccination": ml & (pl.col("age") <= 6) & (pl.col("u_vacc") < 0.7),
        "insurance": (pl.col("u_ins") < 0.8) | pl.col("_undated"),
        "birth_certificates": dated & pl.col("birth_county").is_not_null() & (pl.col("u_cert") < 0.7),
        "field_visits": dated
        & pl.col("is_migrant")
        & (
            (pl.col("u_visit") < 0.04)
            | ((pl.col("is_orphan") | pl.col("is_unsupported")) & (pl.col("u_visit") < 0.4))
        ),
    }
    out = {s: BUILDERS[s](c.filter(expr), period, rng) for s, expr in sel.items()}
    # every child living outside its hukou county (under 16) has one record with its exact residence
    # start, but for the undated few: a permit (or the residence registration a newcomer makes on
    # arrival), a health record or a vaccination card opened here. A health record marked 迁出
    # (transferred out) is no evidence of living here, so it does not count
    evidence = {
        "residence_permits": pl.col("_exact"),
        "child_health": pl.col("_exact") & (pl.col("management_status") != "迁出"),
        "vaccination": pl.col("_exact"),
    }
    exact = pl.concat([out[s].filter(e).select("_child_key") for s, e in evidence.items()])
    lacking = c.filter(
        ml & (pl.col("age") < 16) & dated & ~pl.col("child_key").is_in(exact["_child_key"].implode())
    )
    if lacking.height:
        out["residence_permits"] = pl.concat(
            [out["residence_permits"], residence_permits(lacking, period, rng)]
        )
    # every child living here appears somewhere
    seen = pl.concat([df.select("_child_key") for df in out.values()])["_child_key"].unique()
    unseen = c.filter(~pl.col("child_key").is_in(seen.implode()))
    if unseen.height:
        out["insurance"] = pl.concat([out["insurance"], insurance(unseen, period, rng)])
    # the undated children have no record naming their parents either (the truth then clears flags)
    undated_keys = c.filter("_undated")["child_key"]
    needs = needs_parents.filter(~needs_parents.is_in(undated_keys.implode()))
    out = add_parent_records(out, c, needs, period, rng)
    for s, df in out.items():
        dup = df.filter(pl.lit(_u(rng, df.height)) < 0.03)
        out[s] = pl.concat([df, dup])
    return out
