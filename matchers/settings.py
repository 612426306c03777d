"""Settings: everything that makes a linkage job specific, in one frozen value.

A configuration (``matchers/configs/``) says which columns are read and derived, which pairs the
blocking rules compare, how they are compared, which guards and vetoes apply, how the model is
trained, how clusters are resolved and how ids are made. The engine reads nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from matchers.blocking import BlockingRule
from matchers.comparisons import Comparison
from matchers.guards import Guard, Veto
from matchers.stable_ids import Anchor


@dataclass(frozen=True)
class LinkageConfig:
    """Everything that makes a linkage job specific.

    ``columns`` lists the input columns the SQL reads, with their types: a
    column missing from the input is added as nulls, so one configuration
    serves sources that lack some fields. ``derived`` adds computed columns
    (``name``, SQL expression over ``r``) before blocking.
    """

    name: str
    columns: dict[str, pl.DataType]
    blocking_rules: tuple[BlockingRule, ...]
    comparisons: tuple[Comparison, ...]
    derived: tuple[tuple[str, str], ...] = ()
    guards: tuple[Guard, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    anchor_guard: str | None = None  # SQL over r: a value two records in one cluster may not differ on
    anchors: tuple[Anchor, ...] = ()
    id_fallback: str = "NULL"  # SQL over r seeding the id of a cluster with no anchor
    id_namespace: str = "taizhang-child-v1"
    id_prefix: str = "C"
    unique_id: str = "record_id"
    threshold: float = 0.9
    stricter_thresholds: tuple[float, ...] = (0.99, 0.999, 0.9999)
    max_cluster_size: int = 30
    # A record of a conflict component whose link to another cluster is within this many bits of
    # its best link into its own is left on its own (0 = always take the stronger).
    ambiguity_margin: float = 0.0
    max_block_size: int = 300
    link_only_column: str | None = None
    match_share_init: float = 0.2
    em_max_iter: int = 60
    em_tol: float = 1e-6
    fix_u: bool = True
    # Training sessions: (blocking rule name, comparisons that rule blocks on).
    training: tuple[tuple[str, tuple[str, ...]], ...] = ()
    random_pairs: int = 300_000
    seed: int = 20260630
    tf_bounds: tuple[float, float] = (-4.0, 4.0)
    strong_claim: float = 20.0
    review_size: int = 50
    # SQL over r: a name and its sound. Inside a conflict component (two people linked), groups
    # whose names are all unrelated (not equal in sound, not one edit apart) are not joined.
    conflict_labels: tuple[str, str] | None = None
    # SQL over r: (when a record floats, its birth date). Inside a conflict component a floating
    # record (known by a placeholder name alone) joins the one cluster of its birth date it is
    # linked to, and none when two clusters share that date (twins); never the cluster its
    # strongest family link happens to point at.
    conflict_floaters: tuple[str, str] | None = None
    # Guards that keep a fragment from rejoining a previous child's id (None: all; () : none).
    # Guards that only weigh against one noisy pair (a birth date far off) are better left out:
    # the registry's shared number outweighs them.
    rejoin_guards: tuple[str, ...] | None = None
    # Guards that keep a pair apart by what both records carry for certain (two different valid
    # identity numbers): blocking never forms the pairs they forbid, so they are never compared.
    # Each must be declared as one column's values differing (Guard.values_differ), and must not be
    # needed as a cannot-link inside components: the anchors (anchor_guard) or component_guards
    # must already keep such records apart there.
    uncompared_guards: tuple[str, ...] = ()
    # Guards also checked on the pairs of a component that no blocking rule compared (None: all;
    # (): none). Guards that weigh a typo-prone field are better left out: unscored pairs are the
    # ones whose fields disagree most, typos included.
    component_guards: tuple[str, ...] | None = None
    # Pairs scored below this many bits cannot link, like a guard (None: only the guards).
    cannot_link_below: float | None = None
    # Scored pairs returned to the caller: those at least this likely (the rest are plain non-matches).
    keep_pairs_above: float = 0.001
    review_mask_column: str | None = "name"
    review_columns: tuple[str, ...] = ("source", "file", "row_number")
    threads: int = 2
    memory_limit: str = "2GB"
