"""Clustering: accepted pairs become clusters (one cluster = one person), under guards.

1. Edges are the pairs at or above the match-probability threshold that no
   cannot-link guard forbids (different valid identity numbers; twins).
2. Connected components over the edges (scipy sparse ``connected_components``,
   vectorised, no Python loop over pairs).
3. A component holding two different *anchor* values (valid identity numbers)
   or both ends of a cannot-link pair is *in conflict*: a chain of id-less
   records joined two people. Only such components are re-clustered, greedily:
   edges in decreasing weight are accepted when they do not join two anchors or
   a cannot-link pair (Kruskal with constraints). Each id-less record thus ends
   with the anchor it is most strongly linked to. Conflicts are rare, so this
   Python pass touches a small share of the edges. A record of such a component
   whose accepted link to another cluster is nearly as strong as its best link
   into its own (within ``ambiguity_margin`` bits: a placeholder-named infant
   record that fits either twin) is left on its own rather than guessed.
4. A component larger than ``max_cluster_size`` (more records than one child
   can plausibly have) was probably chained through weak links: it is
   re-clustered using only its edges at the next, stricter threshold, until it
   fits or the thresholds run out.

Cluster numbers are the smallest ``record_id`` of the cluster, so they are
deterministic for the same input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchers.name_relatedness import typo_pairs


@dataclass(frozen=True)
class ClusterReport:
    """Counts a run report can show (no personal data)."""

    edges: int
    components: int
    conflict_components: int
    conflict_edges_rejected: int
    ambiguous_records_detached: int
    oversized_components: int
    oversized_remaining: int
    floaters_detached: int = 0


def _components(ids: np.ndarray, l_idx: np.ndarray, r_idx: np.ndarray) -> np.ndarray:
    n = len(ids)
    graph = coo_matrix((np.ones(len(l_idx), dtype=np.int8), (l_idx, r_idx)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def component_frame(record_ids: np.ndarray, accepted: pl.DataFrame) -> pl.DataFrame:
    """``record_id, component`` (smallest record id of its connected component) over accepted pairs."""
    ids = np.sort(np.asarray(record_ids, dtype=np.int64))
    position = _positions(ids)
    labels = _components(ids, position(accepted["l"].to_numpy()), position(accepted["r"].to_numpy()))
    return pl.DataFrame({"record_id": ids, "component": _min_id_labels(ids, labels)})


def _positions(ids: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The position in ``ids`` (sorted, distinct) of each of some of its values.

    Record ids are numbered densely, so a table indexed by id finds a position with one lookup;
    a binary search per edge end (millions of them) cost 1.3 s at 1,000,000 children. Ids spread
    too sparsely for such a table are searched.
    """
    if len(ids) == 0 or ids[-1] - ids[0] > 4 * len(ids) + 1024:
        return lambda values: np.searchsorted(ids, values)
    table = np.zeros(ids[-1] - ids[0] + 1, dtype=np.int64)
    table[ids - ids[0]] = np.arange(len(ids), dtype=np.int64)
    return lambda values: table[values - ids[0]]


