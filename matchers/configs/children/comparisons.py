"""The child configuration's comparisons: how two records are weighed, field by field."""

from __future__ import annotations

from matchers.comparisons import (
    Comparison,
    Level,
    birth_date,
    chinese_name,
    code_with_typos,
    either_null,
    exact,
    identity_number,
)


def _parent_name(name: str, column: str) -> Comparison:
    return Comparison(
        name=name,
        null_condition=either_null(column),
        levels=(
            Level("exact", f"l.{column} = r.{column}", 0.8),
            Level("one_char", f"levenshtein(l.{column}, r.{column}) <= 1", 0.15),
        ),
        else_m=0.05,
    )


def _lossy_head_agrees(full: str, head: str) -> str:
    # The head is the number's leading digits rounded in the last place: equal within one.
    return (
        f"{head}.id_head IS NOT NULL AND {full}.id_any IS NOT NULL"
        f" AND abs(TRY_CAST(left({full}.id_any, length({head}.id_head)) AS HUGEINT)"
        f" - TRY_CAST({head}.id_head AS HUGEINT)) <= 1"
    )


def _child_id_number() -> Comparison:
    base = identity_number(column="id_any")
    truncated = Level(
        "excel_truncated",
        "(right(l.id_any, 3) = '000' OR right(r.id_any, 3) = '000')"
        " AND left(l.id_any, 15) = left(r.id_any, 15)",
        0.02,
    )
    lossy = Level(
        "lossy_head",
        f"({_lossy_head_agrees('r', 'l')}) OR ({_lossy_head_agrees('l', 'r')})",
        0.02,
    )
    return Comparison(
        name=base.name,
        # Comparable: two numbers, or a number and what Excel left of another.
        null_condition="NOT ((l.id_any IS NOT NULL AND r.id_any IS NOT NULL)"
        " OR (l.id_any IS NOT NULL AND r.id_head IS NOT NULL)"
        " OR (l.id_head IS NOT NULL AND r.id_any IS NOT NULL))",
        levels=(base.levels[0], truncated, lossy, *base.levels[1:]),
        else_m=base.else_m,
    )


def _birthplace() -> Comparison:
    # Only a birth certificate has a place of birth: between two other records the origin is the
    # id's county or the hukou, which the id and hukou comparisons already weigh.
    return Comparison(
        name="birthplace",
        null_condition="(l.birth_place_county IS NULL AND r.birth_place_county IS NULL)"
        " OR (l.origin_county IS NULL AND l.residence_county IS NULL)"
        " OR (r.origin_county IS NULL AND r.residence_county IS NULL)",
        levels=(
            Level("origin", "l.origin_county = r.origin_county", 0.8),
            Level(
                "born_where_living",
                "l.birth_place_county = r.residence_county OR r.birth_place_county = l.residence_county",
                0.1,
            ),
        ),
        else_m=0.1,
    )


def _id_county_and_hukou() -> Comparison:
    # One record knows the child's number (whose county is where it was registered at birth) but
    # not its hukou, the other the hukou but no number: the hukou and id comparisons both say
    # nothing, yet a migrant's hukou is, as a rule, the county that issued the number. Birth
    # certificates are weighed by the birthplace comparison instead.
    one_way = (
        "{a}.id_county IS NOT NULL AND {a}.hukou_county IS NULL"
        " AND {b}.id_county IS NULL AND {b}.hukou_county IS NOT NULL"
    )
    return Comparison(
        name="id_county_hukou",
        null_condition=f"NOT (({one_way.format(a='l', b='r')}) OR ({one_way.format(a='r', b='l')}))"
        " OR l.birth_place_county IS NOT NULL OR r.birth_place_county IS NOT NULL",
        levels=(Level("same_county", "l.id_county = r.hukou_county OR r.id_county = l.hukou_county", 0.8),),
        else_m=0.2,
    )


def _family() -> Comparison:
    # Guardians' ids and phones describe the same family: one comparison, so that siblings are not
    # counted twice as evidence (the two agree together far more often than independence implies).
    ids = "coalesce(len(l.guardian_ids), 0) > 0 AND coalesce(len(r.guardian_ids), 0) > 0"
    phones = "coalesce(len(l.guardian_phones), 0) > 0 AND coalesce(len(r.guardian_phones), 0) > 0"
    id_overlap = "list_has_any(l.guardian_ids, r.guardian_ids)"
    phone_overlap = "list_has_any(l.guardian_phones, r.guardian_phones)"
    return Comparison(
        name="family",
        null_condition=f"NOT (({ids}) OR ({phones}))",
        levels=(
            Level("ids_and_phones", f"{id_overlap} AND {phone_overlap}", 0.4),
            Level("guardian_id", id_overlap, 0.3),
            Level("guardian_phone", phone_overlap, 0.2),
        ),
        else_m=0.1,
    )


COMPARISONS: tuple[Comparison, ...] = (
    chinese_name(),
    _child_id_number(),
    birth_date(column="dob"),
    exact("sex", "sex_any", m=0.97),
    _family(),
    _parent_name("mother_name", "mother_name"),
    _parent_name("father_name", "father_name"),
    exact("residence", "residence_county", m=0.8),
    exact("hukou", "hukou_county", m=0.8),
    code_with_typos("birth_cert", "birth_cert_no", m_exact=0.9, max_edits=1),
    _birthplace(),
    _id_county_and_hukou(),
)
