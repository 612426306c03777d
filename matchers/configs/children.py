"""The child configuration: linking the department records of migrant children.

What it encodes, and why:

* Identity numbers are the strongest evidence, but arrive with typos (one
  substitution, one adjacent transposition: the GB 11643 check digit catches
  both, so they show up as ``bad_check``), are missing for infants, or are
  lossy. The pupil number ``G`` + identity number fills the gap for pupils.
* Names arrive as homophones, look-alikes, one-character typos, placeholders
  for newborns (之子, 小宝), and children get renamed; rare names weigh more.
* Birth dates arrive day/month swapped, one day off or with one wrong digit.
* Guardians' identity numbers and phones tie a child's records across
  departments, but also tie siblings: twins (same parents, same birth date,
  different given names) must never merge, and two different *valid*
  identity numbers are two children whatever else agrees.
"""

from __future__ import annotations

from data_contracts.tables import STD_RECORDS, columns
from matchers.blocking import BlockingRule
from matchers.comparisons import (
    Comparison,
    Guard,
    Level,
    Veto,
    birth_date,
    chinese_name,
    code_with_typos,
    day_month_swapped,
    either_null,
    exact,
    identity_number,
    one_year_apart,
    transposition,
)
from matchers.engine import LinkageConfig
from matchers.stable_ids import Anchor

COLUMNS = columns(
    STD_RECORDS,
    (
        "source",
        "file",
        "row_number",
        "name",
        "name_pinyin",
        "name_initials",
        "surname",
        "given_name",
        "name_variant_key",
        "name_placeholder",
        "id_number",
        "id_status",
        "id_prefix",
        "id_birth_date",
        "id_sex",
        "birth_date",
        "birth_date_alt",
        "sex",
        "hukou_county",
        "residence_county",
        "birth_cert_no",
        "birth_place_county",
        "guardian_ids",
        "guardian_phones",
        "mother_name",
        "father_name",
        "mother_id",
        "father_id",
        "permit_no",
        "pupil_no",
        "pupil_id_number",
        "health_record_no",
        "client_code",
        "insurance_no",
    ),
)

# The birth date an Excel-mangled number still shows in digits 7-14, for a record whose own date is
# empty (rounding reaches those digits only through a run of nines).
_HEAD_DATE = (
    "CASE WHEN r.id_status = 'lossy' AND length(r.id_prefix) >= 14"
    " THEN TRY_STRPTIME(substr(r.id_prefix, 7, 8), '%Y%m%d')::DATE END"
)

# A valid number's birth digits passed the check digit; a typed birth date did not: where the two
# disagree on one record (a slipped day, a swapped day and month), the number is right.
_DOB = (
    "CASE WHEN r.id_status = 'valid' AND r.id_birth_date IS NOT NULL THEN r.id_birth_date"
    f" ELSE coalesce(r.birth_date, r.id_birth_date, {_HEAD_DATE}) END"
)

