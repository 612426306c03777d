"""The child configuration's newer rules, end to end on hand-made families.

One linkage run over a filler of ordinary families plus small scenarios, each
with its own surname, birth date, parents and phones so that they cannot touch
one another: siblings, a brother and a sister, birth-certificate numbers, twins
in one department, a renamed child, a birth certificate known by its place of
birth, an Excel-truncated identity number. Each test asserts what a reader of
the output notices (one child id or two) and, where a guard decides, that the
pair was refused by a guard rather than merely scored low.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl
import pytest

from benchmarks.evaluation import clusters_with_two_valid_ids
from matchers.configs import children
from matchers.configs.children import GUARDS
from matchers.engine import LinkageConfig, LinkResult, link
from matchers.session import prepare_records
from tests.support.families import child, families, frame, with_check

FILLER = 100
COMMON_NAME = "张浩宇"
# A birth certificate whose newborn had no name yet.
_NAMELESS = {
    "name": None,
    "name_pinyin": None,
    "name_initials": None,
    "surname": None,
    "given_name": None,
    "name_variant_key": None,
    "name_placeholder": True,
}


def _parents(tag: int, county: str = "220104") -> dict[str, object]:
    """Mother, father, a guardian phone and counties of one scenario's family."""
    mother = with_check(f"{county}1990{tag:02d}01{tag:03d}")
    father = with_check(f"{county}1987{tag:02d}02{tag:03d}")
    return {
        "mother_id": mother,
        "father_id": father,
        "mother_name": f"钱{'红梅秀英桂兰丽华玉珍海燕'[tag % 10]}{tag}",
        "father_name": f"赵建{tag}",
        "guardian_ids": [mother, father],
        "guardian_phones": [f"1370000{tag:04d}"],
        "residence_county": county,
        "hukou_county": county,
    }


def _birth_certificate(
    name: str, pinyin: str, dob: date, sex: str, number: str, fam: dict[str, object], county: str
) -> dict[str, object]:
    """A family's birth certificate: the parents and place of birth; no residence, hukou or phone."""
    return (
        child(name, pinyin, 1, dob, sex, None, [], source="birth_certificates", birth_cert_no=number)
        | fam
        | {
            "birth_place_county": county,
            "residence_county": None,
            "hukou_county": None,
            "guardian_phones": [],
        }
    )


def _insurance_without_family(
    name: str, pinyin: str, dob: date, sex: str, county: str, id_number: str | None = None
) -> dict[str, object]:
    """An insurance record: the county insured in, no family and no hukou."""
    return child(name, pinyin, 1, dob, sex, id_number, [], source="insurance") | {
        "residence_county": county,
        "hukou_county": None,
    }


@dataclass
class Scenario:
    rows: list[dict[str, object]]
    tags: dict[str, int]

    def add(self, tag: str, row: dict[str, object]) -> None:
        self.tags[tag] = len(self.rows)
        self.rows.append(row)


