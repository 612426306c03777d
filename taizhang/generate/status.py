"""Status events of parents (and a few children), and the policy rule that reads them.

The rule is implemented once here and used to write the truth; it follows
docs/policy.md §1 (民发〔2019〕62号 as amended by 民发〔2020〕125号, carried into Jilin
in 2021):

- an event is in force at the as-of date when its start is empty or
  ``start <= as_of``, and its end is empty or later than ``as_of``;
- 服刑在押 / 强制隔离戒毒 / 限制人身自由 count only for a term of 6 months or
  more (end − start ≥ 6 months, or open-ended), shown from a start date;
- 失联 counts once it has lasted 6 months at the as-of date (start ≤ as-of − 6
  calendar months); without a start date it never counts;
- 失踪 counts only as a court's declaration: 宣告失踪 always, a plain 失踪
  only when its reporting unit is a court (contains 法院); 死亡 and 宣告死亡
  both count as death;
- 重残 is grade 1–2 of any kind, or grade 3–4 of 智力 or 精神 disability;
- orphan: both parents dead or declared missing; de facto unsupported: both
  parents each in S8 = {重残, 重病, 服刑在押, 强制隔离戒毒, 限制人身自由, 失联,
  撤销监护资格, 遣送出境}, or one dead/declared missing and the other in S8, and
  not an orphan; both only under 18.

``艾滋病病毒感染`` is carried as an event (it drives a Jilin-only category) but is
neither death nor S8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from taizhang.generate import geo as geo_mod
from taizhang.generate import names as nm
from taizhang.generate.ids import assign_sequences, build_id
from taizhang.generate.population import Population, day_number
from taizhang.parsers.id_numbers import check_digit

STATUSES = (
    "死亡",
    "宣告死亡",
    "失踪",
    "宣告失踪",
    "失联",
    "服刑在押",
    "强制隔离戒毒",
    "限制人身自由",
    "撤销监护资格",
    "遣送出境",
    "重残",
    "重病",
    "艾滋病病毒感染",
)
TERM_STATUSES = ("服刑在押", "强制隔离戒毒", "限制人身自由")
S8_PLAIN = ("重病", "撤销监护资格", "遣送出境")
REPORTER = {
    "死亡": "省公安厅",
    "宣告死亡": "长春市中级人民法院",
    "失踪": "省公安厅",
    "宣告失踪": "吉林市中级人民法院",
    "失联": "省公安厅",
    "服刑在押": "省监狱管理局",
    "强制隔离戒毒": "省司法厅",
    "限制人身自由": "省公安厅",
    "撤销监护资格": "省高级人民法院",
    "遣送出境": "省公安厅出入境管理局",
    "重残": "省残联",
    "重病": "省卫健委",
    "艾滋病病毒感染": "省卫健委",
}
COURT = "长春市南关区人民法院"


@dataclass(frozen=True)
class Ev:
    """One event of a scenario; days are relative to the first period's as-of date."""

    # father, mother; namesake (another person with the father's name and an unrelated number);
    # namesake_near (another person with the father's name and a VALID number one digit off his);
    # grandparent (the family's grandparent, named as guardian on permits: not a parent)
    who: str
    status: str
    start: int
    end: int | None = None
    detail: str | None = None
    reporter: str | None = None
    id15: bool = False  # the event names the person by the legacy 15-digit number
    decoy: str | None = None
    # the event names the person by a number one slip from theirs (same name): one_digit,
    # transposition (two adjacent digits swapped) or impossible_date (a birth month that cannot exist)
    slip: str | None = None


