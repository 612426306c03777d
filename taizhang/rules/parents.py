"""Link each child to its father and mother, and resolve the parents as people.

Policy basis: the orphan and de facto unsupported rules judge "父母双方" (both
parents) of the child (民发〔2019〕62号; 民发〔2020〕125号; docs/policy.md §1). The
parents are named by the birth certificate (出生医学证明: 父亲/母亲 身份证件号),
the child-health record's 父亲/母亲, and school or permit guardians whose
relation is 父亲/母亲 (``std_guardians.parent_role``).

People are resolved by identity number: the standardizer already upgraded
15-digit numbers to 18, so the same person with a 15-digit number in one source
and an 18-digit one in another has one number here. A number with a wrong
check digit (``bad_check``, one typo) is the person of a valid number only when
it differs in one character AND the same name carries both
(``sql/decide_typo_ids.sql``). Mentions with no usable number support the
parent chosen for that child and role, but never create a person.

Seam for the linkage engine: :func:`link_parents` takes a ``resolver``
(mentions → ``person_key`` per mention). The default is
:func:`resolve_by_id_number`; when ``matchers/configs/parents.py`` ships, a
resolver built on it can be passed instead without touching the rules.

``parent_known`` per role: ``id`` (a valid number), ``id_unverified`` (only a
number with a wrong check digit), ``name_only`` (named but no usable number),
``unknown`` (no record names that parent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from taizhang.rules.buckets import by_bucket, concat_buckets
from taizhang.rules.columns import GUARDIAN_COLUMNS, RECORD_CHILD_COLUMNS, conform
from taizhang.rules.row_refs import REF_DTYPE, ref, refs_by
from taizhang.rules.run_model import run_sql
from taizhang.rules.sorted_lists import sorted_values
from taizhang.rules.survivorship import source_rank
from taizhang.rules.usable_ids import usable_id

ROLES = ("father", "mother")
Resolver = Callable[[pl.DataFrame], pl.DataFrame]


def linked_guardians(guardians: pl.DataFrame, record_child: pl.DataFrame) -> pl.DataFrame:
    """The people named on linked records (:data:`GUARDIAN_COLUMNS` only) with the record's ``child_id``."""
    return (
        conform(guardians, GUARDIAN_COLUMNS)
        .select(list(GUARDIAN_COLUMNS))
        .join(
            conform(record_child, RECORD_CHILD_COLUMNS).select("record_id", "child_id"),
            on="record_id",
            how="inner",
        )
    )


def parent_mentions(guardians: pl.DataFrame, record_child: pl.DataFrame) -> pl.DataFrame:
    """Every father/mother named on a linked record: child_id, parent_role, name, id_number, id_status, ref.

    ``mention_id`` numbers the mentions in a fixed order (child, role, source
    priority, file, row number, role column) so that resolvers can answer per mention.
    """
    usable = usable_id()
    m = (
        linked_guardians(guardians, record_child)
        .filter(pl.col("child_id").is_not_null() & pl.col("parent_role").is_in(list(ROLES)))
        .with_columns(
            id_number=pl.when(usable).then(pl.col("id_number")),
            id_status=pl.when(usable).then(pl.col("id_status")),
            name=pl.when(pl.col("name").str.len_chars() > 0).then(pl.col("name")),
            _rank=source_rank(),
            _ref=ref(),
        )
        .filter(pl.col("id_number").is_not_null() | pl.col("name").is_not_null())
        .sort("child_id", "parent_role", "_rank", "file", "row_number", "role")
    )
    return m.with_row_index("mention_id").with_columns(pl.col("mention_id").cast(pl.Int64))


def resolve_by_id_number(mentions: pl.DataFrame) -> pl.DataFrame:
    """``mention_id, person_key, person_key_status``: the resolved identity number of each mention.

    Valid numbers are their own key; a bad_check number one character from a
    valid number under the same name takes that valid number; any other
    bad_check number stands for itself (``bad_check``). Mentions without a
    number get a null key.
    """
    typos = run_sql(
        "decide_typo_ids", mentions=mentions.select("id_number", "id_status", "name")
    ).with_columns(pl.col("typo_id").cast(pl.Utf8), pl.col("valid_id").cast(pl.Utf8))
    out = mentions.join(typos, left_on="id_number", right_on="typo_id", how="left")
    return out.select(
        "mention_id",
        person_key=pl.coalesce(pl.col("valid_id"), pl.col("id_number")),
        person_key_status=pl.when(pl.col("valid_id").is_not_null())
        .then(pl.lit("valid"))
        .otherwise(pl.col("id_status")),
    )