def _scenarios() -> Scenario:
    s = Scenario(families(FILLER), {})

    # 2. Siblings: same parents, guardians, phone and counties, born four years apart.
    fam = _parents(1)
    s.add(
        "sib_a",
        child("韩浩然", "han_hao_ran", 1, date(2014, 3, 9), "男", None, [], source="child_health") | fam,
    )
    s.add(
        "sib_b",
        child("韩浩宇", "han_hao_yu", 1, date(2018, 7, 22), "男", None, [], source="vaccination") | fam,
    )
    # The same valid identity number with a birth date years off (a slip in one department).
    idn = with_check("22010520150315123")
    s.add(
        "same_id_a",
        child("邓明轩", "deng_ming_xuan", 1, date(2015, 3, 15), "男", idn, [], source="residence_permits"),
    )
    s.add(
        "same_id_b",
        child("邓明轩", "deng_ming_xuan", 1, date(2011, 8, 20), "男", idn, [], source="insurance")
        | {"id_birth_date": date(2015, 3, 15)},
    )
    # A brother and a sister born the same day, in two departments.
    fam = _parents(2)
    dob = date(2017, 4, 11)
    s.add("boy", child("冯子轩", "feng_zi_xuan", 1, dob, "男", None, [], source="residence_permits") | fam)
    s.add("girl", child("冯欣怡", "feng_xin_yi", 1, dob, "女", None, [], source="child_health") | fam)
    # Birth certificates: numbers far apart are two children, one typo apart may be one.
    fam = _parents(3)
    dob = date(2023, 1, 17)
    s.add(
        "cert_a",
        child(
            "曹一诺", "cao_yi_nuo", 1, dob, "女", None, [], source="child_health", birth_cert_no="P010200123"
        )
        | fam,
    )
    s.add(
        "cert_b",
        child(
            "曹一诺",
            "cao_yi_nuo",
            1,
            dob,
            "女",
            None,
            [],
            source="birth_certificates",
            birth_cert_no="P010200987",
        )
        | fam,
    )
    fam = _parents(4)
    dob = date(2022, 9, 5)
    s.add(
        "typo_a",
        child(
            "彭天佑",
            "peng_tian_you",
            1,
            dob,
            "男",
            None,
            [],
            source="child_health",
            birth_cert_no="P030400555",
        )
        | fam,
    )
    s.add(
        "typo_b",
        child(
            "彭天佑",
            "peng_tian_you",
            1,
            dob,
            "男",
            None,
            [],
            source="birth_certificates",
            birth_cert_no="P030400565",
        )
        | fam,
    )

    # 3. Twins in one department, unrelated given names.
    fam = _parents(5)
    dob = date(2019, 6, 2)
    s.add("twin_a", child("蒋若曦", "jiang_ruo_xi", 1, dob, "女", None, [], source="child_health") | fam)
    s.add("twin_b", child("蒋佳琪", "jiang_jia_qi", 1, dob, "女", None, [], source="child_health") | fam)
    # ... one known only by a placeholder (mother's name + 之女), the other by a real name.
    fam = _parents(6) | {"mother_name": "李娜"}
    dob = date(2024, 2, 14)
    s.add("ph_real", child("沈欣怡", "shen_xin_yi", 1, dob, "女", None, [], source="child_health") | fam)
    s.add(
        "ph_placeholder",
        child(
            "李娜之女", "li_na_zhi_nv", 2, dob, "女", None, [], source="child_health", name_placeholder=True
        )
        | fam,
    )
    # ... a 小宝 placeholder beside a real name.
    fam = _parents(7)
    dob = date(2024, 5, 30)
    s.add("xb_real", child("王梓萱", "wang_zi_xuan", 1, dob, "女", None, [], source="vaccination") | fam)
    s.add(
        "xb_placeholder",
        child("王小宝", "wang_xiao_bao", 1, dob, "女", None, [], source="vaccination", name_placeholder=True)
        | fam,
    )
    # ... and twins whose only shared parent evidence is a guardian phone.
    dob = date(2020, 10, 8)
    phone_only = {"guardian_phones": ["13700009999"], "residence_county": "220106", "hukou_county": "220106"}
    s.add(
        "phone_a",
        child("袁明轩", "yuan_ming_xuan", 1, dob, "男", None, [], source="vaccination") | phone_only,
    )
    s.add(
        "phone_b", child("袁博文", "yuan_bo_wen", 1, dob, "男", None, [], source="vaccination") | phone_only
    )
    # ... and infant twins both known by placeholders of another form in one department.
    dob = date(2025, 9, 3)
    infants = {"guardian_phones": ["13700008888"], "residence_county": "220106"}
    s.add(
        "ph2_a",
        child("罗小宝", "luo_xiao_bao", 1, dob, "女", None, [], source="vaccination", name_placeholder=True)
        | infants,
    )
    s.add(
        "ph2_b",
        child(
            "吴芳之女", "wu_fang_zhi_nv", 2, dob, "女", None, [], source="vaccination", name_placeholder=True
        )
        | infants,
    )
    # A child renamed between its birth certificate and school, same parents and birth date.
    fam = _parents(8, "220105")
    dob = date(2016, 11, 23)
    s.add(
        "renamed_cert",
        _birth_certificate("潘小雨", "pan_xiao_yu", dob, "女", "P050100777", fam, "220105"),
    )
    s.add(
        "renamed_school",
        child(
            "潘思远",
            "pan_si_yuan",
            1,
            dob,
            "女",
            with_check("22010520161123042"),
            [],
            source="school_enrollment",
        )
        | fam,
    )

    # 4. A nameless birth certificate and a later record whose only ties are birth date, sex and
    # origin county: no shared parents, guardians or phones.
    dob = date(2018, 2, 26)
    s.add(
        "origin_cert",
        child(
            "魏浩宇",
            "wei_hao_yu",
            1,
            dob,
            "男",
            None,
            [],
            source="birth_certificates",
            birth_cert_no="P070300321",
        )
        | _NAMELESS
        | {"birth_place_county": "220107", "residence_county": None, "hukou_county": None},
    )
    s.add(
        "origin_later",
        child(
            "魏浩宇", "wei_hao_yu", 1, dob, "男", with_check("22010720180226051"), [], source="child_health"
        )
        | {"residence_county": "220102", "hukou_county": "220107"},
    )

    # 6. An Excel-cut copy of a valid number: the first 15 digits kept, 000 at the end, and the
    # check digit happens to hold.
    prefix = next(p for p in (f"220108201207{k:03d}" for k in range(1000)) if with_check(p + "00")[-1] == "0")
    s.add(
        "excel_full",
        child(
            "谢雨泽",
            "xie_yu_ze",
            1,
            date(2012, 7, 1),
            "男",
            with_check(prefix + "12"),
            [],
            source="residence_permits",
        )
        | {"residence_county": "220108", "hukou_county": "220108"},
    )
    s.add(
        "excel_cut",
        child("谢雨泽", "xie_yu_ze", 1, date(2012, 7, 1), "男", prefix + "000", [], source="insurance")
        | {"residence_county": "220108", "hukou_county": "220108"},
    )

    # 7. Excel scientific notation (2.20402201706115E+17): only the first 15 digits, rounded, are
    # left. Namesakes born the same day: one from Jinan with a valid number, one whose insurance
    # record shows only that head of a 220402 number, and her own valid number on a permit.
    dob = date(2017, 6, 11)
    jinan = with_check("37010220170611296")
    own = with_check("22040220170611528")
    for tag, source, number, county in (
        ("lossy_namesake", "residence_permits", jinan, "220104"),
        ("lossy_own_full", "residence_permits", own, "220402"),
    ):
        s.add(
            tag,
            child("郑欣怡", "zheng_xin_yi", 1, dob, "女", number, [], source=source)
            | {"residence_county": county},
        )
    s.add(
        "lossy_head",
        child("郑欣怡", "zheng_xin_yi", 1, dob, "女", None, [], source="insurance")
        # Excel rounds: ...115|288 shows as ...115; the record's own birth date is empty.
        | {"id_status": "lossy", "id_prefix": own[:15], "birth_date": None, "residence_county": "220402"},
    )

    # 8. A permit with the hukou (Shijiazhuang) but neither number nor birth date, an insurance
    # record with the number but no hukou; and a namesake's insurance record numbered elsewhere.
    dob = date(2012, 6, 15)
    s.add(
        "hukou_only",
        child("郭宇航", "guo_yu_hang", 1, dob, "男", None, [], source="residence_permits")
        | {"birth_date": None, "hukou_county": "130102", "residence_county": "220105"},
    )
    for tag, number in (("number_only", "13010220120615217"), ("number_elsewhere", "41010220120615217")):
        s.add(
            tag,
            child("郭宇航", "guo_yu_hang", 1, dob, "男", with_check(number), [], source="insurance")
            | {"hukou_county": None, "residence_county": "220105"},
        )

    # 9. Twins' permits that no blocking rule compares (other names, other guardians, one permit's
    # sex and number lost), each tied by family to the one birth certificate in the data.
    fam = _parents(9)
    mother, father = fam["mother_id"], fam["father_id"]
    dob = date(2009, 10, 5)
    s.add(
        "permit_twin_a",
        child(
            "周子豪",
            "zhou_zi_hao",
            1,
            dob,
            "男",
            with_check("22060520091005227"),
            [mother],
            source="residence_permits",
        )
        | {"guardian_phones": ["15256517949"]},
    )
    s.add(
        "permit_twin_b",
        child("周浩然", "zhou_hao_ran", 1, dob, None, None, [father], source="residence_permits")
        | {"id_status": "lossy", "id_prefix": "220605200910052", "guardian_phones": ["18861508614"]},
    )
    s.add(
        "cert_twin_b",
        child("周浩然", "zhou_hao_ran", 1, dob, "男", None, [mother, father], source="birth_certificates")
        | {"mother_id": mother, "father_id": father, "birth_cert_no": "Q221509803"},
    )

    # 10. Typed birth-date slips our generator does not make: day and month swapped (no ambiguous
    # raw text behind it), the year one off across a decade (2019 / 2020); and a permit whose
    # typed date disagrees with its own valid number.
    fam = _parents(10)
    s.add(
        "swap_a",
        child("孔令宇", "kong_ling_yu", 1, date(2016, 3, 5), "男", None, [], source="child_health") | fam,
    )
    s.add(
        "swap_b",
        child("孔令宇", "kong_ling_yu", 1, date(2016, 5, 3), "男", None, [], source="vaccination") | fam,
    )
    fam = _parents(11)
    s.add(
        "year_a",
        child("孔令晨", "kong_ling_chen", 1, date(2019, 8, 17), "男", None, [], source="child_health") | fam,
    )
    s.add(
        "year_b",
        child("孔令晨", "kong_ling_chen", 1, date(2020, 8, 17), "男", None, [], source="insurance") | fam,
    )
    s.add(
        "typed_vs_id",
        child(
            "孔令博",
            "kong_ling_bo",
            1,
            date(2016, 3, 6),
            "男",
            with_check("22010220160305123"),
            [],
            source="insurance",
        )
        | {"id_birth_date": date(2016, 3, 5)},
    )

    # 11. Twins each known only where the other is not: one twin by a 0-6 health record, the other
    # by a birth certificate and an insurance record, no number anywhere; same parents and birth date.
    fam = _parents(12, "220106")
    dob = date(2021, 3, 27)
    s.add(
        "lone_twin_health",
        child("宋伟", "song_wei", 1, dob, "男", None, [], source="child_health") | fam,
    )
    s.add(
        "other_twin_cert",
        _birth_certificate("宋浩宇", "song_hao_yu", dob, "男", "P060100888", fam, "220106"),
    )
    s.add(
        "other_twin_insurance",
        _insurance_without_family("宋浩宇", "song_hao_yu", dob, "男", "220106"),
    )
    # 12. A child renamed on its insurance record, which carries the child's identity number and no
    # family; the permit carries the number and the old name, the birth certificate the old name.
    fam = _parents(13, "220112")
    dob = date(2015, 12, 4)
    idn = with_check("22011220151204071")
    s.add(
        "renamed_permit",
        child("俞子涵", "yu_zi_han", 1, dob, "女", idn, [], source="residence_permits") | fam,
    )
    s.add(
        "renamed_birth_cert",
        _birth_certificate("俞子涵", "yu_zi_han", dob, "女", "P120100555", fam, "220112"),
    )
    s.add(
        "renamed_insurance",
        _insurance_without_family("俞梦瑶", "yu_meng_yao", dob, "女", "220112", idn),
    )

    # 13. Twins of whom one carries the mother's surname: same mother, birth date and counties.
    fam = _parents(14, "220113")
    dob = date(2024, 11, 29)
    s.add(
        "father_surname_twin",
        child("郭梓涵", "guo_zi_han", 1, dob, "女", None, [], source="residence_permits") | fam,
    )
    s.add(
        "mother_surname_twin",
        child(
            "钱雨桐", "qian_yu_tong", 1, dob, "女", with_check("22011320241129062"), [], source="child_health"
        )
        | fam,
    )

    # 14. Twins 钱宇 (a permit with his number) and 钱伟 (his birth certificate and an insurance
    # record without a number): the certificate's name is in use, so it is no birth name replaced
    # at registration.
    fam = _parents(15, "220114")
    dob = date(2008, 7, 17)
    s.add(
        "registered_twin_permit",
        child(
            "钱宇", "qian_yu", 1, dob, "男", with_check("22011420080717181"), [], source="residence_permits"
        )
        | fam,
    )
    s.add(
        "named_twin_cert",
        _birth_certificate("钱伟", "qian_wei", dob, "男", "P140100444", fam, "220114"),
    )
    s.add(
        "named_twin_insurance",
        _insurance_without_family("钱伟", "qian_wei", dob, "男", "220114"),
    )
    return s


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return _scenarios()


