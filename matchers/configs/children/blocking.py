"""The child configuration's blocking rules: which record pairs are compared at all."""

from __future__ import annotations

from matchers.blocking import BlockingRule

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
    # Birth date, sex and county, with no name to go by: a record known by a placeholder (之子, 小宝)
    # or by no name at all is compared with every record of its block. Pairs of named records in
    # these blocks belong to the name rules; forming them all grew with the square of the province
    # (2.2 M pairs at 300,000 children, 0.4 % of them the same child found by no other rule).
    BlockingRule(
        "dob_sex_residence",
        "[r.dob_text || '|' || r.sex_any || '|' || r.residence_county,"
        " r.alt_text || '|' || r.sex_any || '|' || r.residence_county]",
        unnest=True,
        sub_key="r.name_initials",
        one_side="r.name_key IS NULL",
    ),
    # A child renamed (a new given name, the family name kept) in the county it lives in.
    BlockingRule(
        "dob_sex_surname_residence",
        "[r.dob_text || '|' || r.sex_any || '|' || r.surname || '|' || r.residence_county,"
        " r.alt_text || '|' || r.sex_any || '|' || r.surname || '|' || r.residence_county]",
        unnest=True,
    ),
    # Where a child comes from: a birth certificate's child may carry the name given at birth (or
    # none) and later records the registered one, so a certificate, or a record with no name, is
    # compared with every record of its birth date, sex and county of origin.
    BlockingRule(
        "dob_sex_origin",
        "r.dob_text || '|' || r.sex_any || '|' || r.origin_county",
        sub_key="left(r.surname, 1)",
        one_side="r.name_key IS NULL OR r.source = 'birth_certificates'",
    ),
    BlockingRule("guardian_id", "r.guardian_ids", unnest=True),
    BlockingRule("guardian_phone", "r.guardian_phones", unnest=True, sub_key="r.dob_month"),
    BlockingRule("birth_cert", "r.birth_cert_no"),
    BlockingRule("birth_cert_typo", "r.birth_cert_no", kind="deletion"),
    BlockingRule("pupil_no", "r.pupil_no"),
    # Homophone and look-alike spellings of one name (its variant key) with the same birth date.
    BlockingRule(
        "variant_dob",
        "[r.variant_key || '|' || r.dob_text, r.variant_key || '|' || r.alt_text]",
        unnest=True,
    ),
    BlockingRule("dob_initials", "r.dob_text || '|' || r.name_initials", sub_key="r.residence_county"),
    # Same name in the same county of residence, for a record with no birth date at all (no other
    # rule can reach it). The pairs among dated records of a name's block are what make this rule
    # grow with the square of the province (8 M pairs at 300,000 children, of which the true pairs
    # any other rule missed all had a side with no date): they are kept only for a fixed sample of
    # records (one record id in 16), which trains the birth date's and sex's m (see settings).
    BlockingRule(
        "name_residence",
        "r.name_key || '|' || r.residence_county",
        sub_key="r.sex_any",
        one_side="r.dob IS NULL OR r.record_id % 16 = 0",
    ),
    BlockingRule(
        "mother_dob", "[r.mother_id || '|' || r.dob_text, r.mother_name || '|' || r.dob_text]", unnest=True
    ),
)
