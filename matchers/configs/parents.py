"""The parent configuration: people named on child records (``std_guardians``), for the decision stage.

Parents appear as mother/father/guardian on many child rows, with identity
numbers already upgraded 15→18 by the standardizer, typed with one
substitution or transposition, sometimes missing; names with the same
homophone and look-alike errors as children's; birth dates only from the
identity number; phones. The decision stage links them to find each child's
two parents and join their status events.
"""

from __future__ import annotations

import polars as pl

from matchers.blocking import BlockingRule
from matchers.comparisons import birth_date, chinese_name, exact, identity_number
from matchers.settings import LinkageConfig
from matchers.stable_ids import Anchor

COLUMNS: dict[str, pl.DataType] = {
    "source": pl.Utf8,
    "file": pl.Utf8,
    "row_number": pl.Int64,
    "role": pl.Utf8,
    "parent_role": pl.Utf8,
    "name": pl.Utf8,
    "name_pinyin": pl.Utf8,
    "id_number": pl.Utf8,
    "id_status": pl.Utf8,
    "id_birth_date": pl.Date,
    "id_sex": pl.Utf8,
    "phone": pl.Utf8,
}

DERIVED: tuple[tuple[str, str], ...] = (
    ("valid_id", "CASE WHEN r.id_status = 'valid' THEN r.id_number END"),
    ("dob", "r.id_birth_date"),
    ("dob_text", "strftime(r.id_birth_date, '%Y%m%d')"),
    # Surname and look-alike key are not in std_guardians: the first character stands in for the surname.
    ("surname", "left(r.name, 1)"),
    ("given_name", "substr(r.name, 2)"),
    ("name_variant_key", "CAST(NULL AS VARCHAR)"),
    ("sex_any", "coalesce(r.id_sex, CASE r.parent_role WHEN 'father' THEN '男' WHEN 'mother' THEN '女' END)"),
)

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("same_id", "r.id_number"),
    BlockingRule("id_one_typo", "r.id_number", kind="deletion"),
    BlockingRule("pinyin_dob", "r.name_pinyin || '|' || r.dob_text"),
    BlockingRule("phone", "r.phone", sub_key="r.name_pinyin"),
    BlockingRule("name_phone", "r.name || '|' || r.phone"),
)

COMPARISONS = (
    chinese_name(placeholder=None),
    identity_number(column="id_number"),
    birth_date(column="dob", alt=None),
    exact("sex", "sex_any", m=0.98),
    exact("phone", "phone", m=0.7),
)


def parents_config(**overrides: object) -> LinkageConfig:
    """The parent configuration (ids ``P`` + 12 characters, their own namespace)."""
    base = {
        "name": "parents",
        "columns": COLUMNS,
        "derived": DERIVED,
        "blocking_rules": BLOCKING_RULES,
        "comparisons": COMPARISONS,
        "guards": (),
        "anchor_guard": "r.valid_id",
        "anchors": (
            Anchor("id_number", "r.valid_id", 100.0),
            Anchor("name_dob", "r.name || '|' || r.dob_text", 10.0),
            Anchor("name_phone", "r.name || '|' || r.phone", 10.0),
        ),
        "id_fallback": "r.source || '|' || r.file || '|' || CAST(r.row_number AS VARCHAR) || '|' || r.role",
        "id_namespace": "taizhang-parent-v1",
        "id_prefix": "P",
        "threshold": 0.9,
        "training": (("same_id", ("id", "dob", "sex")), ("pinyin_dob", ("name", "dob"))),
        "max_cluster_size": 200,
        "max_block_size": 300,
        "review_columns": ("source", "file", "row_number"),
        "review_mask_column": "name",
    }
    base.update(overrides)
    return LinkageConfig(**base)  # type: ignore[arg-type]