@pytest.fixture(scope="module")
def records(scenario: Scenario) -> pl.DataFrame:
    return frame(scenario.rows)


def _config(**overrides: object) -> LinkageConfig:
    # Every scored pair is kept, so that a test can see the cannot-link flag of a weak pair too.
    return children(keep_pairs_above=0.0, **overrides)


def _exact_level(comparison: str) -> int:
    """The gamma value of a comparison's first (exact) level: levels count down from the top."""
    return len(next(c for c in _config().comparisons if c.name == comparison).levels)


@pytest.fixture(scope="module")
def result(records: pl.DataFrame) -> LinkResult:
    return link(records, _config())


def _ids(result: LinkResult, scenario: Scenario, *tags: str) -> list[str]:
    by_record = dict(result.record_child.iter_rows())
    return [by_record[scenario.tags[t]] for t in tags]


def _pair(result: LinkResult, scenario: Scenario, a: str, b: str) -> dict[str, object]:
    lo, hi = sorted((scenario.tags[a], scenario.tags[b]))
    rows = result.pairs.filter(pl.col("l") == lo, pl.col("r") == hi).to_dicts()
    assert len(rows) == 1, f"{a}/{b} were never compared"
    return rows[0]


def _guards_hit(records: pl.DataFrame, scenario: Scenario, a: str, b: str) -> set[str]:
    """Names of the child guards whose condition holds for the two records (both orders)."""
    con = duckdb.connect()
    try:
        prepare_records(con, records, children())
        cols = ", ".join(f"coalesce(({g.condition}), FALSE)" for g in GUARDS)
        q = f"SELECT {cols} FROM lk_records l, lk_records r WHERE l.record_id = $l AND r.record_id = $r"
        hit: set[str] = set()
        for l_id, r_id in ((scenario.tags[a], scenario.tags[b]), (scenario.tags[b], scenario.tags[a])):
            (flags,) = con.sql(q, params={"l": l_id, "r": r_id}).fetchall()
            hit |= {g.name for g, flag in zip(GUARDS, flags, strict=True) if flag}
        return hit
    finally:
        con.close()


