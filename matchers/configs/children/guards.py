"""The child configuration's guards (pairs that may never be one child) and vetoes (pairs that are
no link of their own, whatever they score)."""

from __future__ import annotations

from matchers.comparisons import day_month_swapped, one_year_apart, transposition
from matchers.guards import Guard, Veto

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
    Guard.values_differ("different_valid_ids", "valid_id"),
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
# may carry the mother's surname). Whether two names are one typo apart is the engine's
# name-relatedness rule (matchers/name_relatedness.py), which clustering applies too: one character of a
# one-character given name replaced by another that neither sounds nor looks like it is another
# name (宇, 伟), not a typo.
_ANOTHER_GIVEN_NAME = (
    "length(l.given_name) > 0 AND length(r.given_name) > 0 AND l.given_name <> r.given_name"
    " AND l.name <> r.name AND l.name_pinyin <> r.name_pinyin"
    " AND l.name_variant_key <> r.name_variant_key"
    " AND NOT lk_typo_apart(l.name, r.name, l.given_name, r.given_name)"
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