# The columns of the resolved mentions that link_parents and infer_missing_parents read.
_M_COLUMNS = (
    "mention_id",
    "record_id",
    "file",
    "row_number",
    "parent_role",
    "name",
    "id_number",
    "phone",
    "child_id",
    "_rank",
    "_ref",
    "person_key",
    "person_key_status",
)

_ROLE_ROWS = {
    "child_id": pl.Utf8(),
    "parent_role": pl.Utf8(),
    "person_key": pl.Utf8(),
    "id_status": pl.Utf8(),
    "name": pl.Utf8(),
    "evidence": pl.List(REF_DTYPE),
    "conflict": pl.Boolean(),
    "basis": pl.Utf8(),
}


def _unique_candidate(hits: pl.DataFrame, basis: str) -> pl.DataFrame:
    """One inferred parent per (child, role) when exactly one person fits, as role rows.

    A person seen under two spellings (a typo on one record) is named by the first spelling in
    character order: the joins that found the hits give no order, and a rerun must name the same.
    """
    return (
        hits.sort("child_id", "parent_role", "key", "cand_name", nulls_last=True)
        .group_by("child_id", "parent_role", maintain_order=True)
        .agg(
            n=pl.col("key").n_unique(),
            person_key=pl.col("key").first(),
            cand_name=pl.col("cand_name").drop_nulls().first(),
            evidence=pl.col("refs").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
        )
        .filter(pl.col("n") == 1)
        .select(
            "child_id",
            "parent_role",
            "person_key",
            id_status=pl.lit("valid"),
            name="cand_name",
            evidence="evidence",
            conflict=pl.lit(False),
            basis=pl.lit(basis),
        )
    )


@dataclass
class FamilyIndex:
    """What the inference of a missing parent reads across children (parents are people of several
    children): every parent identified by a valid number, as the rows that name them."""

    known_parents: pl.DataFrame  # name, phone, parent_role, key, pref: valid mentions with a phone
    couples: pl.DataFrame  # record_id, father, mother, father_name, mother_name, refs


def family_index(m: pl.DataFrame) -> FamilyIndex:
    """The :class:`FamilyIndex` of the resolved mentions of every child (``_mkey``: the mention's
    resolved number)."""
    # In mention order, so that "the first father of a record" is the same on every run; only the
    # columns read here (the mentions of every child).
    valid = (
        m.filter(pl.col("_mkey").is_not_null() & (pl.col("person_key_status") == "valid"))
        .select("mention_id", "record_id", "parent_role", "name", "phone", "_mkey", "_ref")
        .sort("mention_id")
    )
    known_parents = valid.filter(pl.col("phone").is_not_null()).select(
        "name", "phone", "parent_role", key="_mkey", pref="_ref"
    )
    couples = (
        valid.group_by("record_id")
        .agg(
            father=pl.col("_mkey").filter(pl.col("parent_role") == "father").first(),
            mother=pl.col("_mkey").filter(pl.col("parent_role") == "mother").first(),
            father_name=pl.col("name").filter(pl.col("parent_role") == "father").first(),
            mother_name=pl.col("name").filter(pl.col("parent_role") == "mother").first(),
        )
        .filter(pl.col("father").is_not_null() & pl.col("mother").is_not_null())
    )
    couples = couples.join(
        refs_by(
            valid.join(couples.select("record_id"), on="record_id", how="semi"), ["record_id"], unique=True
        ),
        on="record_id",
        how="left",
        maintain_order="left",
    ).rename({"_ref": "refs"})
    return FamilyIndex(known_parents=known_parents, couples=couples)