def _one_child(result: LinkResult, scenario: Scenario, a: str, b: str) -> bool:
    x, y = _ids(result, scenario, a, b)
    return x == y


# 1. Term-frequency adjustment ------------------------------------------------------------------


def test_term_frequency_adjustment_is_zero_unless_the_names_are_equal(result: LinkResult) -> None:
    top = _exact_level("name")
    pairs = result.pairs
    unequal = pairs.filter(pl.col("g_name") != top)
    assert unequal.height > 50
    assert (unequal["tf_adjustment"] == 0.0).all()
    exact = pairs.filter(pl.col("g_name") == top)
    assert (exact["tf_adjustment"] != 0.0).any()


def test_an_exact_match_on_a_rare_name_weighs_more_than_on_a_common_one() -> None:
    common, rare = [], []
    for k in range(8):  # eight different children named 张浩宇 (each on two departments)
        dob = date(2013, 1 + k, 3 + k)
        idn = with_check(f"220109{dob:%Y%m%d}{k:03d}")
        for source in ("residence_permits", "insurance"):
            common.append(child(COMMON_NAME, "zhang_hao_yu", 1, dob, "男", idn, [], source=source))
    dob = date(2013, 10, 9)
    idn = with_check(f"220109{dob:%Y%m%d}777")
    for source in ("residence_permits", "insurance"):
        rare.append(child("欧阳翊骞", "ouyang_yi_qian", 2, dob, "男", idn, [], source=source))
    records = frame(families(FILLER) + common + rare)
    res = link(records, _config())
    names = dict(records.select("record_id", "name").iter_rows())
    same = res.pairs.filter(pl.col("g_name") == _exact_level("name")).with_columns(
        pl.col("l").replace_strict(names, return_dtype=pl.Utf8).alias("name")
    )
    # Same id, same name, same birth date: the pairs differ only in how common the name is.
    true_pairs = same.filter(pl.col("g_id") == _exact_level("id"), pl.col("g_dob") == _exact_level("dob"))
    common_tf = true_pairs.filter(pl.col("name") == COMMON_NAME)["tf_adjustment"]
    rare_tf = true_pairs.filter(pl.col("name") == "欧阳翊骞")["tf_adjustment"]
    assert common_tf.len() == 8 and rare_tf.len() == 1
    assert rare_tf[0] > common_tf.max()
    assert common_tf.max() < 0 < rare_tf[0]
    weights = true_pairs.group_by(pl.col("name") == COMMON_NAME).agg(pl.col("match_weight").max())
    w = dict(weights.iter_rows())
    assert w[False] > w[True]