# (name, share of families, events). Shares: ~1% orphans, ~2% unsupported, decoys in similar numbers.
SCENARIOS: tuple[tuple[str, float, tuple[Ev, ...]], ...] = (
    (
        "orphan_both_dead",
        0.0030,
        (Ev("father", "死亡", -400), Ev("mother", "死亡", -200, reporter="省卫健委")),
    ),
    ("orphan_declared", 0.0020, (Ev("father", "宣告死亡", -700), Ev("mother", "宣告失踪", -300))),
    (
        "orphan_court_missing",
        0.0015,
        (Ev("father", "失踪", -500, reporter=COURT), Ev("mother", "死亡", -250)),
    ),
    (
        "orphan_id15",
        0.0020,
        (
            Ev("father", "死亡", -350, id15=True, decoy="legacy_15_digit_same_person"),
            Ev("mother", "死亡", -150),
        ),
    ),
    ("orphan_from_p2", 0.0015, (Ev("mother", "宣告死亡", -500), Ev("father", "死亡", 60))),
    (
        "unsup_prison_disabled",
        0.0040,
        (Ev("father", "服刑在押", -300), Ev("mother", "重残", -1500, detail="肢体残疾一级")),
    ),
    ("unsup_dead_lost", 0.0030, (Ev("father", "死亡", -600), Ev("mother", "失联", -400))),
    (
        "unsup_rehab_ill",
        0.0025,
        (Ev("father", "强制隔离戒毒", -200, 530), Ev("mother", "重病", -100, detail="尿毒症")),
    ),
    ("unsup_revoked_deported", 0.0015, (Ev("father", "撤销监护资格", -800), Ev("mother", "遣送出境", -900))),
    (
        "unsup_restricted_mental",
        0.0020,
        (Ev("father", "限制人身自由", -100, 300), Ev("mother", "重残", -2000, detail="精神残疾三级")),
    ),
    ("unsup_both_lost", 0.0020, (Ev("father", "失联", -250), Ev("mother", "失联", -500))),
    (
        "unsup_from_p2_prison",
        0.0015,
        (Ev("mother", "重残", -1000, detail="智力残疾二级"), Ev("father", "服刑在押", 30)),
    ),
    ("unsup_from_p2_lost", 0.0015, (Ev("father", "失联", -90), Ev("mother", "服刑在押", -400))),
    (
        "unsup_until_p2",
        0.0015,
        (Ev("father", "服刑在押", -400, 90), Ev("mother", "重病", -200, detail="恶性肿瘤")),
    ),
    ("decoy_one_dead", 0.0050, (Ev("father", "死亡", -300, decoy="one_parent_dead_other_fine"),)),
    (
        "decoy_ended",
        0.0030,
        (
            Ev("father", "服刑在押", -600, -30, decoy="status_ended_before_as_of"),
            Ev("mother", "重残", -900, detail="视力残疾二级"),
        ),
    ),
    (
        "decoy_starts_later",
        0.0020,
        (
            Ev("father", "服刑在押", 260, decoy="status_starts_after_as_of"),
            Ev("mother", "重病", -300, detail="白血病"),
        ),
    ),
    (
        "decoy_mild_disability",
        0.0030,
        (
            Ev("father", "重残", -800, detail="肢体残疾三级", decoy="non_severe_disability"),
            Ev("mother", "服刑在押", -300),
        ),
    ),
    (
        "decoy_short_term",
        0.0030,
        (
            Ev("father", "服刑在押", -60, 60, decoy="term_under_6_months"),
            Ev("mother", "重病", -300, detail="尿毒症"),
        ),
    ),
    (
        "decoy_namesake",
        0.0030,
        (Ev("namesake", "死亡", -300, decoy="namesake_other_id"), Ev("mother", "死亡", -200)),
    ),
    (
        "decoy_police_missing",
        0.0030,
        (Ev("father", "失踪", -400, decoy="missing_reported_by_police"), Ev("mother", "死亡", -300)),
    ),
    (
        "decoy_lost_short",
        0.0020,
        (Ev("father", "失联", -60, decoy="lost_contact_under_6_months"), Ev("mother", "服刑在押", -500)),
    ),
    (
        "orphan_slip_digit",
        0.0020,
        (Ev("father", "死亡", -400), Ev("mother", "死亡", -200, slip="one_digit")),
    ),
    (
        "orphan_slip_date",
        0.0015,
        (Ev("father", "宣告死亡", -600), Ev("mother", "死亡", -250, slip="impossible_date")),
    ),
    (
        "unsup_slip_transposed",
        0.0020,
        (Ev("father", "服刑在押", -300, slip="transposition"), Ev("mother", "死亡", -500)),
    ),
    (
        "decoy_namesake_one_digit",
        0.0030,
        (Ev("namesake_near", "死亡", -300, decoy="namesake_one_digit_off"), Ev("mother", "死亡", -200)),
    ),
    (
        "decoy_grandparent_dead",
        0.0030,
        (Ev("grandparent", "死亡", -300, decoy="grandparent_not_parent"), Ev("mother", "死亡", -200)),
    ),
    (
        "decoy_one_s8",
        0.0030,
        (Ev("mother", "重残", -700, detail="听力残疾一级", decoy="one_parent_s8_other_fine"),),
    ),
)
DISABILITIES = ("视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾")
GRADES = ("一级", "二级", "三级", "四级")
DISEASES = ("尿毒症", "恶性肿瘤", "白血病", "重症精神病", "再生障碍性贫血")


