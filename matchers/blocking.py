"""Blocking: which record pairs are compared at all.

A blocking rule is a SQL expression giving a key per record (or a list of keys,
unnested); records sharing a key form a block and every pair inside a block is a
candidate. The union of all rules is de-duplicated, and each candidate keeps the
bit mask of the rules that produced it, so a person can see why two records were
compared and how much each rule contributes.

Block sizes are computed before any pair is formed. A block above the cap is
re-keyed with the rule's ``sub_key`` when it has one, and skipped otherwise; both
are counted in the report. This keeps the pair count near-linear in the number of
records whatever the data holds (a default date such as 1900-01-01, a shared
placeholder name, a clinic phone number written on every row).

Two kinds of rule exist:

* ``key``: equality on the key (one or many keys per record).
* ``deletion``: the key values one substitution or one adjacent transposition
  apart. Each distinct value is expanded into its deletion neighbourhood (the
  value with one character removed, for every position); two values at one
  substitution share the deletion at that position, and two values at one
  adjacent transposition share ``a`` minus position ``i`` = ``b`` minus
  position ``i+1``. Work is done over distinct values, not records, so a value
  held by many records costs no more than one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import duckdb
import polars as pl

from sql import render_sql

PAIRS_RAW = "lk_pairs_raw"


@dataclass(frozen=True)
class BlockingRule:
    """One blocking rule.

    ``key`` is a SQL expression over the records table aliased ``r`` (for
    example ``r.id_number`` or ``r.name_pinyin || '|' || CAST(r.dob AS VARCHAR)``).
    With ``unnest=True`` it returns a list and every element is a key.
    ``where`` restricts the records the rule applies to. ``sub_key`` re-keys
    oversized blocks; ``max_block_size`` overrides the engine's cap.
    ``one_side`` (SQL over ``r``) keeps a pair only when at least one of its
    two records satisfies it: a rule meant for records that lack a field (no
    birth date) then compares them with every record of their block without
    comparing the block's other records with each other, so its pairs grow
    with those records, not with the square of the block. For a deletion rule
    a key value satisfies it when one of the records holding it does.
    ``found_by`` names an earlier plain key rule (one key per record, no
    ``where``, ``one_side`` or ``sub_key``) that forms every pair sharing its
    key: a pair whose two records share that rule's key is left to it and not
    formed again by this one. A rule that overlaps a broader one (a birth date
    with the initials of a name, beside the birth date with the whole name)
    then forms only the pairs it adds, instead of most of the other's again.
    Should that rule skip an oversized block, its pairs are formed here after
    all (and the report says so).
    """

    name: str
    key: str
    where: str = "TRUE"
    unnest: bool = False
    kind: Literal["key", "deletion"] = "key"
    sub_key: str | None = None
    max_block_size: int | None = None
    one_side: str = "TRUE"
    found_by: str | None = None


def _grp_condition(link_only: bool) -> str:
    # In link-only mode (two data sets) only pairs across the groups are wanted.
    return "a.grp <> b.grp" if link_only else "TRUE"


@dataclass(frozen=True)
class _Apart:
    """The SQL pieces that keep two records apart by columns whose differing values part them.

    Each record carries the hash of each column's value (null for none) beside its block keys;
    a pair is formed only when, for every column, the two values are equal or one is missing.
    (A hash collision only lets a pair through, for the guards to part later.)
    """

    columns: tuple[str, ...]
    # The key of the rule a key rule leaves its shared pairs to (``BlockingRule.found_by``), carried
    # as its hash in the same way: a pair whose two records share it is not formed. (Here a collision
    # of two different keys' 64-bit hashes would drop a pair: about one in 10^11 at the province's
    # pairs, against the certainty of forming tens of millions of pairs twice.)
    found_key: str | None = None

    def values(self) -> str:
        """Select-list items over ``r``: the hashed values."""
        found = (
            f", CASE WHEN coalesce(({self.found_key}) <> '', FALSE) THEN hash({self.found_key}) END AS found"
            if self.found_key
            else ""
        )
        return (
            "".join(
                f", CASE WHEN r.{c} IS NULL THEN NULL ELSE hash(r.{c}) END AS apart_{i}"
                for i, c in enumerate(self.columns)
            )
            + found
        )

    def _names(self) -> list[str]:
        return [f"apart_{i}" for i in range(len(self.columns))] + (["found"] if self.found_key else [])

    def carried(self, alias: str = "", grouped: bool = False) -> str:
        """Select-list items keeping the hashed values, through a grouping by record or as they are
        (from the table aliased ``alias`` when given)."""
        if grouped:
            return "".join(f", any_value({c}) AS {c}" for c in self._names())
        return "".join(f", {alias + '.' if alias else ''}{c}" for c in self._names())

    def condition(self) -> str:
        """SQL over ``a``, ``b``: true when no column's values part the two records (and they do
        not share the key of the rule the pair is left to)."""
        kept = [f"coalesce(a.apart_{i} = b.apart_{i}, TRUE)" for i in range(len(self.columns))]
        if self.found_key:
            kept.append("NOT coalesce(a.found = b.found, FALSE)")
        return " AND ".join(kept or ["TRUE"])


def _block_stats(con: duckdb.DuckDBPyConnection, sizes: str, cap: int) -> dict[str, int]:
    row = con.sql(render_sql("link_block_stats", sizes=sizes), params={"cap": cap}).fetchall()[0]
    return {
        "blocks": int(row[0]),
        "max_block": int(row[1]),
        "oversized_blocks": int(row[2]),
        "records_in_oversized": int(row[3]),
        "pairs_in_blocks": int(row[4]),
    }


def _key_rule(
    con: duckdb.DuckDBPyConnection,
    rule: BlockingRule,
    bit: int,
    records: str,
    grp: str,
    link_only: bool,
    cap: int,
    apart: _Apart,
) -> dict[str, object]:
    keys, sizes = "lk_block_keys", "lk_block_sizes"
    con.execute(
        render_sql(
            "link_block_keys",
            out=keys,
            records=records,
            grp=grp,
            key=rule.key,
            where=rule.where,
            one_side=rule.one_side,
            unnest="UNNEST" if rule.unnest else "",
            apart=apart.values(),
            probe="bool_or(probe)" if rule.unnest else "probe",
            apart_carried=apart.carried(grouped=rule.unnest),
            group_by="GROUP BY record_id, grp, hash(block_key)" if rule.unnest else "",
        )
    )
    con.execute(render_sql("link_block_sizes", out=sizes, keys=keys))
    first = _block_stats(con, sizes, cap)
    warning = ""
    if first["oversized_blocks"] and rule.sub_key:
        con.execute(
            render_sql(
                "link_block_subkeys",
                out="lk_block_keys2",
                keys=keys,
                sizes=sizes,
                records=records,
                sub_key=rule.sub_key,
                apart_kept=apart.carried("k"),
            ),
            {"cap": cap},
        )
        con.execute(render_sql("link_copy_table", out=keys, source="lk_block_keys2"))
        con.execute(render_sql("link_block_sizes", out=sizes, keys=keys))
        warning = f"{first['oversized_blocks']} blocks above {cap} records sub-blocked"
    final = _block_stats(con, sizes, cap)
    if final["oversized_blocks"]:
        warning = (warning + "; " if warning else "") + (
            f"{final['oversized_blocks']} blocks above {cap} records skipped "
            f"({final['records_in_oversized']} records)"
        )
    con.execute(
        render_sql(
            "link_block_pairs" if rule.one_side == "TRUE" else "link_block_probe_pairs",
            pairs=PAIRS_RAW,
            keys=keys,
            sizes=sizes,
            grp_condition=_grp_condition(link_only),
            apart_condition=apart.condition(),
        ),
        {"cap": cap, "bit": bit},
    )
    return {**final, "oversized_before_sub_blocking": first["oversized_blocks"], "warning": warning}


def _deletion_rule(
    con: duckdb.DuckDBPyConnection,
    rule: BlockingRule,
    bit: int,
    records: str,
    grp: str,
    link_only: bool,
    cap: int,
    apart: _Apart,
) -> dict[str, object]:
    keys, sizes = "lk_block_keys", "lk_block_sizes"
    con.execute(
        render_sql(
            "link_block_deletion_values",
            out=keys,
            records=records,
            key=rule.key,
            where=rule.where,
            one_side=rule.one_side,
        )
    )
    con.execute(render_sql("link_block_sizes", out=sizes, keys=keys))
    stats = _block_stats(con, sizes, cap)
    warning = ""
    if stats["oversized_blocks"]:
        warning = f"{stats['oversized_blocks']} deletion blocks above {cap} values skipped"
    con.execute(
        render_sql(
            "link_block_deletion_pairs",
            pairs=PAIRS_RAW,
            keys=keys,
            sizes=sizes,
            records=records,
            key=rule.key,
            where=rule.where,
            grp=grp,
            grp_condition=_grp_condition(link_only),
            apart=apart.values(),
            apart_condition=apart.condition(),
        ),
        {"cap": cap, "bit": bit},
    )
    return {**stats, "oversized_before_sub_blocking": stats["oversized_blocks"], "warning": warning}


def _found_keys(rules: list[BlockingRule]) -> dict[str, str]:
    """The key of the rule each rule with a ``found_by`` leaves its shared pairs to, by rule name.

    That rule must be an earlier plain key rule, which forms every pair of its key.
    """
    found: dict[str, str] = {}
    for i, rule in enumerate(rules):
        if rule.found_by is None:
            continue
        earlier = {r.name: r for r in rules[:i]}
        target = earlier.get(rule.found_by)
        plain = (
            target is not None
            and target.kind == "key"
            and not target.unnest
            and target.where == "TRUE"
            and target.one_side == "TRUE"
            and target.sub_key is None
            and target.found_by is None
        )
        if rule.kind != "key" or target is None or not plain:
            raise ValueError(
                f"blocking rule {rule.name!r}: found_by must name an earlier key rule with one key per "
                "record and no where, one_side, sub_key or found_by of its own "
                f"(got {rule.found_by!r}); only a key rule can leave its pairs to another"
            )
        found[rule.name] = target.key
    return found


def generate_candidates(
    con: duckdb.DuckDBPyConnection,
    records: str,
    rules: list[BlockingRule],
    max_block_size: int,
    link_only_column: str | None = None,
    out: str = "lk_candidates",
    apart_by: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Build table ``out`` (``l``, ``r``, ``rules``) with ``l < r`` and return the per-rule report.

    ``records`` must have a unique BIGINT ``record_id``. With ``link_only_column``
    only pairs whose values in that column differ are kept (linking two files
    rather than de-duplicating one). Two records whose values of a column of ``apart_by`` are both
    present and differ are never paired: a guard keeps them apart by what both carry (two valid
    identity numbers), whatever they would score, so the pair is not even formed.
    """
    if len(rules) > 62:
        raise ValueError("at most 62 blocking rules fit in the rule bit mask")
    found_keys = _found_keys(rules)
    grp = f"CAST(r.{link_only_column} AS VARCHAR)" if link_only_column else "''"
    link_only = link_only_column is not None
    con.execute(render_sql("link_block_raw_pairs", out=PAIRS_RAW))
    apart = _Apart(apart_by)
    rows = []
    skipped: dict[str, int] = {}  # rules that skipped oversized blocks: their pairs are not all formed
    for i, rule in enumerate(rules):
        cap = rule.max_block_size or max_block_size
        run = _deletion_rule if rule.kind == "deletion" else _key_rule
        found_key, note = found_keys.get(rule.name), ""
        if found_key is not None and skipped.get(rule.found_by or ""):
            note = f"pairs of {rule.found_by} formed here too ({rule.found_by} skipped oversized blocks)"
            found_key = None
        stats = run(con, rule, 1 << i, records, grp, link_only, cap, replace(apart, found_key=found_key))
        skipped[rule.name] = int(stats["oversized_blocks"])
        if note:
            stats["warning"] = "; ".join(w for w in (stats["warning"], note) if w)
        rows.append({"rule": rule.name, "bit": 1 << i, "kind": rule.kind, "cap": cap, **stats})
    # A rule's raw pairs may repeat a pair (two shared keys of a list rule): the union groups
    # them once for all rules, and a rule's pair count is the number of distinct pairs it found.
    con.execute(render_sql("link_candidates", out=out, pairs=PAIRS_RAW))
    con.execute(f"DROP TABLE IF EXISTS {PAIRS_RAW}")
    for t in ("lk_block_keys", "lk_block_keys2", "lk_block_sizes"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    per_rule = ", ".join(
        f"count(*) FILTER (WHERE (rules & {1 << i}) <> 0) AS r{i}" for i in range(len(rules))
    )
    counts = (
        con.sql(render_sql("link_rule_pairs", counts=per_rule, candidates=out)).fetchall()[0] if rules else ()
    )
    report = pl.DataFrame([row | {"pairs": int(n)} for row, n in zip(rows, counts, strict=True)])
    # Pairs a rule found that no earlier rule had found: what the rule adds to the union.
    firsts = con.sql(render_sql("link_rule_first_pairs", candidates=out)).pl()
    only = con.sql(render_sql("link_rule_only_pairs", candidates=out)).pl()
    report = (
        report.join(firsts.rename({"n": "new_pairs"}), on="bit", how="left")
        .join(only.rename({"n": "only_this_rule"}), on="bit", how="left")
        .with_columns(pl.col("new_pairs", "only_this_rule").fill_null(0))
    )
    return report