DERIVED: tuple[tuple[str, str], ...] = (
    # The best identity number a record offers: its own, else the one inside a G pupil number.
    (
        "id_any",
        "CASE WHEN r.id_status = 'valid' THEN r.id_number ELSE coalesce(r.pupil_id_number, r.id_number) END",
    ),
    # Two different valid numbers are two children (the check digit catches every single
    # substitution and adjacent transposition), so a valid number is the clustering anchor.
    # A number ending in 000 may be an Excel-truncated one whose check digit happens to hold (one in
    # eleven), so it is no anchor: it still links by comparison, but cannot keep two records apart.
    (
        "valid_id",
        "CASE WHEN r.id_status = 'valid' AND right(r.id_number, 3) <> '000' THEN r.id_number"
        " WHEN right(r.pupil_id_number, 3) <> '000' THEN r.pupil_id_number END",
    ),
    # What survives of an Excel-mangled number (2.20402201706115E+17): its leading digits, rounded
    # in the last place. Enough to tell the county and birth date of the number it was.
    (
        "id_head",
        "CASE WHEN r.id_status = 'lossy' AND r.pupil_id_number IS NULL"
        " AND length(r.id_prefix) BETWEEN 14 AND 17 THEN r.id_prefix END",
    ),
    ("dob", _DOB),
    ("sex_any", "coalesce(r.sex, r.id_sex)"),
    ("dob_text", f"strftime({_DOB}, '%Y%m%d')"),
    ("alt_text", "strftime(r.birth_date_alt, '%Y%m%d')"),
    ("dob_month", f"strftime({_DOB}, '%Y%m')"),
    # Whether a record other than a birth certificate carries this name and birth date: a name on
    # the certificate alone may be the one given at birth and replaced at registration.
    (
        "name_in_later_records",
        "sum(CASE WHEN r.source <> 'birth_certificates' THEN 1 ELSE 0 END)"
        f" OVER (PARTITION BY r.name_variant_key, {_DOB}) > 0",
    ),
    # Where a child comes from: the birth certificate's place of birth, else the county of its
    # identity number (registered at birth), else its hukou county. A birth certificate carries no
    # identity number and no residence, so this is what ties it to the child's later records.
    (
        "origin_county",
        "coalesce(r.birth_place_county, left(coalesce(r.id_number, r.pupil_id_number, r.id_prefix), 6),"
        " r.hukou_county)",
    ),
    ("id_county", "left(coalesce(r.id_number, r.pupil_id_number, r.id_prefix), 6)"),
    # A name that says nothing (之子, 小宝) must not be a block key.
    ("name_key", "CASE WHEN coalesce(r.name_placeholder, FALSE) THEN NULL ELSE r.name END"),
    ("pinyin_key", "CASE WHEN coalesce(r.name_placeholder, FALSE) THEN NULL ELSE r.name_pinyin END"),
    ("variant_key", "CASE WHEN coalesce(r.name_placeholder, FALSE) THEN NULL ELSE r.name_variant_key END"),
)

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("same_id", "r.id_any"),
    BlockingRule("id_one_typo", "r.id_any", kind="deletion"),
    BlockingRule("dob_pinyin", "r.pinyin_key || '|' || r.dob_text"),
    BlockingRule("alt_dob_pinyin", "r.pinyin_key || '|' || r.alt_text"),
    # Name and birth date with day and month in either order: a typed date whose day and month
    # were swapped (no ambiguous raw text behind it, so no alt date either).
    BlockingRule(
        "pinyin_unordered_dob",
        "r.pinyin_key || '|' || year(r.dob) || '|' || least(month(r.dob), day(r.dob))"
        " || '-' || greatest(month(r.dob), day(r.dob))",
    ),
    BlockingRule(
        "dob_sex_residence",
        "[r.dob_text || '|' || r.sex_any || '|' || r.residence_county,"
        " r.alt_text || '|' || r.sex_any || '|' || r.residence_county]",
        unnest=True,
        sub_key="r.name_initials",
    ),
    BlockingRule(
        "dob_sex_hukou", "r.dob_text || '|' || r.sex_any || '|' || r.hukou_county", sub_key="r.name_initials"
    ),
    BlockingRule(
        "dob_sex_origin",
        "r.dob_text || '|' || r.sex_any || '|' || r.origin_county",
        sub_key="left(r.surname, 1)",
    ),
    BlockingRule("guardian_id", "r.guardian_ids", unnest=True),
    BlockingRule("guardian_phone", "r.guardian_phones", unnest=True, sub_key="r.dob_month"),
    BlockingRule("birth_cert", "r.birth_cert_no"),
    BlockingRule("birth_cert_typo", "r.birth_cert_no", kind="deletion"),
    BlockingRule("pupil_no", "r.pupil_no"),
    BlockingRule("variant_month", "r.variant_key || '|' || r.dob_month"),
    BlockingRule("dob_initials", "r.dob_text || '|' || r.name_initials", sub_key="r.residence_county"),
    BlockingRule("name_residence", "r.name_key || '|' || r.residence_county", sub_key="r.dob_month"),
    BlockingRule(
        "mother_dob", "[r.mother_id || '|' || r.dob_text, r.mother_name || '|' || r.dob_text]", unnest=True
    ),
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

# Given names that are no typo of each other, or children of different sexes: twins 雨萱 and 宇轩 share
# their pinyin, and a homophone typo can even give the boy his sister's characters.
_UNRELATED_GIVEN_NAMES = (
    "((l.given_name <> r.given_name AND l.name_pinyin <> r.name_pinyin"
    " AND l.name_variant_key <> r.name_variant_key)"
    " OR l.sex_any <> r.sex_any)"
)