def slipped(number: pl.Expr, kind: str) -> pl.Expr:
    """``number`` as typed with one slip, keeping its check character (so it no longer checks out).

    ``one_digit``: a digit of the sequence code changed; ``transposition``: the first pair of
    different adjacent digits of the sequence code (else of the birth date) swapped;
    ``impossible_date``: the birth month made one that cannot exist (10 typed 13, else 2x).
    """
    if kind == "one_digit":
        d = number.str.slice(14, 1).cast(pl.Int32)
        return number.str.slice(0, 14) + ((d + 3) % 10).cast(pl.Utf8) + number.str.slice(15)
    if kind == "transposition":
        out = number
        for i in (8, 9, 10, 11, 12, 13, 15, 14):  # the last to apply wins: sequence code first
            swapped = (
                number.str.slice(0, i)
                + number.str.slice(i + 1, 1)
                + number.str.slice(i, 1)
                + number.str.slice(i + 2)
            )
            out = pl.when(number.str.slice(i, 1) != number.str.slice(i + 1, 1)).then(swapped).otherwise(out)
        return out
    if kind == "impossible_date":
        month = number.str.slice(10, 2)
        bad = pl.when(month == "10").then(pl.lit("13")).otherwise(pl.lit("2") + month.str.slice(1, 1))
        return number.str.slice(0, 10) + bad + number.str.slice(12)
    raise ValueError(f"unknown slip {kind}")


def one_digit_namesake_id(number: pl.Expr) -> pl.Expr:
    """Another person's valid number: one digit of the sequence code changed, check recomputed."""
    d = number.str.slice(14, 1).cast(pl.Int32)
    body = number.str.slice(0, 14) + ((d + 1) % 10).cast(pl.Utf8) + number.str.slice(15, 2)
    return body + check_digit(body)


def _month_add(d: pl.Expr, months: int) -> pl.Expr:
    return d.dt.offset_by(f"{months}mo")


