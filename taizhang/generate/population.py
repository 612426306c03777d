"""The synthetic population: families, parents and children with their timelines.

The population is drawn once for all periods, as a timeline: birth dates,
arrival in the residence county, an optional move to another county or
departure from Jilin between periods, and the date each child's identity number
is issued. A period's state (``children_in``) is read off that timeline at the
period's as-of date, so the same child keeps its ``child_key`` and advances in
age from one half-year to the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from taizhang.ages import age_at
from taizhang.generate import geo as geo_mod
from taizhang.generate import names as nm
from taizhang.generate.ids import assign_sequences, build_id, issued_address_code, to_legacy_15
from taizhang.period import Period

EPOCH = date(1970, 1, 1)
YEAR = 365.25
# family kinds; migrant families live outside their hukou county
KINDS = ("migrant", "urban_move", "local", "unknown_hukou")
KIND_P = (0.56, 0.08, 0.355, 0.005)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def to_date(days: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int64)).cast(pl.Int32).cast(pl.Date)


@dataclass(frozen=True)
class Population:
    """Static attributes and timelines of every child and parent of all periods."""

    children: pl.DataFrame
    parents: pl.DataFrame
    grandparents: pl.DataFrame
    # How given names are drawn (names.NameStyle): later draws (status reports) follow it too.
    names: nm.NameStyle = "pooled"


def six_months_before(as_of: date) -> date:
    """The last residence start that still gives '6 months or more' at ``as_of``."""
    month = as_of.month - 6
    year = as_of.year
    if month <= 0:
        month += 12
        year -= 1
    day = min(as_of.day, [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1])
    return date(year, month, day)


def _digits(rng: np.random.Generator, n: int, k: int) -> pl.Series:
    """``n`` random strings of ``k`` digits."""
    return pl.Series(rng.integers(0, 10**k, n, dtype=np.int64)).cast(pl.Utf8).str.zfill(k)


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    prefixes = np.array(
        [130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 158, 159, 180, 186, 188]
    )
    p = pl.Series(prefixes[rng.integers(0, len(prefixes), n)]).cast(pl.Utf8)
    return pl.concat_str([p, _digits(rng, n, 8)], separator="") if n else pl.Series([], dtype=pl.Utf8)


def _families(rng: np.random.Generator, n_fam: int, periods: list[Period]) -> pl.DataFrame:
    g = geo_mod.geo()
    jl = g.jilin
    t = g.table
    first, last = day_number(periods[0].as_of), day_number(periods[-1].as_of)
    span = last - first
    kind = np.asarray(KINDS)[rng.choice(len(KINDS), n_fam, p=KIND_P)]
    # residence: no development zone or undetermined district for the urban decoys
    res = geo_mod.draw_counties(rng, n_fam, jl.filter(pl.col("urban_known")))
    pref = dict(zip(t["code"], t["prefecture"], strict=True))
    urban = dict(zip(t["code"], t["urban"], strict=True))
    known = dict(zip(t["code"], t["urban_known"], strict=True))
    fam = pl.DataFrame({"kind": kind, "res": res})
    fam = fam.with_columns(
        res_pref=pl.col("res").replace_strict(pref),
        res_urban=pl.col("res").replace_strict(urban, return_dtype=pl.Int8),
    )
    # hukou candidates: other Jilin county, redrawn until the move is a real cross-county one
    hk = geo_mod.draw_counties(rng, n_fam, jl)
    other_prov = np.asarray(list(geo_mod.OTHER_PROVINCE_COUNTIES))[rng.integers(0, 8, n_fam)]
    fam = fam.with_columns(hk=pl.Series(hk), other=pl.Series(other_prov), u=pl.Series(rng.random(n_fam)))
    fam = fam.with_columns(
        hk_pref=pl.col("hk").replace_strict(pref),
        hk_urban=pl.col("hk").replace_strict(urban, return_dtype=pl.Int8),
        hk_known=pl.col("hk").replace_strict(known, return_dtype=pl.Boolean),
    )
    bad_pair = (pl.col("hk") == pl.col("res")) | (
        (pl.col("hk_pref") == pl.col("res_pref")) & ~(pl.col("hk_known") & (pl.col("hk_urban") == 0))
    )
    urban_codes = jl.filter(pl.col("urban") == 1)
    # urban decoys: a central district of a city with at least two of them
    multi = (
        urban_codes.group_by("prefecture").agg(pl.col("code").sort()).filter(pl.col("code").list.len() >= 2)
    )
    ud = multi.explode("code").sort("code")
    u_res = ud["code"].to_numpy()[rng.integers(0, ud.height, n_fam)]
    shift = rng.integers(1, 5, n_fam)
    ud_map = ud.with_columns(i=pl.int_range(pl.len()).over("prefecture"), k=pl.len().over("prefecture"))
    fam = fam.with_columns(u_res=pl.Series(u_res), shift=pl.Series(shift))
    fam = fam.join(
        ud_map.select(u_res="code", u_pref="prefecture", u_i="i", u_k="k"), on="u_res", how="left"
    ).with_columns(u_j=(pl.col("u_i") + pl.col("shift") % (pl.col("u_k") - 1).clip(1) + 0) % pl.col("u_k"))
    fam = fam.with_columns(
        u_j=pl.when(pl.col("u_j") == pl.col("u_i")).then((pl.col("u_j") + 1) % pl.col("u_k")).otherwise("u_j")
    ).join(ud_map.select(u_pref="prefecture", u_j="i", u_hk="code"), on=["u_pref", "u_j"], how="left")
    fam = fam.with_columns(
        res=pl.when(pl.col("kind") == "urban_move").then("u_res").otherwise("res"),
        hukou=pl.when(pl.col("kind") == "local")
        .then("res")
        .when(pl.col("kind") == "urban_move")
        .then("u_hk")
        .when(pl.col("kind") == "unknown_hukou")
        .then(pl.lit(None, dtype=pl.Utf8))
        .when((pl.col("u") < 0.38) | bad_pair)
        .then("other")
        .otherwise("hk"),
    )
    # arrival in the residence county
    r = rng.random(n_fam)
    long_ago = first - rng.integers(190, int(10 * YEAR), n_fam)
    recent = first - rng.integers(5, 178, n_fam)
    later = first + rng.integers(5, max(span - 5, 6), n_fam) if span > 10 else recent
    arrive = np.where(r < 0.83, long_ago, np.where(r < 0.92, recent, later))
    fam = fam.with_columns(arrive=pl.Series(arrive, dtype=pl.Int64))
    fam = fam.with_columns(
        arrive=pl.when(pl.col("kind") == "local").then(pl.lit(-100_000, dtype=pl.Int64)).otherwise("arrive")
    )
    # departures from Jilin and moves to another county between periods
    n_later = max(len(periods) - 1, 0)
    mobile = pl.col("kind") != "local"
    leave = np.where(rng.random(n_fam) < 0.03 * n_later, first + rng.integers(1, max(span, 2), n_fam), -1)
    move = np.where(rng.random(n_fam) < 0.025 * n_later, first + rng.integers(1, max(span, 2), n_fam), -1)
    dest = geo_mod.draw_counties(rng, n_fam, jl.filter(pl.col("urban_known")))
    fam = fam.with_columns(
        leave=pl.when(mobile & (pl.lit(pl.Series(leave)) > 0) & (pl.col("arrive") < pl.lit(pl.Series(leave))))
        .then(pl.lit(pl.Series(leave, dtype=pl.Int64)))
        .otherwise(None),
        move=pl.when(mobile & (pl.lit(pl.Series(move)) > 0) & (pl.col("arrive") < pl.lit(pl.Series(move))))
        .then(pl.lit(pl.Series(move, dtype=pl.Int64)))
        .otherwise(None),
        res_b=pl.Series(dest),
    )
    fam = fam.with_columns(
        move=pl.when(pl.col("leave").is_null() & (pl.col("res_b") != pl.col("res")))
        .then("move")
        .otherwise(None)
    )
    korean = (pl.col("hukou").str.starts_with("2224") | pl.col("res").str.starts_with("2224")) & (
        pl.lit(pl.Series(rng.random(n_fam))) < 0.4
    )
    dotted = pl.lit(pl.Series(rng.random(n_fam))) < 0.003
    fam = fam.with_columns(
        korean=korean.fill_null(False), dotted=dotted & ~korean, h=pl.Series(rng.integers(0, 1 << 20, n_fam))
    )
    return fam.select(
        pl.int_range(pl.len()).alias("family"),
        "kind",
        "res",
        "hukou",
        "arrive",
        "leave",
        "move",
        "res_b",
        "korean",
        "dotted",
        "h",
    )


def build_population(
    n_children: int, seed: int, periods: list[Period], names: nm.NameStyle = "pooled"
) -> Population:
    """Draw families until the first period holds about ``n_children`` children."""
    rng = np.random.default_rng([seed, 1])
    given_names = nm.GivenNames.of(names, seed, 1)
    first, last = day_number(periods[0].as_of), day_number(periods[-1].as_of)
    span = last - first
    n_fam = int(n_children / 1.43 / 0.86) + 20
    fam = _families(rng, n_fam, periods)
    # children per family, birth dates, twins
    k = rng.choice([1, 2, 3], n_fam, p=[0.62, 0.33, 0.05])
    age0 = rng.integers(0, int(18 * YEAR) - 1, n_fam)
    born_later = (rng.random(n_fam) < 0.03) & (span > 10)
    first_birth = np.where(born_later, first + rng.integers(1, max(span, 2), n_fam), first - age0)
    twins = (rng.random(n_fam) < 0.03) & (k >= 2)
    fam_idx = np.repeat(np.arange(n_fam), k)
    pos = (
        pl.DataFrame({"family": fam_idx}).select(pos=pl.int_range(pl.len()).over("family"))["pos"].to_numpy()
    )
    gap = rng.integers(int(1.5 * YEAR), int(6 * YEAR), len(fam_idx))
    gap = np.where(pos == 0, 0, gap)
    gap = np.where((pos == 1) & twins[fam_idx], 0, gap)
    gap = pl.DataFrame({"family": fam_idx, "gap": gap}).select(pl.col("gap").cum_sum().over("family"))["gap"]
    birth = first_birth[fam_idx] + gap.to_numpy()
    kids = pl.DataFrame({"family": fam_idx, "pos": pos, "birth_n": birth})
    kids = kids.filter(pl.col("birth_n") <= last).join(fam, on="family", how="left")
    # a child born after the family arrived has lived here since birth
    kids = kids.with_columns(since_n=pl.max_horizontal("arrive", "birth_n"))
    # keep residence starts away from the 6-month boundary of every period (±2 days)
    for p in periods:
        b = day_number(six_months_before(p.as_of))
        near = (pl.col("since_n") - b).abs() <= 2
        kids = kids.with_columns(
            birth_n=pl.when(near & (pl.col("since_n") == pl.col("birth_n")))
            .then(pl.col("birth_n") - 5)
            .otherwise("birth_n"),
            since_n=pl.when(near).then(pl.col("since_n") - 5).otherwise("since_n"),
        )
    # trim whole families so the first period holds at most n_children children
    exists0 = (pl.col("birth_n") <= first) & (pl.col("since_n") <= first)
    fam_count = kids.group_by("family").agg(n0=exists0.sum()).sort("family")
    fam_keep = fam_count.filter(pl.col("n0").cum_sum() <= n_children)["family"]
    kids = kids.filter(pl.col("family").is_in(fam_keep.implode())).sort("family", "pos")
    fam = fam.filter(pl.col("family").is_in(fam_keep.implode()))
    n = kids.height
    nf = fam.height

    # ---- parents
    fam_first = kids.group_by("family").agg(pl.col("birth_n").min().alias("fb")).sort("family")
    fam = fam.join(fam_first, on="family")
    f_age = rng.integers(int(22 * YEAR), int(40 * YEAR), nf)
    m_age = rng.integers(int(20 * YEAR), int(37 * YEAR), nf)
    par = pl.concat(
        [
            fam.select(
                "family",
                role=pl.lit("father"),
                male=pl.lit(True),
                birth_n=pl.col("fb") - pl.Series(f_age),
                korean="korean",
                dotted="dotted",
                hukou="hukou",
            ),
            fam.select(
                "family",
                role=pl.lit("mother"),
                male=pl.lit(False),
                birth_n=pl.col("fb") - pl.Series(m_age),
                korean="korean",
                dotted="dotted",
                hukou="hukou",
            ),
        ]
    ).sort("family", "role", descending=[False, True])
    np_ = par.height
    jl_all = geo_mod.geo().table
    elsewhere = geo_mod.draw_counties(rng, np_, jl_all)
    par = par.with_columns(
        person_key=pl.format("p{}", pl.int_range(pl.len()).cast(pl.Utf8).str.zfill(7)),
        birth_date=pl.col("birth_n").cast(pl.Int32).cast(pl.Date),
        home=pl.when(pl.col("hukou").is_null() | (pl.lit(pl.Series(rng.random(np_))) < 0.2))
        .then(pl.lit(pl.Series(elsewhere)))
        .otherwise("hukou"),
    )
    par = par.with_columns(addr=issued_address_code(pl.col("home"), pl.col("birth_date").dt.year()))
    par = par.with_columns(seq=assign_sequences(par, rng, "addr", "birth_date", "male"))
    par = par.with_columns(id_number=build_id(pl.col("addr"), pl.col("birth_date"), pl.col("seq")))
    par = par.with_columns(
        id_number_15=pl.when(pl.col("birth_date") < date(1984, 1, 1)).then(to_legacy_15(pl.col("id_number")))
    )
    sur = nm.draw_surnames(rng, np_, par["korean"].to_numpy())
    man = given_names.adult(rng, par["male"].to_numpy())
    dot_a = nm.draw_given(rng, par["male"].to_numpy(), nm.DOTTED_MALE, nm.DOTTED_FEMALE)
    dot_b = nm.draw_given(rng, np.ones(np_, dtype=bool), nm.DOTTED_MALE, nm.DOTTED_MALE)
    par = par.with_columns(
        surname=pl.Series(sur, dtype=pl.Utf8),
        given=pl.Series(man, dtype=pl.Utf8),
        dot_a=pl.Series(dot_a, dtype=pl.Utf8),
        dot_b=pl.Series(dot_b, dtype=pl.Utf8),
        phone=_phones(rng, np_),
    )
    par = par.with_columns(
        name=pl.when("dotted")
        .then(pl.concat_str(["dot_a", pl.lit("·"), "dot_b"]))
        .otherwise(pl.concat_str(["surname", "given"])),
        sex=pl.when("male").then(pl.lit("男")).otherwise(pl.lit("女")),
    )
    fathers = par.filter(pl.col("role") == "father").select(
        "family",
        father_key="person_key",
        father_surname="surname",
        father_dot="dot_a",
        father_birth="birth_date",
    )
    mothers = par.filter(pl.col("role") == "mother").select(
        "family", mother_key="person_key", mother_surname="surname"
    )

    # grandparents (named guardians on some permits; not parents)
    gp_age = rng.integers(int(22 * YEAR), int(32 * YEAR), nf)
    gp = fam.select("family", birth_n=pl.col("fb") - pl.Series(f_age) - pl.Series(gp_age), home="res")
    gp = gp.with_columns(
        birth_date=pl.col("birth_n").cast(pl.Int32).cast(pl.Date),
        male=pl.lit(pl.Series(rng.random(nf))) < 0.5,
    )
    gp = gp.with_columns(addr=issued_address_code(pl.col("home"), pl.col("birth_date").dt.year()))
    gp = gp.with_columns(seq=assign_sequences(gp, rng, "addr", "birth_date", "male"))
    gp = gp.join(fathers.select("family", "father_surname"), on="family")
    gp = gp.with_columns(
        gp_id=build_id(pl.col("addr"), pl.col("birth_date"), pl.col("seq")),
        gp_name=pl.concat_str(
            [
                "father_surname",
                pl.Series(given_names.adult(rng, gp["male"].to_numpy()), dtype=pl.Utf8),
            ]
        ),
        gp_phone=_phones(rng, nf),
    ).select("family", "gp_name", "gp_id", "gp_phone")

    # ---- children
    kids = kids.join(fathers, on="family").join(mothers, on="family")
    male = rng.random(n) < 0.52
    given = given_names.child(rng, male)
    alt = given_names.child(rng, male)
    kids = kids.with_columns(
        male=pl.Series(male),
        given=pl.Series(given, dtype=pl.Utf8),
        alt_given=pl.Series(alt, dtype=pl.Utf8),
        dot_given=pl.Series(nm.draw_given(rng, male, nm.DOTTED_MALE, nm.DOTTED_FEMALE), dtype=pl.Utf8),
        from_mother=pl.lit(pl.Series(rng.random(n))) < 0.08,
    )
    # twins get given names that differ in sound, not only in characters (梓涵 / 子涵 would be one name)
    kids = kids.with_columns(_sound=nm.sound(kids["given"]), _alt_sound=nm.sound(kids["alt_given"]))
    same_birth = pl.col("birth_n") == pl.col("birth_n").shift(1).over("family")
    twin_clash = (pl.col("_sound") == pl.col("_sound").shift(1).over("family")) & same_birth
    kids = kids.with_columns(
        given=pl.when(twin_clash).then("alt_given").otherwise("given"),
        _sound=pl.when(twin_clash).then("_alt_sound").otherwise("_sound"),
    )
    kids = kids.with_columns(
        given=pl.when(twin_clash & (pl.col("_sound") == pl.col("_sound").shift(1).over("family")))
        .then(pl.concat_str(["given", pl.lit("然")]))
        .otherwise("given")
    ).drop("_sound", "_alt_sound")
    # A renamed child takes a name no sibling of its family has, in sound (parents do not rename a
    # twin to the other twin's name): a clash takes a second draw, and a second clash the first + 然.
    alt2 = pl.Series(given_names.child(rng, male), dtype=pl.Utf8)
    kids = kids.with_columns(
        _alt_sound=nm.sound(kids["alt_given"]),
        _alt2=alt2,
        _alt2_sound=nm.sound(alt2),
        _given_sound=nm.sound(kids["given"]),
    ).with_columns(_siblings=pl.col("_given_sound").implode().over("family", mapping_strategy="join"))
    kids = kids.with_columns(
        alt_given=pl.when(~pl.col("_siblings").list.contains(pl.col("_alt_sound")))
        .then("alt_given")
        .when(~pl.col("_siblings").list.contains(pl.col("_alt2_sound")))
        .then("_alt2")
        .otherwise(pl.concat_str(["alt_given", pl.lit("然")]))
    ).drop("_alt_sound", "_alt2", "_alt2_sound", "_given_sound", "_siblings")
    kids = kids.with_columns(
        surname=pl.when("from_mother").then("mother_surname").otherwise("father_surname"),
    )
    kids = kids.with_columns(
        name=pl.when("dotted")
        .then(pl.concat_str(["dot_given", pl.lit("·"), "father_dot"]))
        .otherwise(pl.concat_str(["surname", "given"])),
        sex=pl.when("male").then(pl.lit("男")).otherwise(pl.lit("女")),
        birth_date=pl.col("birth_n").cast(pl.Int32).cast(pl.Date),
        ethnicity=pl.when("korean")
        .then(pl.lit("朝鲜族"))
        .when("dotted")
        .then(pl.lit("维吾尔族"))
        .otherwise(
            pl.lit(
                pl.Series(
                    np.asarray(["汉族"] * 92 + ["满族"] * 5 + ["蒙古族", "回族", "回族"])[
                        rng.integers(0, 100, n)
                    ]
                )
            )
        ),
    )
    # identity numbers: issued some weeks to years after birth; never for unknown hukou
    delay = np.where(
        (r := rng.random(n)) < 0.75,
        rng.integers(20, 180, n),
        np.where(
            r < 0.95, rng.integers(180, int(3 * YEAR), n), rng.integers(int(3 * YEAR), int(8 * YEAR), n)
        ),
    )
    kids = kids.with_columns(
        addr=issued_address_code(pl.col("hukou"), pl.col("birth_date").dt.year()),
        id_issue_n=pl.when(pl.col("hukou").is_not_null()).then(pl.col("birth_n") + pl.Series(delay)),
    )
    kids = kids.with_columns(
        seq=assign_sequences(
            kids.with_columns(pl.col("addr").fill_null("")), rng, "addr", "birth_date", "male"
        )
    )
    kids = kids.with_columns(
        id_number=pl.when(pl.col("hukou").is_not_null()).then(
            build_id(pl.col("addr"), pl.col("birth_date"), pl.col("seq"))
        )
    )
    # where the child was born (birth certificates exist only for births in Jilin)
    kids = kids.with_columns(
        birth_county=pl.when(pl.col("since_n") == pl.col("birth_n"))
        .then("res")
        .when(pl.col("hukou").str.starts_with("22"))
        .then("hukou")
    )
    letters = np.asarray(list("MNOPQRS"))
    kids = kids.with_columns(
        child_key=pl.format("c{}", pl.int_range(pl.len()).cast(pl.Utf8).str.zfill(7)),
        cert_no=pl.when(pl.col("birth_county").is_not_null()).then(
            pl.concat_str(
                [
                    pl.lit(pl.Series(letters[rng.integers(0, 7, n)])),
                    pl.col("birth_county").str.slice(0, 2),
                    pl.Series(rng.choice(10**7, n, replace=False)).cast(pl.Utf8).str.zfill(7),
                ]
            )
        ),
        permit_seq=_digits(rng, n, 7),
        health_no=pl.concat_str([pl.col("res").str.slice(0, 6), _digits(rng, n, 10)]),
        client_code=pl.concat_str([pl.col("res").str.slice(0, 6), _digits(rng, n, 12)]),
        insurance_no=pl.concat_str([pl.lit("22"), _digits(rng, n, 14)]),
        pupil_alt=pl.concat_str([pl.lit("L"), _digits(rng, n, 9), _digits(rng, n, 9)]),
        school_k=pl.Series(rng.integers(1, 9, n)),
        guardian=pl.Series(np.asarray(["father", "mother", "grand"])[rng.choice(3, n, p=[0.58, 0.37, 0.05])]),
        id_issue_date=pl.col("id_issue_n").cast(pl.Int32).cast(pl.Date),
        since=pl.col("since_n").cast(pl.Int32).cast(pl.Date),
        move_date=pl.col("move").cast(pl.Int32).cast(pl.Date),
        leave_date=pl.col("leave").cast(pl.Int32).cast(pl.Date),
    )
    # per-source coverage draws, stable across periods
    cov = {
        f"u_{s}": pl.Series(rng.random(n))
        for s in ("permit", "school", "health", "vacc", "ins", "cert", "visit")
    }
    kids = kids.with_columns(**cov)
    # draws of the scenarios added later, from a stream of their own so the draws above stay as
    # they were: a pupil who transferred keeps the 入学年月 of another county's school; a child of
    # a long-settled family may have no record that dates its arrival (sources.child_records)
    later = np.random.default_rng([seed, 3])
    kids = kids.with_columns(u_transfer=pl.Series(later.random(n)), u_undated=pl.Series(later.random(n)))
    kids = kids.join(gp, on="family", how="left")
    children = kids.select(
        "child_key",
        "family",
        "kind",
        "name",
        "surname",
        "alt_given",
        "sex",
        "birth_date",
        "ethnicity",
        "id_number",
        "id_issue_date",
        "hukou",
        "res",
        "since",
        "move_date",
        "res_b",
        "leave_date",
        "father_key",
        "mother_key",
        "birth_county",
        "cert_no",
        "permit_seq",
        "health_no",
        "client_code",
        "insurance_no",
        "pupil_alt",
        "school_k",
        "guardian",
        "gp_name",
        "gp_id",
        "gp_phone",
        "h",
        *cov,
        "u_transfer",
        "u_undated",
    )
    parents = par.select(
        "person_key", "family", "role", "name", "sex", "birth_date", "id_number", "id_number_15", "phone"
    )
    return Population(children=children, parents=parents, grandparents=gp, names=names)


def children_in(pop: Population, period: Period) -> pl.DataFrame:
    """Children living in Jilin at the period's as-of date, with their state then.

    Migrant (docs/policy.md §2.2): under 16, hukou county known and different from the
    residence county, living there 6 months or more (start + 6 months ≤ as-of,
    "以上" including the bound), except moves between two central urban districts
    (is_urban_district = 1) of the same prefecture.
    """
    as_of = period.as_of
    t = geo_mod.geo().table
    pref = dict(zip(t["code"], t["prefecture"], strict=True))
    urban = dict(zip(t["code"], t["urban"], strict=True))
    moved = pl.col("move_date").is_not_null() & (pl.col("move_date") <= as_of)
    c = pop.children.with_columns(
        residence_county=pl.when(moved).then("res_b").otherwise("res"),
        residence_since=pl.when(moved).then(pl.max_horizontal("move_date", "birth_date")).otherwise("since"),
    )
    c = c.filter(
        (pl.col("birth_date") <= as_of)
        & (pl.col("residence_since") <= as_of)
        & (pl.col("leave_date").is_null() | (pl.col("leave_date") > as_of))
    )
    age = age_at(pl.col("birth_date"), as_of)
    c = c.with_columns(age=age).filter(pl.col("age") < 18)
    same_city_urban = (
        (
            pl.col("hukou").replace_strict(pref, default=None)
            == pl.col("residence_county").replace_strict(pref)
        )
        & (pl.col("hukou").replace_strict(urban, default=0, return_dtype=pl.Int8) == 1)
        & (pl.col("residence_county").replace_strict(urban, return_dtype=pl.Int8) == 1)
    )
    c = c.with_columns(
        away=pl.col("hukou").is_not_null() & (pl.col("hukou") != pl.col("residence_county")),
        long_enough=pl.col("residence_since") <= six_months_before(as_of),
        same_city_urban=same_city_urban.fill_null(False),
        id_now=pl.when(pl.col("id_issue_date") <= as_of).then("id_number"),
    )
    return c.with_columns(
        is_migrant=pl.col("away") & pl.col("long_enough") & ~pl.col("same_city_urban") & (pl.col("age") < 16),
        # outside the hukou county in any way: the population of the migrant-only sources
        migrant_like=(pl.col("hukou").is_null() | (pl.col("hukou") != pl.col("residence_county"))),
    )