# A placeholder (之子, 小宝) says nothing of a given name: name-based guards skip it.
_NEITHER_PLACEHOLDER = "NOT coalesce(l.name_placeholder, FALSE) AND NOT coalesce(r.name_placeholder, FALSE)"

# The same identity or birth-certificate number means one child renamed, not twins. Not what Excel
# left of a number: twins' numbers differ only in the last digits, the ones Excel rounds away.
_NOT_SAME_NUMBERS = (
    "NOT coalesce(l.id_any = r.id_any, FALSE) AND NOT coalesce(l.birth_cert_no = r.birth_cert_no, FALSE)"
)

GUARDS: tuple[Guard, ...] = (
    Guard("different_valid_ids", "l.valid_id <> r.valid_id"),
    Guard(
        # A valid number against what Excel left of another: county and birth date (the first 14
        # digits) two or more digits apart are two children; one digit could be a typo or rounding.
        "valid_id_against_lossy_head",
        "(l.valid_id IS NOT NULL AND r.id_head IS NOT NULL"
        "  AND hamming(left(l.valid_id, 14), left(r.id_head, 14)) >= 2)"
        " OR (r.valid_id IS NOT NULL AND l.id_head IS NOT NULL"
        "  AND hamming(left(r.valid_id, 14), left(l.id_head, 14)) >= 2)",
    ),
    Guard(
        # One child has one birth medical certificate: two numbers further apart than one typo are
        # two children (infant twins whose other records carry only placeholder names).
        "different_birth_certs",
        "l.birth_cert_no <> r.birth_cert_no AND levenshtein(l.birth_cert_no, r.birth_cert_no) > 1"
        f" AND NOT {transposition('birth_cert_no')}",
    ),
    Guard(
        # Birth dates further apart than any typing slip (one day, one digit, day and month
        # swapped, the year one off, same month) are two children, siblings as a rule, however
        # much family they share: the parents, guardians, phones and counties of siblings all
        # agree, and summed as if independent they outweigh the birth date. The same identity
        # number overrides.
        "different_birth_dates",
        "abs(date_diff('day', l.dob, r.dob)) > 1"
        " AND date_trunc('month', l.dob) <> date_trunc('month', r.dob)"
        " AND hamming(strftime(l.dob, '%Y%m%d'), strftime(r.dob, '%Y%m%d')) > 1"
        " AND NOT coalesce(l.dob = r.birth_date_alt OR l.birth_date_alt = r.dob, FALSE)"
        f" AND NOT coalesce({day_month_swapped('l.dob', 'r.dob')}, FALSE)"
        f" AND NOT coalesce({one_year_apart('l.dob', 'r.dob')}, FALSE)"
        " AND NOT coalesce(l.id_any = r.id_any, FALSE)",
    ),
    Guard(
        # Another sex and another given name: a brother and a sister, not one child typed twice.
        "different_sex_and_name",
        "l.sex_any <> r.sex_any AND l.given_name <> r.given_name AND l.name_pinyin <> r.name_pinyin"
        " AND l.name_variant_key <> r.name_variant_key"
        f" AND {_NEITHER_PLACEHOLDER}"
        f" AND {_NOT_SAME_NUMBERS}",
    ),
    Guard(
        # Another given name and no birth date to compare: a sibling as likely as the child renamed,
        # and family evidence alone cannot tell them apart.
        "another_name_without_birth_date",
        "(l.dob IS NULL OR r.dob IS NULL)"
        f" AND {_NEITHER_PLACEHOLDER}"
        f" AND {_UNRELATED_GIVEN_NAMES} AND {_NOT_SAME_NUMBERS}",
    ),
    Guard(
        "twins",
        # The same parents, but given names that are no typo of each other, in one department's
        # records: a department lists each child once, so two unrelated given names there are two
        # children (twins, or siblings whose birth dates a typo brought close). Across departments
        # the same evidence is as often one child renamed (the birth certificate's name is not the
        # school's); there the pair is weighed, and twins are still kept apart because each twin's
        # own records are cannot-linked in the departments that list both.
        "l.source = r.source"
        " AND (list_has_any(l.guardian_ids, r.guardian_ids)"
        "      OR list_has_any(l.guardian_phones, r.guardian_phones) OR l.mother_id = r.mother_id"
        "      OR l.mother_name = r.mother_name OR l.father_id = r.father_id)"
        # A placeholder (李娜之女) beside a real name in one department is the other twin too.
        " AND (coalesce(l.name_placeholder, FALSE) <> coalesce(r.name_placeholder, FALSE)"
        f"      OR (NOT coalesce(l.name_placeholder, FALSE) AND {_UNRELATED_GIVEN_NAMES}))"
        f" AND {_NOT_SAME_NUMBERS}",
    ),
    Guard(
        # One department, the same birth date and surname, given names no typo of each other: twins,
        # even when each record names another parent (the father on one permit, the mother on the
        # other) or none.
        "twins_in_one_department",
        "l.source = r.source AND l.dob = r.dob AND l.surname = r.surname"
        f" AND {_NEITHER_PLACEHOLDER}"
        f" AND {_UNRELATED_GIVEN_NAMES} AND {_NOT_SAME_NUMBERS}",
    ),
    Guard(
        # Two placeholders of another form for one birth date in one department (李小宝 and 李娜之女):
        # a department registers a newborn once, so these are two newborns.
        "placeholder_twins_in_one_department",
        "l.source = r.source AND l.dob = r.dob"
        " AND coalesce(l.name_placeholder, FALSE) AND coalesce(r.name_placeholder, FALSE)"
        f" AND {_UNRELATED_GIVEN_NAMES} AND {_NOT_SAME_NUMBERS}",
    ),
    Guard(
        "twins_by_id",
        # Same birth date and surname, identity numbers of the same county and birth date that are not
        # equal, and given names that are no typo of each other: twins, whatever the sources say of parents.
        "l.dob = r.dob AND l.surname = r.surname AND left(l.id_any, 14) = left(r.id_any, 14)"
        " AND l.id_any <> r.id_any"
        f" AND {_NEITHER_PLACEHOLDER}"
        f" AND {_UNRELATED_GIVEN_NAMES} AND {_NOT_SAME_NUMBERS}",
    ),
)