# 2. Guards --------------------------------------------------------------------------------------


def test_siblings_born_years_apart_are_two_children(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert not _one_child(result, scenario, "sib_a", "sib_b")
    assert _pair(result, scenario, "sib_a", "sib_b")["cannot_link"]
    assert "different_birth_dates" in _guards_hit(records, scenario, "sib_a", "sib_b")


def test_the_same_identity_number_overrides_the_birth_date_guard(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert "different_birth_dates" not in _guards_hit(records, scenario, "same_id_a", "same_id_b")
    assert not _pair(result, scenario, "same_id_a", "same_id_b")["cannot_link"]
    assert _one_child(result, scenario, "same_id_a", "same_id_b")


def test_a_boy_and_a_girl_born_the_same_day_are_two_children(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert not _one_child(result, scenario, "boy", "girl")
    assert _pair(result, scenario, "boy", "girl")["cannot_link"]
    # Two departments: it is not the twin guard (one department) that keeps them apart.
    assert "different_sex_and_name" in _guards_hit(records, scenario, "boy", "girl")


def test_two_birth_certificates_more_than_one_typo_apart_are_two_children(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert not _one_child(result, scenario, "cert_a", "cert_b")
    assert _pair(result, scenario, "cert_a", "cert_b")["cannot_link"]
    assert _guards_hit(records, scenario, "cert_a", "cert_b") == {"different_birth_certs"}


def test_birth_certificates_one_typo_apart_may_be_one_child(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert _guards_hit(records, scenario, "typo_a", "typo_b") == set()
    assert _one_child(result, scenario, "typo_a", "typo_b")


# 3. Twins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("twin_a", "twin_b"),
        ("ph_real", "ph_placeholder"),
        ("xb_real", "xb_placeholder"),
        ("phone_a", "phone_b"),
    ],
    ids=["unrelated_names", "mother_name_placeholder", "xiaobao_placeholder", "guardian_phone_only"],
)
def test_twins_in_one_department_are_two_children(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario, a: str, b: str
) -> None:
    assert not _one_child(result, scenario, a, b)
    assert "twins" in _guards_hit(records, scenario, a, b)


def test_two_placeholders_of_another_form_in_one_department_are_two_newborns(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert not _one_child(result, scenario, "ph2_a", "ph2_b")
    assert "placeholder_twins_in_one_department" in _guards_hit(records, scenario, "ph2_a", "ph2_b")


def test_a_child_renamed_between_birth_certificate_and_school_is_one_child(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    # The name given at birth and the name registered: same parents, and the school record carries
    # the child's identity number.
    assert _guards_hit(records, scenario, "renamed_cert", "renamed_school") == set()
    assert not _pair(result, scenario, "renamed_cert", "renamed_school")["vetoed"]
    assert _one_child(result, scenario, "renamed_cert", "renamed_school")


def test_twins_each_known_where_the_other_is_not_are_two_children(
    result: LinkResult, scenario: Scenario
) -> None:
    # Same parents and birth date, another given name, no number: a twin as much as a renamed child.
    pair = _pair(result, scenario, "lone_twin_health", "other_twin_cert")
    assert pair["vetoed"] and not pair["cannot_link"]
    assert pair["match_probability"] >= 0.9  # the score alone would have merged them
    assert not _one_child(result, scenario, "lone_twin_health", "other_twin_cert")
    assert not _one_child(result, scenario, "lone_twin_health", "other_twin_insurance")
    assert _one_child(result, scenario, "other_twin_cert", "other_twin_insurance")
    # Listed for a person to check: the two records and the two children they ended in.
    lo, hi = sorted((scenario.tags["lone_twin_health"], scenario.tags["other_twin_cert"]))
    apart = result.vetoed_apart.filter(pl.col("l") == lo, pl.col("r") == hi)
    assert apart.height == 1
    assert {apart["child_id_l"][0], apart["child_id_r"][0]} == set(
        _ids(result, scenario, "lone_twin_health", "other_twin_cert")
    )


def test_twins_of_different_surnames_are_two_children(result: LinkResult, scenario: Scenario) -> None:
    pair = _pair(result, scenario, "father_surname_twin", "mother_surname_twin")
    assert pair["vetoed"]
    assert not _one_child(result, scenario, "father_surname_twin", "mother_surname_twin")


def test_a_birth_certificate_whose_name_a_later_record_carries_is_no_birth_name(
    result: LinkResult, scenario: Scenario
) -> None:
    assert _pair(result, scenario, "registered_twin_permit", "named_twin_cert")["vetoed"]
    assert not _one_child(result, scenario, "registered_twin_permit", "named_twin_cert")
    assert _one_child(result, scenario, "named_twin_cert", "named_twin_insurance")


def test_a_renamed_record_joins_its_child_through_the_number_it_shares(
    result: LinkResult, scenario: Scenario
) -> None:
    # Insurance and birth certificate share no number: no link of their own, yet one child through
    # the permit, whose identity number the insurance record carries.
    assert _pair(result, scenario, "renamed_insurance", "renamed_birth_cert")["vetoed"]
    assert not _pair(result, scenario, "renamed_insurance", "renamed_permit")["vetoed"]
    ids = _ids(result, scenario, "renamed_permit", "renamed_birth_cert", "renamed_insurance")
    assert len(set(ids)) == 1


# 4. Birth certificates by place of birth ------------------------------------------------------------


def test_a_birth_certificate_links_through_birth_date_sex_and_origin_county(
    result: LinkResult, scenario: Scenario
) -> None:
    pair = _pair(result, scenario, "origin_cert", "origin_later")
    bits = dict(result.blocking_report.select("rule", "bit").iter_rows())
    assert pair["rules"] == bits["dob_sex_origin"]  # no other rule brings the two together
    assert pair["g_birthplace"] == 2  # place of birth = county of the child's identity number
    assert _one_child(result, scenario, "origin_cert", "origin_later")


def test_a_birth_certificate_with_another_given_name_and_nothing_but_birth_facts_is_no_link(
    records: pl.DataFrame, scenario: Scenario
) -> None:
    # The same two records, but the certificate names the boy 魏小雨: renamed, or the twin of the
    # later record's child; nothing the two share tells which.
    named = records.with_columns(
        *(
            pl.when(pl.col("record_id") == scenario.tags["origin_cert"])
            .then(pl.lit(value))
            .otherwise(pl.col(column))
            .alias(column)
            for column, value in (
                ("name", "魏小雨"),
                ("name_pinyin", "weixiaoyu"),
                ("surname", "魏"),
                ("given_name", "小雨"),
                ("name_variant_key", "魏小雨"),
                ("name_placeholder", False),
            )
        )
    )
    res = link(named, _config())
    assert _pair(res, scenario, "origin_cert", "origin_later")["vetoed"]
    assert not _one_child(res, scenario, "origin_cert", "origin_later")


def test_a_birth_certificate_born_elsewhere_is_not_that_child(
    records: pl.DataFrame, scenario: Scenario
) -> None:
    # The same two records, but the certificate says the child was born in another county.
    moved = records.with_columns(
        pl.when(pl.col("record_id") == scenario.tags["origin_cert"])
        .then(pl.lit("220581"))
        .otherwise(pl.col("birth_place_county"))
        .alias("birth_place_county")
    )
    res = link(moved, _config())
    assert not _one_child(res, scenario, "origin_cert", "origin_later")


# 6. Excel-truncated numbers -----------------------------------------------------------------------


def test_an_excel_truncated_number_joins_the_child_it_was_cut_from(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    cut = records.filter(pl.col("record_id") == scenario.tags["excel_cut"]).row(0, named=True)
    assert cut["id_status"] == "valid" and cut["id_number"].endswith("000")
    assert _guards_hit(records, scenario, "excel_full", "excel_cut") == set()
    assert _one_child(result, scenario, "excel_full", "excel_cut")
    assigned = records.join(result.record_child, on="record_id")
    assert clusters_with_two_valid_ids(assigned) == 0


# 7. Excel-mangled numbers -------------------------------------------------------------------------


def test_what_excel_left_of_a_number_agrees_with_the_full_number_and_links(
    result: LinkResult, scenario: Scenario
) -> None:
    pair = _pair(result, scenario, "lossy_head", "lossy_own_full")
    assert "id:lossy_head" in str(pair["explanation"])
    assert _one_child(result, scenario, "lossy_head", "lossy_own_full")


def test_what_excel_left_of_a_number_keeps_a_namesake_with_another_county_apart(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario
) -> None:
    assert "valid_id_against_lossy_head" in _guards_hit(records, scenario, "lossy_head", "lossy_namesake")
    assert not _one_child(result, scenario, "lossy_head", "lossy_namesake")
    assert not _one_child(result, scenario, "lossy_own_full", "lossy_namesake")


# 8. The number's county against the hukou ----------------------------------------------------------


def test_a_numbers_county_is_compared_with_the_hukou_of_a_record_without_number(
    result: LinkResult, scenario: Scenario
) -> None:
    same = _pair(result, scenario, "hukou_only", "number_only")
    other = _pair(result, scenario, "hukou_only", "number_elsewhere")
    assert "id_county_hukou:same_county" in str(same["explanation"])
    assert "id_county_hukou:different" in str(other["explanation"])
    assert same["match_weight"] > other["match_weight"]


# 9. Guards inside a component ---------------------------------------------------------------------


def test_two_permits_never_compared_are_still_two_children_of_one_department(
    result: LinkResult, scenario: Scenario
) -> None:
    lo, hi = sorted((scenario.tags["permit_twin_a"], scenario.tags["permit_twin_b"]))
    assert result.pairs.filter(pl.col("l") == lo, pl.col("r") == hi).height == 0  # never compared
    assert _pair(result, scenario, "permit_twin_a", "cert_twin_b")["match_probability"] >= 0.9
    assert _one_child(result, scenario, "permit_twin_b", "cert_twin_b")
    assert not _one_child(result, scenario, "permit_twin_a", "permit_twin_b")


# 10. Birth-date slips ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "level"), [("swap_a", "swap_b", "day_month_swap"), ("year_a", "year_b", "one_year")]
)
def test_a_typed_birth_date_slip_is_weighed_not_taken_for_a_sibling(
    records: pl.DataFrame, result: LinkResult, scenario: Scenario, a: str, b: str, level: str
) -> None:
    assert "different_birth_dates" not in _guards_hit(records, scenario, a, b)
    assert f"dob:{level}" in str(_pair(result, scenario, a, b)["explanation"])
    assert _one_child(result, scenario, a, b)


def test_a_valid_numbers_birth_date_wins_over_the_date_typed_beside_it(
    records: pl.DataFrame, scenario: Scenario
) -> None:
    con = duckdb.connect()
    try:
        prepare_records(con, records, children())
        (dob,) = con.sql(
            "SELECT dob FROM lk_records WHERE record_id = $r", params={"r": scenario.tags["typed_vs_id"]}
        ).fetchall()[0]
    finally:
        con.close()
    assert dob == date(2016, 3, 5)


def test_a_name_counts_as_used_later_only_when_a_later_record_carries_it_with_that_birth_date() -> None:
    # name_in_later_records is a window over the records (computed apart and joined back by id):
    # each record must get its own group's answer, whatever the order of the records.
    day, other_day = date(2019, 4, 2), date(2019, 4, 3)
    rows = [
        child("王浩宇", "wang_hao_yu", 1, day, "1", None, [], source="birth_certificates"),
        child("李一诺", "li_yi_nuo", 1, day, "2", None, [], source="birth_certificates"),
        child("王浩宇", "wang_hao_yu", 1, day, "1", None, [], source="school_enrollment"),
        child("李一诺", "li_yi_nuo", 1, other_day, "2", None, [], source="vaccination"),
    ]
    con = duckdb.connect()
    try:
        prepare_records(con, frame(rows), children())
        got = dict(con.sql("SELECT record_id, name_in_later_records FROM lk_records").fetchall())
    finally:
        con.close()
    assert got == {0: True, 1: False, 2: True, 3: True}