def infer_missing_parents(
    role_rows: pl.DataFrame, family: FamilyIndex, g_linked: pl.DataFrame
) -> pl.DataFrame:
    """Fill a parent the child's own records do not identify by number, from the family's other records.

    Two steps, each only when exactly one person fits:

    1. ``guardian_phone``: a guardian named without a relation (vaccination,
       some permits) whose name AND phone equal those of a parent identified by
       a valid number on another record takes that parent's role;
    2. ``co_parent``: when one parent is identified, the other is the one
       person named beside him or her on the records of the family's other
       children (a sibling's birth certificate or school record).

    A parent the child's records name without a number (``name_only``) is
    replaced only by a candidate of the same name. Inferred parents are
    marked ``basis`` and ``known = id_inferred``; their evidence lists the rows
    that carried the inference. ``family`` indexes the parents of every child
    (:func:`family_index`); ``role_rows`` and ``g_linked`` (guardians named without a
    relation) may be those of some of the children only.
    """
    role_rows = role_rows.cast(_ROLE_ROWS)

    def accept(rows: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
        slots = rows.filter(pl.col("person_key").is_null()).select("child_id", "parent_role", "name")
        found = found.join(slots, on=["child_id", "parent_role"], how="left").filter(
            pl.col("name_right").is_null() | (pl.col("name_right") == pl.col("name"))
        )
        found = found.drop("name_right").cast(_ROLE_ROWS)
        if found.is_empty():
            return rows
        # The rows of the slots filled kept out by a mask, not an anti-join: the join would gather
        # every row's evidence list (slow in polars), where the mask filters it.
        filled = rows.select("child_id", "parent_role").join(
            found.select("child_id", "parent_role").unique().with_columns(_filled=pl.lit(True)),
            on=["child_id", "parent_role"],
            how="left",
            maintain_order="left",
        )["_filled"]
        return pl.concat([rows.filter(filled.is_null()), found]).rechunk()

    # 1. guardian without relation = a parent known elsewhere by name and phone
    guardians = g_linked.filter(
        pl.col("parent_role").is_null() & pl.col("name").is_not_null() & pl.col("phone").is_not_null()
    ).select("child_id", "name", "phone", gref=ref())
    all_slots = (
        guardians.select("child_id")
        .unique()
        .join(pl.DataFrame({"parent_role": list(ROLES)}), how="cross")
        .join(
            role_rows.filter(pl.col("person_key").is_not_null()), on=["child_id", "parent_role"], how="anti"
        )
        .select("child_id", "parent_role")
    )
    hits = (
        guardians.join(family.known_parents, on=["name", "phone"], how="inner")
        .join(all_slots, on=["child_id", "parent_role"], how="semi")
        .select("child_id", "parent_role", "key", cand_name="name", refs=pl.concat_list("gref", "pref"))
    )
    role_rows = accept(role_rows, _unique_candidate(hits, "guardian_phone"))

    # 2. the co-parent named beside a known parent on the family's other records
    keyed = role_rows.filter(pl.col("person_key").is_not_null() & (pl.col("id_status") == "valid"))
    found = []
    for role, other in (("father", "mother"), ("mother", "father")):
        missing = role_rows.filter(
            (pl.col("parent_role") == role) & pl.col("person_key").is_not_null()
        ).select("child_id")
        anchor = keyed.filter(pl.col("parent_role") == other).select("child_id", anchor="person_key")
        cand = (
            anchor.join(missing, on="child_id", how="anti")
            .join(family.couples, left_on="anchor", right_on=other, how="inner")
            .select(
                "child_id",
                parent_role=pl.lit(role),
                key=pl.col(role),
                cand_name=pl.col(f"{role}_name"),
                refs="refs",
            )
        )
        found.append(_unique_candidate(cand, "co_parent"))
    role_rows = accept(role_rows, pl.concat(found))
    return role_rows


def _guardian_rows(guardians: pl.DataFrame | pl.LazyFrame, rows: pl.Expr) -> pl.DataFrame:
    """The guardians ``rows`` selects, in :data:`GUARDIAN_COLUMNS` (typed; nulls for a column missing)."""
    lazy = guardians.lazy()
    have = set(lazy.collect_schema().names())
    typed = lazy.select(
        (pl.col(c).cast(t) if c in have else pl.lit(None, dtype=t)).alias(c)
        for c, t in GUARDIAN_COLUMNS.items()
    )
    return typed.filter(rows).collect()


def link_parents(
    guardians: pl.DataFrame | pl.LazyFrame,
    record_child: pl.DataFrame,
    resolver: Resolver | None = None,
    buckets: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(child_parents, people)``.

    ``child_parents``: one row per child that has any parent mention, with per
    role ``<role>_person_id``, ``<role>_id_number`` (the resolved number),
    ``<role>_id_status``, ``<role>_name``, ``<role>_known``,
    ``<role>_conflict`` (two different valid numbers named for that role) and
    ``<role>_evidence`` (refs of the rows naming that parent).

    ``people``: ``person_id, person_key, id_status, names, ids``: every
    resolved parent with all the names and numbers seen for them, which the
    status matcher compares events against.

    The mentions are resolved, and the parents indexed as people and families, over all children
    at once; each child's parents are then chosen bucket by bucket of children (``buckets``:
    ``record_id, _bucket``, see :mod:`taizhang.rules.buckets`; all at once when None).
    """
    # The guardians read in two parts (``guardians`` may be lazy): the parents named as such, and
    # the guardians named without a relation, which only the inference reads.
    mentions = parent_mentions(
        _guardian_rows(guardians, pl.col("parent_role").is_in(list(ROLES))), record_child
    )
    keys = (resolver or resolve_by_id_number)(mentions)
    # Only the columns read below (the frames of this function are each a copy of the mentions), in
    # mention order (child first): the buckets of children are then slices of it.
    m = (
        mentions.join(keys, on="mention_id", how="left", maintain_order="left")
        .select(_M_COLUMNS)
        .rename({"person_key": "_mkey"})
    )
    del mentions, keys
    family = family_index(m)
    people = _people(m)
    unrelated = linked_guardians(_guardian_rows(guardians, pl.col("parent_role").is_null()), record_child)
    no_mentions, no_unrelated = m.clear(), unrelated.clear()
    mention_parts = by_bucket(m, buckets)
    del m
    unrelated_parts = by_bucket(unrelated, buckets)
    del unrelated
    parts = [
        _chosen_parents(mention_parts.pop(key, no_mentions), unrelated_parts.pop(key, no_unrelated), family)
        for key in sorted(set(mention_parts) | set(unrelated_parts))
    ]
    return concat_buckets(parts).sort("child_id"), people


def _chosen_parents(m: pl.DataFrame, unrelated: pl.DataFrame, family: FamilyIndex) -> pl.DataFrame:
    """The ``child_parents`` rows (:func:`link_parents`) of the children of ``m`` (resolved mentions)
    and ``unrelated`` (their guardians named without a relation)."""
    # The person chosen for each child and role: valid before bad_check, then most mentions.
    cand = (
        m.select("child_id", "parent_role", "_rank", "file", "row_number", "_mkey", "person_key_status")
        .rename({"_mkey": "person_key"})
        .filter(pl.col("person_key").is_not_null())
        .with_columns(
            _tier=pl.when(pl.col("person_key_status") == "valid").then(0).otherwise(1),
            _freq=pl.len().over("child_id", "parent_role", "person_key"),
        )
    )
    chosen = (
        cand.sort(
            ["child_id", "parent_role", "_tier", "_freq", "_rank", "file", "row_number", "person_key"],
            descending=[False, False, False, True, False, False, False, False],
        )
        .group_by("child_id", "parent_role", maintain_order=True)
        .first()
        .select("child_id", "parent_role", "person_key", chosen_status="person_key_status")
    )
    conflict = (
        cand.filter(pl.col("person_key_status") == "valid")
        .group_by("child_id", "parent_role")
        .agg(conflict=pl.col("person_key").n_unique() > 1)
    )
    del cand
    # Mentions that support the chosen parent: its number, or no number at all.
    supported = (
        m.join(chosen, on=["child_id", "parent_role"], how="left")
        .with_columns(_supports=pl.col("_mkey").is_null() | (pl.col("_mkey") == pl.col("person_key")))
        .filter(pl.col("_supports"))
    )
    del m
    role_rows = (
        supported.select(
            "child_id", "parent_role", "person_key", "chosen_status", "name", "_rank", "file", "row_number"
        )
        .with_columns(_nfreq=pl.len().over("child_id", "parent_role", "name"))
        .sort(
            ["child_id", "parent_role", "_nfreq", "_rank", "file", "row_number"],
            descending=[False, False, True, False, False, False],
            nulls_last=True,
        )
        .group_by("child_id", "parent_role", maintain_order=True)
        .agg(
            person_key=pl.col("person_key").first(),
            id_status=pl.col("chosen_status").first(),
            name=pl.col("name").drop_nulls().first(),
        )
        .join(
            refs_by(supported, ["child_id", "parent_role"], unique=True).rename({"_ref": "evidence"}),
            on=["child_id", "parent_role"],
            how="left",
            maintain_order="left",
        )
        .join(conflict, on=["child_id", "parent_role"], how="left")
        .with_columns(basis=pl.lit("own_records"))
    )
    del supported, chosen, conflict
    role_rows = infer_missing_parents(role_rows, family, unrelated)
    ids = run_sql("decide_person_ids", keys=role_rows.select("person_key")).with_columns(
        pl.col("person_key").cast(pl.Utf8)
    )
    # a lookup beside the rows, not a join that would gather their evidence lists
    role_rows = role_rows.with_columns(
        person_id=pl.col("person_key").replace_strict(
            ids["person_key"], ids["person_id"], default=None, return_dtype=pl.Utf8
        ),
        known=pl.when(pl.col("basis") != "own_records")
        .then(pl.lit("id_inferred"))
        .when(pl.col("id_status") == "valid")
        .then(pl.lit("id"))
        .when(pl.col("id_status") == "bad_check")
        .then(pl.lit("id_unverified"))
        .otherwise(pl.lit("name_only")),
        conflict=pl.col("conflict").fill_null(False),
    )

    children = role_rows.select("child_id").unique().sort("child_id")
    out = children
    for role in ROLES:
        part = role_rows.filter(pl.col("parent_role") == role).select(
            "child_id",
            pl.col("person_id").alias(f"{role}_person_id"),
            pl.col("person_key").alias(f"{role}_id_number"),
            pl.col("id_status").alias(f"{role}_id_status"),
            pl.col("name").alias(f"{role}_name"),
            pl.col("known").alias(f"{role}_known"),
            pl.col("conflict").alias(f"{role}_conflict"),
            pl.col("evidence").alias(f"{role}_evidence"),
            pl.col("basis").alias(f"{role}_basis"),
        )
        out = out.join(part, on="child_id", how="left").with_columns(
            pl.col(f"{role}_known").fill_null("unknown"), pl.col(f"{role}_conflict").fill_null(False)
        )

    return out


def _people(m: pl.DataFrame) -> pl.DataFrame:
    """The ``people`` of :func:`link_parents` from the resolved mentions of every child."""
    mentioned = m.select(
        person_key="_mkey", name="name", id_number="id_number", valid=pl.col("person_key_status") == "valid"
    ).filter(pl.col("person_key").is_not_null())
    people = (
        mentioned.group_by("person_key")
        .agg(pl.col("valid").any())
        .join(sorted_values(mentioned, "person_key", "name", "names"), on="person_key", how="left")
        .join(
            # every number seen for the person, and the resolved number itself
            sorted_values(
                pl.concat(
                    [
                        mentioned.select("person_key", "id_number"),
                        mentioned.select("person_key", id_number="person_key"),
                    ]
                ),
                "person_key",
                "id_number",
                "ids",
            ),
            on="person_key",
            how="left",
        )
        .join(
            run_sql("decide_person_ids", keys=mentioned.select("person_key")).with_columns(
                pl.col("person_key").cast(pl.Utf8)
            ),
            on="person_key",
            how="left",
        )
        .select(
            "person_id",
            "person_key",
            id_status=pl.when(pl.col("valid")).then(pl.lit("valid")).otherwise(pl.lit("bad_check")),
            names=pl.col("names").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            ids="ids",
        )
        .sort("person_id")
    )
    return people
