"""The child configuration's blocking rules: which record pairs are compared at all.

Every rule's pairs should grow about as fast as the records, so that the whole province (2.5
million children, 7 million records) is compared on one machine. A key that holds a fixed set of
values (a birth date with a sex and a county, say) makes blocks that fill up as the province grows,
and pairs that grow with its square: such keys carry a name or a number, or pair only the records
that need them (``one_side``: a record with no name, no birth date, a number that fails its check)
with their block, or leave to the name-and-birth-date rule the pairs it forms (``found_by``).
Those last two still grow faster than the records, more slowly than the square: with varied names
(``benchmarks/scale.py --names varied``) the rules keyed by a name or a number formed 3.36 times
the pairs from 300,000 to 1,000,000 children (3.34 times the records), the family-name and
birth-date-with-county rules 7.7 times (125,551 to 969,169 pairs, a fifth of the candidates at
1,000,000 children). Each rule is kept for the true pairs no other rule found, against the pairs
it costs (measured at 300,000 and 1,000,000 generated children).
"""

from __future__ import annotations

from matchers.blocking import BlockingRule

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("same_id", "r.id_any"),
    # A number one typo away from another. Two numbers that both pass the GB 11643 check digit are
    # two children (the check catches every single substitution and adjacent transposition), so
    # only a number that fails it (or was mangled) is paired with its neighbours: valid numbers of
    # one county and birth date are dense, and pairing them all grew with the square of the province.
    BlockingRule("id_one_typo", "r.id_any", kind="deletion", one_side="r.id_status IS DISTINCT FROM 'valid'"),
    # Name and birth date. Every other rule of a birth date with a form of the name (or of the family
    # name) leaves to it the pairs that share its key (``found_by``): at 1,000,000 children those
    # five rules formed 17.3 million such pairs (namesakes born the same day) again, which the union
    # dropped; 1.1 million pairs now, the same candidates.
    BlockingRule("dob_pinyin", "r.pinyin_key || '|' || r.dob_text"),
    # Name and birth date with day and month in either order: a typed date whose day and month
    # were swapped, and a date whose raw text reads either way (its alt date is that swap: the
    # same key; a rule on name and alt date alone would find only pairs whose birth dates agree).
    BlockingRule(
        "pinyin_unordered_dob",
        "r.pinyin_key || '|' || year(r.dob) || '|' || least(month(r.dob), day(r.dob))"
        " || '-' || greatest(month(r.dob), day(r.dob))",
        found_by="dob_pinyin",
    ),
    # A name with one character mistyped where its pinyin changed too, the family name kept: the
    # birth date with the family name and every character's initial.
    BlockingRule(
        "dob_surname_initials",
        "r.dob_text || '|' || r.surname || '|' || r.name_initials",
        found_by="dob_pinyin",
    ),
    # Birth date, sex and county, with no name to go by: a record known by a placeholder (之子, 小宝)
    # or by no name at all is compared with every record of its block (by residence, and by
    # origin for a birth certificate that left the name empty).
    BlockingRule(
        "dob_sex_residence",
        "[r.dob_text || '|' || r.sex_any || '|' || r.residence_county,"
        " r.alt_text || '|' || r.sex_any || '|' || r.residence_county]",
        unnest=True,
        sub_key="r.name_initials",
        one_side="r.name_key IS NULL",
    ),
    BlockingRule(
        "dob_sex_origin",
        "r.dob_text || '|' || r.sex_any || '|' || r.origin_county",
        sub_key="left(r.surname, 1)",
        one_side="r.name_key IS NULL",
    ),
    # A child renamed (a new given name, the family name kept): the name a birth certificate gives
    # may be replaced at registration, so by county of origin as well as of residence.
    BlockingRule(
        "dob_sex_surname_residence",
        "[r.dob_text || '|' || r.sex_any || '|' || r.surname || '|' || r.residence_county,"
        " r.alt_text || '|' || r.sex_any || '|' || r.surname || '|' || r.residence_county]",
        unnest=True,
        found_by="dob_pinyin",
    ),
    BlockingRule(
        "dob_sex_surname_origin",
        "r.dob_text || '|' || r.sex_any || '|' || r.surname || '|' || r.origin_county",
        found_by="dob_pinyin",
    ),
    BlockingRule("guardian_id", "r.guardian_ids", unnest=True),
    BlockingRule("guardian_phone", "r.guardian_phones", unnest=True, sub_key="r.dob_month"),
    # (No rule for a certificate number one typo away: certificate numbers carry no check digit and
    # are issued in sequence, so their neighbours are mostly other children; at 300,000 children
    # such a rule found no pair of one child that the name, birth date, sex, origin and mother did
    # not, and at 1,000,000 it cost a fifth of the blocking time.)
    BlockingRule("birth_cert", "r.birth_cert_no"),
    BlockingRule("pupil_no", "r.pupil_no"),
    # Homophone and look-alike spellings of one name (its variant key) with the same birth date.
    BlockingRule(
        "variant_dob",
        "[r.variant_key || '|' || r.dob_text, r.variant_key || '|' || r.alt_text]",
        unnest=True,
        found_by="dob_pinyin",
    ),
    # Same name in the same county of residence, for a record with no birth date at all (no other
    # rule reaches it).
    BlockingRule(
        "name_residence",
        "r.name_key || '|' || r.residence_county",
        sub_key="r.sex_any",
        one_side="r.dob IS NULL",
    ),
    # The pairs that train the birth date's and sex's m (see settings): same name and county in
    # blocks small enough to be, as a rule, one child's records. A common name's block holds more
    # namesakes the larger the province, and training on it let EM take namesakes for matches at
    # 2,500,000 children; small blocks keep the share of true pairs whatever the size of the run,
    # and their pairs grow with the records.
    BlockingRule(
        "name_residence_small",
        "r.name_key || '|' || r.residence_county",
        sub_key="r.sex_any",
        max_block_size=12,
    ),
    BlockingRule(
        "mother_dob", "[r.mother_id || '|' || r.dob_text, r.mother_name || '|' || r.dob_text]", unnest=True
    ),
)