# Another given name: no typo, homophone or look-alike of the other, whatever the surnames (a twin
# may carry the mother's surname). One character of a one-character given name replaced by another
# that neither sounds nor looks like it is another name (宇, 伟), not a typo.
_ANOTHER_GIVEN_NAME = (
    "length(l.given_name) > 0 AND length(r.given_name) > 0 AND l.given_name <> r.given_name"
    " AND l.name <> r.name AND l.name_pinyin <> r.name_pinyin"
    " AND l.name_variant_key <> r.name_variant_key"
    " AND (levenshtein(l.name, r.name) > 1 OR (length(l.given_name) = 1 AND length(r.given_name) = 1))"
)

# A birth certificate is made out before the child is registered, and parents often register another
# name than the one the certificate carries: a certificate whose name no later record carries and a
# record with the child's identity number, of the same parents, are one child. (When a later record
# carries the certificate's name too, that name is the registered one, and the other is a twin's.)
_BIRTH_NAME_AND_REGISTERED_NAME = (
    "((l.source = 'birth_certificates' AND NOT l.name_in_later_records AND r.valid_id IS NOT NULL)"
    " OR (r.source = 'birth_certificates' AND NOT r.name_in_later_records AND l.valid_id IS NOT NULL))"
    " AND (list_has_any(l.guardian_ids, r.guardian_ids)"
    "      OR list_has_any(l.guardian_phones, r.guardian_phones))"
)

VETOES: tuple[Veto, ...] = (
    Veto(
        # Another given name is a child renamed or its twin: twins share everything else, parents,
        # birth date, counties and phones, and a score that sums those as independent evidence
        # cannot tell the two apart. A number only one child carries can: without one the pair is
        # no link, and the renamed record still joins its child through any record it shares a
        # number with. One exception: a birth certificate whose name no later record carries and a
        # record with the identity number, of the same parents, are the name given at birth and the
        # name registered (a twin links so only when its certificate is all there is of it).
        "another_given_name_without_a_shared_number",
        f"{_ANOTHER_GIVEN_NAME} AND {_NEITHER_PLACEHOLDER}"
        f" AND {_NOT_SAME_NUMBERS} AND NOT ({_BIRTH_NAME_AND_REGISTERED_NAME})",
    ),
)