def _min_id_labels(ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Replace component labels by the smallest record id in the component."""
    order = np.lexsort((ids, labels))
    first = np.ones(len(order), dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    min_by_label = np.empty(labels.max() + 1 if len(labels) else 0, dtype=ids.dtype)
    min_by_label[labels[order][first]] = ids[order][first]
    return min_by_label[labels]


def _related(a: set[tuple[str, str]], b: set[tuple[str, str]], typos: set[tuple[str, str]]) -> bool:
    """Two groups' names could be one child's: a side unnamed, a pair equal in sound or a typo apart.

    ``typos``: the pairs of given names one typo apart, by the rule of ``matchers/name_relatedness.py``.
    """
    if not a or not b:
        return True
    return any(sa == sb or na == nb or (na, nb) in typos for na, sa in a for nb, sb in b)


def _typos_within(members: pl.DataFrame, labels: pl.DataFrame | None) -> set[tuple[str, str]]:
    """The pairs of different given names of one conflict component that are one typo apart."""
    if labels is None:
        return set()
    named = (
        members.select("record_id", "component")
        .join(labels.drop_nulls().select("record_id", "label"), on="record_id")
        .select("component", "label")
        .unique()
    )
    pairs = (
        named.join(named, on="component", suffix="_b")
        .filter(pl.col("label") != pl.col("label_b"))
        .select(a="label", b="label_b")
        .unique()
    )
    return typo_pairs(pairs)


def _same_sound(a: tuple[str, str] | None, b: tuple[str, str] | None) -> bool:
    """Two records' names agree in sound, or one of them is unnamed."""
    return a is None or b is None or a[1] == b[1]


def _constrained(
    members: np.ndarray,
    anchors: dict[int, str],
    edges: list[tuple[float, int, int]],
    cannot: set[tuple[int, int]],
    labels: dict[int, tuple[str, str]] | None = None,
    floating: set[int] | None = None,
    keys: dict[int, str] | None = None,
    typos: set[tuple[str, str]] | None = None,
) -> tuple[dict[int, int], int]:
    """Greedy constrained union-find over one conflict component's edges (strongest first).

    With ``labels`` (record -> (given name, its sound)), two groups whose names are all unrelated
    are not joined either: inside a component that already holds two people (twins, namesakes),
    family evidence alone must not carry one twin's record into the other twin's group.
    The ``floating`` records are placed after the greedy pass, by the ``keys`` (record -> its
    birth date) of the members: see ``_place_floater``.
    """
    labels = labels or {}
    typos = typos or set()
    floating = floating or set()
    keys = keys or {}
    parent = {int(x): int(x) for x in members}
    anchor_of = {int(x): anchors.get(int(x)) for x in members}
    group = {int(x): {int(x)} for x in members}
    names = {int(x): ({labels[int(x)]} if int(x) in labels else set()) for x in members}
    partners: dict[int, set[int]] = {}
    for a, b in cannot:
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def blocked(ra: int, rb: int) -> bool:
        small, big = (group[ra], group[rb]) if len(group[ra]) <= len(group[rb]) else (group[rb], group[ra])
        return any(p in big for x in small for p in partners.get(x, ()))

    def union(ra: int, rb: int) -> None:
        root, child = (ra, rb) if ra < rb else (rb, ra)
        parent[child] = root
        group[root] = group[ra] | group[rb]
        names[root] = names[ra] | names[rb]
        del group[child]
        del names[child]
        anchor_of[root] = anchor_of[ra] if anchor_of[ra] is not None else anchor_of[rb]

    # Links whose two records' names agree in sound go first, each phase strongest first: a twin's
    # certificate joins the twin of its own name (浩宇) before the family's phone can carry it to the
    # other twin, whose name (浩然) is only one edit away. A typo (one edit) still joins in phase two.
    edges = sorted(edges, key=lambda e: not _same_sound(labels.get(e[1]), labels.get(e[2])))
    rejected = 0
    for _, a, b in edges:
        if a in floating or b in floating:
            continue
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        aa, ab = anchor_of[ra], anchor_of[rb]
        if aa is not None and ab is not None and aa != ab:
            rejected += 1
            continue
        if blocked(ra, rb):
            rejected += 1
            continue
        if not _related(names[ra], names[rb], typos):
            rejected += 1
            continue
        union(ra, rb)

    # Floaters, in record order, until none moves (one may join through another placed before it).
    neighbours: dict[int, set[int]] = {f: set() for f in floating}
    for _, a, b in edges:
        if a in floating:
            neighbours[a].add(b)
        if b in floating:
            neighbours[b].add(a)
    settled = {x for x in parent if x not in floating}
    settled_by_key: dict[str, set[int]] = {}
    for x in settled:
        if x in keys:
            settled_by_key.setdefault(keys[x], set()).add(x)
    moved = True
    while moved:
        moved = False
        for f in sorted(floating - settled):
            rf = find(f)
            linked = {find(o) for o in neighbours[f] if o in settled} - {rf}
            linked = {c for c in linked if not blocked(rf, c) and anchor_of[c] in (None, anchor_of[rf])}
            same_key = {find(x) for x in settled_by_key.get(keys.get(f), ())} - {rf}
            target = _place_floater(linked, same_key)
            if target is not None:
                union(rf, target)
                settled.add(f)
                if f in keys:
                    settled_by_key.setdefault(keys[f], set()).add(f)
                moved = True
    return {x: find(x) for x in parent}, rejected


def _place_floater(linked: set[int], same_key: set[int]) -> int | None:
    """The cluster a floating record joins, or None (it stands alone).

    ``linked``: clusters it has an accepted link to (that no guard forbids); ``same_key``: clusters
    of its conflict component holding a record of its birth date. Two clusters born that day are
    twins, and family evidence fits both: it stands alone. One is the child it can be, if linked.
    Born another day than every cluster (or undated): the one cluster it is linked to, if only one.
    """
    if len(same_key) > 1:
        return None
    if len(same_key) == 1:
        (only,) = same_key
        return only if only in linked else None
    return next(iter(linked)) if len(linked) == 1 else None


def cluster_pairs(
    record_ids: np.ndarray,
    anchors: pl.DataFrame,
    pairs: pl.DataFrame,
    threshold: float,
    stricter_thresholds: tuple[float, ...],
    max_cluster_size: int,
    ambiguity_margin: float = 0.0,
    names: pl.DataFrame | None = None,
    floaters: pl.DataFrame | None = None,
    components: pl.DataFrame | None = None,
    sibling_pairs: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, ClusterReport]:
    """Cluster records from scored pairs.

    ``record_ids``: every record (singletons included). ``anchors``:
    ``record_id``, ``anchor`` (e.g. the valid identity number) for records that
    have one. ``pairs``: ``l``, ``r``, ``match_probability``, ``match_weight``,
    ``cannot_link``. ``names``: ``record_id``, ``label``, ``sound`` (see ``_constrained``).
    ``floaters``: ``record_id``, ``floater`` (bool), ``key`` (its birth date) for records with a
    key or floating. ``components``: ``component_frame`` of the accepted pairs, when the caller
    already has it. ``sibling_pairs``: ``l``, ``r``, ``key``: records of one floater key (birth
    date) that a guard or a veto keeps apart (see ``_detach_floaters_of_siblings``). Returns ``record_id``,
    ``cluster_id`` and a report.
    """
    accepted = pairs.filter((pl.col("match_probability") >= threshold) & ~pl.col("cannot_link"))
    frame = components if components is not None else component_frame(record_ids, accepted)

    # Components in conflict: two different anchors, or both ends of a cannot-link pair.
    anchored = frame.join(anchors, on="record_id", how="inner")
    multi_anchor = (
        anchored.group_by("component").agg(pl.col("anchor").n_unique().alias("k")).filter(pl.col("k") > 1)
    )["component"]
    cannot = pairs.filter(pl.col("cannot_link")).select("l", "r")
    comp_of = frame.rename({"record_id": "l", "component": "cl"})
    cannot_in = (
        cannot.join(comp_of, on="l")
        .join(comp_of.rename({"l": "r", "cl": "cr"}), on="r")
        .filter(pl.col("cl") == pl.col("cr"))
    )
    conflict = pl.concat([multi_anchor, cannot_in["cl"].rename("component")]).unique().sort()

    # Components too large for one person (weak chains), excluding those handled as conflicts.
    sizes = frame.group_by("component").len()
    oversized = sizes.filter(
        (pl.col("len") > max_cluster_size) & ~pl.col("component").is_in(conflict.implode())
    )
    frame, n_rejected = _resolve_conflicts(frame, anchors, accepted, cannot, conflict, names, floaters)
    floating = (
        floaters.filter(pl.col("floater"))["record_id"]
        if floaters is not None
        else pl.Series([], dtype=pl.Int64)
    )
    frame, n_ambiguous = _detach_ambiguous(frame, accepted, conflict, ambiguity_margin, floating)
    frame, remaining = _split_oversized(
        frame, accepted, oversized["component"], stricter_thresholds, max_cluster_size
    )
    frame, n_detached = _detach_floaters_of_siblings(frame, floaters, sibling_pairs)

    report = ClusterReport(
        edges=accepted.height,
        components=frame["cluster_id"].n_unique(),
        conflict_components=conflict.len(),
        conflict_edges_rejected=n_rejected,
        ambiguous_records_detached=n_ambiguous,
        oversized_components=oversized.height,
        oversized_remaining=remaining,
        floaters_detached=n_detached,
    )
    return frame.select("record_id", "cluster_id").sort("record_id"), report


def _detach_floaters_of_siblings(
    frame: pl.DataFrame, floaters: pl.DataFrame | None, sibling_pairs: pl.DataFrame | None
) -> tuple[pl.DataFrame, int]:
    """Floating records leave a cluster that has a sibling of their birth date in another cluster.

    A floater (a placeholder name, no number another record shares) is placed by birth date,
    family and county, which fit twins alike. Inside a conflict component it already stands alone
    when two clusters share its date; this is the same rule across components: when a record of
    its cluster and a record of another cluster, born the same day, are kept apart by a guard or a
    veto (twins, or a twin and a renamed record), the floater cannot tell which twin it is and
    stands alone. Cluster numbers stay the smallest record id of the cluster.
    """
    if floaters is None or sibling_pairs is None or sibling_pairs.height == 0:
        return frame, 0
    cluster_of = frame.select("record_id", "cluster_id")
    split = (
        sibling_pairs.select("l", "r", "key")
        .join(cluster_of.rename({"record_id": "l", "cluster_id": "cl"}), on="l")
        .join(cluster_of.rename({"record_id": "r", "cluster_id": "cr"}), on="r")
        .filter(pl.col("cl") != pl.col("cr"))
    )
    sided = pl.concat([split.select(cluster_id="cl", key="key"), split.select(cluster_id="cr", key="key")])
    floating = floaters.filter(pl.col("floater")).select("record_id", "key")
    loose = floating.join(cluster_of, on="record_id").join(
        sided.unique(), on=["cluster_id", "key"], how="semi"
    )
    # Only a floater beside records of its own: a cluster of floaters alone has no twin to mistake.
    settled = frame.join(floating, on="record_id", how="anti")
    loose = loose.join(settled.select("cluster_id").unique(), on="cluster_id", how="semi")
    if loose.height == 0:
        return frame, 0
    # A group of its own (negative, so that it cannot meet a cluster number), then renumbered.
    group = (
        pl.when(pl.col("record_id").is_in(loose["record_id"].implode()))
        .then(-pl.col("record_id") - 1)
        .otherwise(pl.col("cluster_id"))
    )
    moved = frame.with_columns(pl.col("record_id").min().over(group).alias("cluster_id"))
    return moved, loose.height


def _resolve_conflicts(
    frame: pl.DataFrame,
    anchors: pl.DataFrame,
    accepted: pl.DataFrame,
    cannot: pl.DataFrame,
    conflict: pl.Series,
    labels: pl.DataFrame | None = None,
    floaters: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, int]:
    frame = frame.with_columns(pl.col("component").alias("cluster_id"))
    if conflict.len() == 0:
        return frame, 0
    members = frame.filter(pl.col("component").is_in(conflict.implode()))
    member_ids = members["record_id"]
    edges = (
        accepted.filter(pl.col("l").is_in(member_ids.implode()))
        .select("match_weight", "l", "r")
        .sort(["match_weight", "l", "r"], descending=[True, False, False])
    )
    anchor_map = dict(
        anchors.filter(pl.col("record_id").is_in(member_ids.implode()))
        .select("record_id", "anchor")
        .iter_rows()
    )
    cannot_set = {
        (int(a), int(b)) for a, b in cannot.filter(pl.col("l").is_in(member_ids.implode())).iter_rows()
    }
    label_map = (
        {
            int(r): (str(n), str(snd))
            for r, n, snd in labels.filter(pl.col("record_id").is_in(member_ids.implode()))
            .drop_nulls()
            .select("record_id", "label", "sound")
            .iter_rows()
        }
        if labels is not None
        else None
    )
    floating: set[int] = set()
    key_map: dict[int, str] = {}
    if floaters is not None:
        mine = floaters.filter(pl.col("record_id").is_in(member_ids.implode()))
        floating = {int(r) for r in mine.filter(pl.col("floater"))["record_id"]}
        key_map = {int(r): str(k) for r, k in mine.drop_nulls("key").select("record_id", "key").iter_rows()}
    roots, rejected = _constrained(
        member_ids.to_numpy(),
        anchor_map,
        [(w, int(a), int(b)) for w, a, b in edges.iter_rows()],
        cannot_set,
        label_map,
        floating,
        key_map,
        _typos_within(members, labels),
    )
    fixed = pl.DataFrame(
        {"record_id": list(roots.keys()), "new": list(roots.values())},
        schema={"record_id": pl.Int64, "new": pl.Int64},
    )
    frame = (
        frame.join(fixed, on="record_id", how="left")
        .with_columns(pl.coalesce("new", "cluster_id").alias("cluster_id"))
        .drop("new")
    )
    return frame, rejected


def _detach_ambiguous(
    frame: pl.DataFrame,
    accepted: pl.DataFrame,
    conflict: pl.Series,
    margin: float,
    floating: pl.Series | None = None,
) -> tuple[pl.DataFrame, int]:
    """Records of conflict components linked almost as strongly elsewhere become singletons.

    Inside a conflict component, an accepted edge between two final clusters is a merge the
    guards refused, so a record with such an edge could belong to either cluster; when its best
    edge out is within ``margin`` bits of its best edge in, the evidence does not decide.
    Floaters were placed by birth date, not by weight: they stay where they are, and their edges
    do not count against the records they link to.
    """
    if margin <= 0 or conflict.len() == 0:
        return frame, 0
    cid = frame.filter(pl.col("component").is_in(conflict.implode())).select("record_id", "cluster_id")
    if floating is not None and floating.len():
        # A floater's links are family links to both twins: no evidence against anyone's place.
        accepted = accepted.filter(
            ~pl.col("l").is_in(floating.implode()) & ~pl.col("r").is_in(floating.implode())
        )
    edges = accepted.select("l", "r", "match_weight").join(
        cid.rename({"record_id": "l", "cluster_id": "cl"}), on="l"
    )
    edges = edges.join(cid.rename({"record_id": "r", "cluster_id": "cr"}), on="r")
    # Each edge seen from both of its records.
    both = pl.concat(
        edges.select(
            pl.col(me).alias("record_id"),
            pl.col(mine).alias("own"),
            pl.col(theirs).alias("other"),
            "match_weight",
        )
        for me, mine, theirs in (("l", "cl", "cr"), ("r", "cr", "cl"))
    )
    best = both.group_by("record_id").agg(
        pl.col("match_weight").filter(pl.col("own") == pl.col("other")).max().alias("inside"),
        pl.col("match_weight").filter(pl.col("own") != pl.col("other")).max().alias("outside"),
    )
    sizes = cid.group_by("cluster_id").len()
    ambiguous = (
        best.join(cid, on="record_id")
        .join(sizes, on="cluster_id")
        .filter(
            (pl.col("len") > 1)
            & pl.col("outside").is_not_null()
            & (pl.col("outside") >= pl.col("inside").fill_null(float("-inf")) - margin)
        )["record_id"]
    )
    if ambiguous.len() == 0:
        return frame, 0
    # Cluster ids are the smallest record id of the cluster: recompute them once the ambiguous
    # records are out (one of them may have been its cluster's smallest).
    detached = pl.col("record_id").is_in(ambiguous.implode())
    frame = (
        frame.with_columns(
            pl.when(detached).then(-pl.col("record_id") - 1).otherwise("cluster_id").alias("key")
        )
        .with_columns(pl.col("record_id").min().over("key").alias("cluster_id"))
        .drop("key")
    )
    return frame, ambiguous.len()


def _split_oversized(
    frame: pl.DataFrame,
    accepted: pl.DataFrame,
    oversized: pl.Series,
    thresholds: tuple[float, ...],
    max_size: int,
) -> tuple[pl.DataFrame, int]:
    todo = oversized
    for t in thresholds:
        if todo.len() == 0:
            break
        members = frame.filter(pl.col("cluster_id").is_in(todo.implode()))
        ids = np.sort(members["record_id"].to_numpy())
        mset = members["record_id"].implode()
        edges = accepted.filter(
            pl.col("l").is_in(mset) & pl.col("r").is_in(mset) & (pl.col("match_probability") >= t)
        )
        labels = _components(
            ids, np.searchsorted(ids, edges["l"].to_numpy()), np.searchsorted(ids, edges["r"].to_numpy())
        )
        # Stay inside the old cluster: a stricter threshold only removes edges, so components nest.
        new = pl.DataFrame({"record_id": ids, "new": _min_id_labels(ids, labels)})
        frame = (
            frame.join(new, on="record_id", how="left")
            .with_columns(pl.coalesce("new", "cluster_id").alias("cluster_id"))
            .drop("new")
        )
        sizes = frame.filter(pl.col("record_id").is_in(mset)).group_by("cluster_id").len()
        todo = sizes.filter(pl.col("len") > max_size)["cluster_id"]
    return frame, todo.len()
