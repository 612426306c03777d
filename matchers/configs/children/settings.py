"""The child configuration's settings: id anchors, thresholds, training sessions, and the whole
configuration assembled from the features, blocking rules, comparisons and guards."""

from __future__ import annotations

from matchers.configs.children.blocking import BLOCKING_RULES
from matchers.configs.children.comparisons import COMPARISONS
from matchers.configs.children.features import COLUMNS, DERIVED
from matchers.configs.children.guards import GUARDS, VETOES
from matchers.settings import LinkageConfig
from matchers.stable_ids import Anchor

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
            ("name_residence_small", ("name", "residence")),
        ),
        "max_cluster_size": 25,
        # No record is detached for being nearly as strongly linked elsewhere: placeholder-named
        # infant records that fit either twin float (below), and a record with its own name follows
        # its strongest link (measured: a margin of 4 bits cost recall and kept no twin apart).
        "ambiguity_margin": 0.0,
        # Measured on generated extracts: no true pair scores below -10 bits (default and heavy noise).
        "cannot_link_below": -10.0,
        # Two valid identity numbers are two children (the check digit catches every single typo
        # and adjacent swap), and the anchors keep them apart inside a component: such pairs, a
        # third of the candidates at province scale (namesakes born the same day), are not compared.
        # Measured: at 1,000,000 children 9.3 -> 6.6 million candidates, link 100 -> 87 s, F1
        # 0.9926 -> 0.9937 (EM's same-name-and-birth-date session no longer trains on them).
        "uncompared_guards": ("different_valid_ids",),
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
