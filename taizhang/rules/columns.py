"""The columns each rule reads from the stage-2 and link tables, and :func:`conform` to make a frame fit.

Every rule first passes its input through :func:`conform`, which adds any
declared column the frame lacks as nulls of the declared type: a missing
optional column then means "no evidence", never a crash, and the rules can be
tested on small hand-made frames that spell out only the columns a test is
about. The types come from the one declaration of the stage tables
(``data_contracts/tables.py``).
"""

from __future__ import annotations

from data_contracts.tables import RECORD_CHILD, STD_GUARDIANS, STD_RECORDS, STD_STATUS, columns
from data_contracts.tables import conform as conform  # the rules import it from here

# The columns each rule input reads, typed by the one declaration of the stage tables.
RECORD_COLUMNS = columns(
    STD_RECORDS,
    (
        "record_id",
        "source",
        "file",
        "row_number",
        "name",
        "name_placeholder",
        "id_number",
        "id_status",
        "id_birth_date",
        "id_sex",
        "id_county",
        "birth_date",
        "sex",
        "ethnicity",
        "hukou_county",
        "residence_county",
        "residence_start",
        "issue_date",
        "valid_until",
        "school_name",
        "enrol_month",
        "school_status",
        "clinic",
        "record_opened",
        "last_followup",
        "management_status",
        "card_opened",
        "last_dose",
        "missed_doses",
        "insurance_status",
        "insurance_year",
        "birth_place_county",
        "visit_date",
        "guardianship",
        "special",
        "self_apply",
        "urgent",
        "remarks",
    ),
)

GUARDIAN_COLUMNS = columns(
    STD_GUARDIANS,
    (
        "record_id",
        "source",
        "file",
        "row_number",
        "role",
        "relation",
        "parent_role",
        "name",
        "id_number",
        "id_status",
        "phone",
    ),
)

STATUS_COLUMNS = columns(
    STD_STATUS,
    (
        "source",
        "file",
        "row_number",
        "id_raw",
        "id_number",
        "id_status",
        "name",
        "status",
        "status_detail",
        "disability_kind",
        "disability_grade",
        "start_date",
        "end_date",
        "reporter",
        "status_sensitive",
    ),
)

RECORD_CHILD_COLUMNS = RECORD_CHILD

# Identity-number statuses that still carry 18 characters (docs/ARCHITECTURE.md).
ID_USABLE = ("valid", "bad_check")