def classify(events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add ``in_force``, ``rule_class`` (dead_or_missing / s8 / null) and ``counts_as_of``.

    Columns read: status, status_detail, reporter, start_date, end_date.

    An event without a start date is in force (the extract reports it as of its
    compilation, and a date of death is often left empty), except 失联 and the
    custodial terms: their 6 months can only be shown from a start date, so
    without one they never count. This is the reading of
    ``taizhang/rules/parent_status.py``; the generator writes every start date,
    so the case only arises in hand-made frames, but the truth must not depend
    on a rule the pipeline does not apply.
    """
    start, end = pl.col("start_date"), pl.col("end_date")
    in_force = (start.is_null() | (start <= as_of)) & (end.is_null() | (end > as_of))
    status = pl.col("status")
    detail = pl.col("status_detail").fill_null("")
    grade = detail.str.extract(r"([一二三四])级$", 1)
    severe = grade.is_in(["一", "二"]) | (grade.is_in(["三", "四"]) & detail.str.contains("智力|精神"))
    dated = start.is_not_null()
    long_term = dated & (end.is_null() | (end >= _month_add(start, 6))).fill_null(False)
    # 失联 counts once its start lies 6 whole calendar months before the as-of date
    lost_long = dated & (start <= pl.lit(as_of).dt.offset_by("-6mo")).fill_null(False)
    dead_or_missing = status.is_in(["死亡", "宣告死亡", "宣告失踪"]) | (
        (status == "失踪") & pl.col("reporter").fill_null("").str.contains("法院")
    )
    s8 = (
        status.is_in(list(S8_PLAIN))
        | ((status == "重残") & severe.fill_null(False))
        | (status.is_in(list(TERM_STATUSES)) & long_term)
        | ((status == "失联") & lost_long)
    )
    cls = pl.when(dead_or_missing).then(pl.lit("dead_or_missing")).when(s8).then(pl.lit("s8"))
    return events.with_columns(in_force=in_force, rule_class=cls).with_columns(
        counts_as_of=pl.when(pl.col("status") == "艾滋病病毒感染")
        .then(pl.col("in_force"))
        .otherwise(pl.col("in_force") & pl.col("rule_class").is_not_null())
    )


def child_flags(children: pl.DataFrame, events: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``is_orphan`` and ``is_unsupported`` of each child from its parents' events in force."""
    ev = classify(events, as_of).filter(pl.col("counts_as_of") & pl.col("rule_class").is_not_null())
    state = ev.group_by("person_key").agg(
        dm=(pl.col("rule_class") == "dead_or_missing").any(), s8=(pl.col("rule_class") == "s8").any()
    )
    f = state.select(father_key="person_key", f_dm="dm", f_s8="s8")
    m = state.select(mother_key="person_key", m_dm="dm", m_s8="s8")
    out = children.join(f, on="father_key", how="left").join(m, on="mother_key", how="left")
    out = out.with_columns(pl.col("f_dm", "f_s8", "m_dm", "m_s8").fill_null(False))
    orphan = pl.col("f_dm") & pl.col("m_dm") & (pl.col("age") < 18)
    # a parent dead or declared missing is not also counted as S8
    f_s8 = pl.col("f_s8") & ~pl.col("f_dm")
    m_s8 = pl.col("m_s8") & ~pl.col("m_dm")
    unsup = (
        ((f_s8 & m_s8) | (pl.col("f_dm") & m_s8) | (pl.col("m_dm") & f_s8)) & (pl.col("age") < 18) & ~orphan
    )
    return out.with_columns(is_orphan=orphan, is_unsupported=unsup).drop("f_dm", "f_s8", "m_dm", "m_s8")


def build_events(pop: Population, seed: int, first_as_of: date) -> pl.DataFrame:
    """Every status event of the run: scenario events of parents, child events, unrelated noise.

    Columns: event_id, person_key, name, id_number (as reported), status,
    status_detail, reporter, start_date, end_date, report_date, decoy_kind.
    """
    rng = np.random.default_rng([seed, 2])
    anchor = day_number(first_as_of)
    par = pop.parents
    fams = par["family"].unique().sort()
    nf = fams.len()
    shares = np.array([s for _, s, _ in SCENARIOS])
    pick = rng.choice(len(SCENARIOS) + 1, nf, p=np.append(shares, 1 - shares.sum()))
    jitter = rng.integers(-20, 21, nf)
    fam = pl.DataFrame({"family": fams, "scenario": pick, "jitter": jitter})
    father = par.filter(pl.col("role") == "father").select(
        "family",
        f_key="person_key",
        f_name="name",
        f_id="id_number",
        f_id15="id_number_15",
        f_birth="birth_date",
    )
    mother = par.filter(pl.col("role") == "mother").select(
        "family", m_key="person_key", m_name="name", m_id="id_number"
    )
    fam = (
        fam.join(father, on="family")
        .join(mother, on="family")
        .join(pop.grandparents.select("family", "gp_name", "gp_id"), on="family", how="left")
    )
    fam = fam.with_columns(
        # the father's near namesake and the grandparent, as people of their own
        k_key=pl.format("k{}", pl.col("f_key").str.slice(1)),
        k_id=one_digit_namesake_id(pl.col("f_id")),
        g_key=pl.format("g{}", pl.col("f_key").str.slice(1)),
    )
    # the legacy-number scenario needs a father old enough to hold one
    fam = fam.with_columns(
        scenario=pl.when(
            (pl.col("scenario") == [n for n, _, _ in SCENARIOS].index("orphan_id15"))
            & pl.col("f_id15").is_null()
        )
        .then(len(SCENARIOS))
        .otherwise("scenario")
    )
    parts = []
    for idx, (_, _, evs) in enumerate(SCENARIOS):
        sel = fam.filter(pl.col("scenario") == idx)
        if sel.is_empty():
            continue
        for ev in evs:
            if ev.who == "namesake":
                continue
            if ev.who == "namesake_near":
                key, nm_col, id_col = "k_key", "f_name", "k_id"
            elif ev.who == "grandparent":
                key, nm_col, id_col = "g_key", "gp_name", "gp_id"
            elif ev.who == "father":
                key, nm_col, id_col = "f_key", "f_name", "f_id"
            else:
                key, nm_col, id_col = "m_key", "m_name", "m_id"
            if ev.id15:
                id_col = "f_id15"
            number = pl.col(id_col) if ev.slip is None else slipped(pl.col(id_col), ev.slip)
            parts.append(
                sel.select(
                    person_key=key,
                    name=nm_col,
                    id_number=number,
                    status=pl.lit(ev.status),
                    status_detail=pl.lit(ev.detail, dtype=pl.Utf8),
                    reporter=pl.lit(ev.reporter or REPORTER[ev.status]),
                    start_n=pl.col("jitter") + anchor + ev.start,
                    end_n=(pl.col("jitter") + anchor + ev.end)
                    if ev.end is not None
                    else pl.lit(None, dtype=pl.Int64),
                    decoy_kind=pl.lit(ev.decoy, dtype=pl.Utf8),
                    slip=pl.lit(ev.slip, dtype=pl.Utf8),
                )
            )
    # namesakes: another person with the father's name and another identity number
    ns_idx = [n for n, _, _ in SCENARIOS].index("decoy_namesake")
    ns = fam.filter(pl.col("scenario") == ns_idx)
    if not ns.is_empty():
        k = ns.height
        ns = ns.with_columns(
            addr=pl.Series(geo_mod.draw_counties(rng, k, geo_mod.geo().table)),
            birth_date=(pl.col("f_birth").cast(pl.Int32) + pl.Series(rng.integers(-3000, 3000, k))).cast(
                pl.Date
            ),
            male=pl.lit(True),
        )
        ns = ns.with_columns(seq=assign_sequences(ns, rng, "addr", "birth_date", "male"))
        ns = ns.with_columns(id_number=build_id(pl.col("addr"), pl.col("birth_date"), pl.col("seq")))
        ns = ns.with_columns(
            id_number=pl.when(pl.col("id_number") == pl.col("f_id")).then(None).otherwise("id_number")
        )
        parts.append(
            ns.select(
                person_key=pl.format("n{}", pl.col("f_key").str.slice(1)),
                name="f_name",
                id_number="id_number",
                status=pl.lit("死亡"),
                status_detail=pl.lit(None, dtype=pl.Utf8),
                reporter=pl.lit("省公安厅"),
                start_n=pl.col("jitter") + anchor - 300,
                end_n=pl.lit(None, dtype=pl.Int64),
                decoy_kind=pl.lit("namesake_other_id"),
            )
        )
    # children's own events: severe disability, rarely HIV
    ch = pop.children.filter(pl.col("id_number").is_not_null())
    u = rng.random(ch.height)
    cev = ch.with_columns(u=pl.Series(u), d=pl.Series(rng.integers(30, 1500, ch.height))).filter(
        pl.col("u") < 0.0035
    )
    parts.append(
        cev.select(
            person_key="child_key",
            name="name",
            id_number="id_number",
            status=pl.when(pl.col("u") < 0.0005).then(pl.lit("艾滋病病毒感染")).otherwise(pl.lit("重残")),
            status_detail=pl.when(pl.col("u") < 0.0005)
            .then(pl.lit(None, dtype=pl.Utf8))
            .otherwise(pl.lit("智力残疾二级")),
            reporter=pl.when(pl.col("u") < 0.0005).then(pl.lit("省卫健委")).otherwise(pl.lit("省残联")),
            start_n=pl.max_horizontal(
                pl.col("birth_date").cast(pl.Int64) + 100, pl.lit(anchor) - pl.col("d")
            ),
            end_n=pl.lit(None, dtype=pl.Int64),
            decoy_kind=pl.lit(None, dtype=pl.Utf8),
        )
    )
    # unrelated people: events of people outside the population
    k = max(int(pop.children.height * 0.03), 5)
    sts = np.asarray(STATUSES[:-1])[rng.integers(0, len(STATUSES) - 1, k)]
    dis = np.char.add(
        np.asarray(DISABILITIES)[rng.integers(0, 7, k)].astype(str),
        np.asarray(GRADES)[rng.integers(0, 4, k)].astype(str),
    )
    ill = np.asarray(DISEASES)[rng.integers(0, len(DISEASES), k)]
    male = rng.random(k) < 0.5
    un = pl.DataFrame(
        {
            "addr": geo_mod.draw_counties(rng, k, geo_mod.geo().table),
            "birth_date": pl.Series(
                rng.integers(day_number(date(1960, 1, 1)), day_number(date(2000, 1, 1)), k)
            )
            .cast(pl.Int32)
            .cast(pl.Date),
            "male": male,
            "status": sts,
            "dis": dis,
            "ill": ill,
            "start_n": anchor - rng.integers(0, 2000, k),
            "dur": rng.integers(60, 1500, k),
            "has_end": rng.random(k) < 0.3,
        }
    )
    un = un.with_columns(seq=assign_sequences(un, rng, "addr", "birth_date", "male"))
    un = un.with_columns(
        id_number=build_id(pl.col("addr"), pl.col("birth_date"), pl.col("seq")),
        name=pl.concat_str(
            [
                pl.Series(nm.draw_surnames(rng, k, np.zeros(k, dtype=bool)), dtype=pl.Utf8),
                pl.Series(nm.GivenNames.of(pop.names, seed, 2).adult(rng, male), dtype=pl.Utf8),
            ]
        ),
        person_key=pl.format("u{}", pl.int_range(pl.len()).cast(pl.Utf8).str.zfill(7)),
    )
    parts.append(
        un.select(
            "person_key",
            "name",
            "id_number",
            "status",
            status_detail=pl.when(pl.col("status") == "重残")
            .then("dis")
            .when(pl.col("status") == "重病")
            .then("ill"),
            reporter=pl.col("status").replace_strict(REPORTER),
            start_n="start_n",
            end_n=pl.when(pl.col("has_end") & ~pl.col("status").is_in(["死亡", "宣告死亡"])).then(
                pl.col("start_n") + pl.col("dur")
            ),
            decoy_kind=pl.lit(None, dtype=pl.Utf8),
        )
    )
    ev = pl.concat(parts, how="diagonal_relaxed")
    # a sentence that starts later is announced before it starts; everything else when it starts
    ev = ev.with_columns(
        start_date=pl.col("start_n").cast(pl.Int32).cast(pl.Date),
        end_date=pl.col("end_n").cast(pl.Int32).cast(pl.Date),
        report_date=pl.when(pl.col("decoy_kind") == "status_starts_after_as_of")
        .then(pl.lit(anchor - 10).cast(pl.Int32).cast(pl.Date))
        .otherwise(pl.col("start_n").cast(pl.Int32).cast(pl.Date)),
    ).drop("start_n", "end_n")
    ev = ev.sort("person_key", "start_date", "status").with_columns(
        event_id=pl.int_range(pl.len()).cast(pl.Int64)
    )
    return ev
