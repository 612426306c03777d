"""The child configuration's features: the record columns linkage reads, and those derived from them.

``COLUMNS`` lists the columns of the standardized records the engine reads, with their types;
``DERIVED`` adds computed columns (SQL over the record ``r``) before blocking: the best identity
number a record offers, the anchor number, what Excel left of a number, the birth date to trust,
the origin county, and name keys that are null for placeholders.
"""

from __future__ import annotations

from data_contracts.tables import STD_RECORDS, columns

# The standardized columns linkage reads; their types come from the one declaration of std_records.
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