ANCHORS: tuple[Anchor, ...] = (
    Anchor("id_number", "r.valid_id", 100.0),
    Anchor("birth_cert_no", "r.birth_cert_no", 60.0),
    Anchor("pupil_no", "r.pupil_no", 60.0),
    Anchor("permit_no", "r.permit_no", 40.0),
    Anchor("health_record_no", "r.health_record_no", 40.0),
    Anchor("client_code", "r.client_code", 40.0),
    Anchor("insurance_no", "r.insurance_no", 40.0),
    Anchor("name_dob", "r.name_key || '|' || r.dob_text", 10.0),
)


def children_config(**overrides: object) -> LinkageConfig:
    """The child configuration; keyword arguments override fields (thresholds, caps) for experiments."""
    base = {
        "name": "children",
        "columns": COLUMNS,
        "derived": DERIVED,
        "blocking_rules": BLOCKING_RULES,
        "comparisons": COMPARISONS,
        "guards": GUARDS,
        "vetoes": VETOES,
        "anchor_guard": "r.valid_id",
        "anchors": ANCHORS,
        "id_fallback": "r.source || '|' || r.file || '|' || CAST(r.row_number AS VARCHAR)",
        "id_namespace": "taizhang-child-v1",
        "id_prefix": "C",
        "threshold": 0.9,
        # Same identity number: m of everything but the id and what the id itself gives (birth date,
        # sex); same name and birth date: m of the rest; same name and residence: m of the birth
        # date and sex where they are typed apart from any number, typos and all.
        # (Not guardians: siblings share them, and EM would take siblings for matches.)
        "training": (
            ("same_id", ("id", "dob", "sex")),
            ("dob_pinyin", ("name", "dob")),
            ("name_residence", ("name", "residence")),
        ),
        "max_cluster_size": 25,
        # No record is detached for being nearly as strongly linked elsewhere: placeholder-named
        # infant records that fit either twin float (below), and a record with its own name follows
        # its strongest link (measured: a margin of 4 bits cost recall and kept no twin apart).
        "ambiguity_margin": 0.0,
        # Measured on generated extracts: no true pair scores below -10 bits (default and heavy noise).
        "cannot_link_below": -10.0,
        # Two people for sure by their own numbers (two valid identity numbers, two birth
        # certificates) or two placeholders in one department block a rejoin through last
        # half-year's id. The other guards weigh names and dates a typo can bend, and the shared
        # number the registry holds outweighs them (measured: blocking on them lost H2 recall).
        "rejoin_guards": (
            "different_valid_ids",
            "different_birth_certs",
            "placeholder_twins_in_one_department",
        ),
        # Pairs of one component no blocking rule compared (a twin's permit and the other twin's,
        # each tied to the family's birth certificate) are still kept apart by numbers and by one
        # department listing two children; not by birth dates, sexes or names, whose typos are
        # what left such pairs uncompared (measured: those cost 0.2 points of heavy-noise recall).
        "component_guards": (
            "different_birth_certs",
            "valid_id_against_lossy_head",
            "twins",
            "twins_in_one_department",
            "placeholder_twins_in_one_department",
            "twins_by_id",
        ),
        # Twins' records: inside a component holding both, a given name must fit the group it joins.
        "conflict_labels": (
            "CASE WHEN coalesce(r.name_placeholder, FALSE) THEN NULL ELSE r.given_name END",
            "CASE WHEN coalesce(r.name_placeholder, FALSE) THEN NULL ELSE r.name_pinyin END",
        ),
        # A newborn known only by a placeholder (李小宝, 李娜之女) or by no name at all, and no
        # number that another record shares, fits either twin: it joins a cluster only when no
        # other cluster was born that day.
        "conflict_floaters": (
            "(coalesce(r.name_placeholder, FALSE) OR r.name IS NULL) AND r.id_any IS NULL"
            " AND (r.birth_cert_no IS NULL OR count(*) OVER (PARTITION BY r.birth_cert_no) = 1)",
            "r.dob_text",
        ),
        "max_block_size": 200,
        "review_columns": ("source", "file", "row_number"),
        "review_mask_column": "name",
    }
    base.update(overrides)
    return LinkageConfig(**base)  # type: ignore[arg-type]
