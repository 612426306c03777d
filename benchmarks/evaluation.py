"""Measuring a linkage against ground truth, for benchmarks and tests (never used in a run).

Pairwise precision and recall are computed from cluster sizes, not by listing
pairs: a cluster of n records holds n(n-1)/2 pairs, so true positives are the
pairs inside every (predicted cluster, true entity) cell. Exact, and linear in
the number of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass(frozen=True)
class PairwiseScores:
    """Pairwise quality of a clustering."""

    predicted_pairs: int
    true_pairs: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "predicted_pairs": self.predicted_pairs,
            "true_pairs": self.true_pairs,
            "true_positives": self.true_positives,
        }


def _pairs(counts: pl.Expr) -> pl.Expr:
    return (counts * (counts - 1) // 2).sum()


def pairwise_scores(assigned: pl.DataFrame, predicted: str, truth: str) -> PairwiseScores:
    """Scores of column ``predicted`` (cluster) against column ``truth`` (entity), one row per record.

    Records whose truth is null (unreadable or unknown) are left out.
    """
    df = assigned.filter(pl.col(truth).is_not_null() & pl.col(predicted).is_not_null())
    pred = df.group_by(predicted).len().select(_pairs(pl.col("len"))).item()
    true = df.group_by(truth).len().select(_pairs(pl.col("len"))).item()
    tp = df.group_by(predicted, truth).len().select(_pairs(pl.col("len"))).item()
    return PairwiseScores(int(pred or 0), int(true or 0), int(tp or 0))


def standardized_generated(extracts_dir: Path, period_as_of: object | None = None) -> pl.DataFrame:
    """std_records of a generated extracts folder: ingest then standardize, as the pipeline does."""
    from taizhang.ingest import read_extracts
    from transforms.standardize import standardize_records

    ingested = read_extracts(extracts_dir)
    return standardize_records(ingested.staged, period_as_of)  # type: ignore[arg-type]


def with_truth(records: pl.DataFrame, truth_dir: Path) -> pl.DataFrame:
    """``records`` with the generator's ``child_key`` joined on (source, file, row_number)."""
    truth = pl.read_parquet(
        truth_dir / "records.parquet", columns=["source", "file", "row_number", "child_key"]
    )
    return records.join(truth, on=["source", "file", "row_number"], how="left")


def twin_merges(assigned: pl.DataFrame, twins: pl.DataFrame, predicted: str = "child_id") -> int:
    """Number of twin pairs (``child_key_a``, ``child_key_b``) that share a predicted cluster."""
    per_child = assigned.select(pl.col("child_key"), pl.col(predicted)).unique()
    a = twins.join(per_child.rename({"child_key": "child_key_a"}), on="child_key_a")
    b = a.join(per_child.rename({"child_key": "child_key_b", predicted: "p_b"}), on="child_key_b")
    return b.filter(pl.col(predicted) == pl.col("p_b")).select("child_key_a", "child_key_b").unique().height


def clusters_with_two_valid_ids(assigned: pl.DataFrame, predicted: str = "child_id") -> int:
    """Number of predicted clusters holding two different valid identity numbers.

    A number ending in ``000`` whose check digit holds is not counted: it cannot be told from an
    Excel-truncated copy of another number (the last three digits lost, the 15th rounded), and
    merging it with the number it was cut from is right.
    """
    return (
        assigned.filter(pl.col("id_status") == "valid", ~pl.col("id_number").str.ends_with("000"))
        .group_by(predicted)
        .agg(pl.col("id_number").n_unique().alias("k"))
        .filter(pl.col("k") > 1)
        .height
    )


def twin_pairs(truth_dir: Path) -> pl.DataFrame:
    """Pairs of true children with the same mother (or father) and birth date: twins."""
    kids = pl.read_parquet(
        truth_dir / "children.parquet", columns=["child_key", "birth_date", "mother_key", "father_key"]
    )
    out = []
    for parent in ("mother_key", "father_key"):
        k = kids.filter(pl.col(parent).is_not_null()).select("child_key", "birth_date", parent)
        out.append(
            k.join(k, on=[parent, "birth_date"], suffix="_b")
            .filter(pl.col("child_key") < pl.col("child_key_b"))
            .select(pl.col("child_key").alias("child_key_a"), pl.col("child_key_b"))
        )
    return pl.concat(out).unique().sort("child_key_a", "child_key_b")


ROW_KEY = ["source", "file", "row_number"]


def row_accounting(
    links: pl.DataFrame, quarantine: pl.DataFrame, truth_records: pl.DataFrame
) -> dict[str, int]:
    """Every row of the generator's truth against a run's ``links`` and ``quarantine``, by
    ``(source, file, row_number)``.

    A child-level row the truth calls readable must be linked, an unreadable one (junk rows
    included) quarantined; a ``person_status`` row is quarantined exactly when it is unreadable
    (its readable rows feed the status rules, not ``links``). Any row counted in
    ``missing``, ``unknown``, ``twice``, ``junk_linked``, ``readable_quarantined`` or
    ``unreadable_linked`` is a row lost, invented or misplaced: all are 0 when the run counts
    rows as the truth does.
    """
    truth = truth_records.select(
        *ROW_KEY,
        pl.col("unreadable"),
        junk=pl.col("junk") if "junk" in truth_records.columns else pl.lit(False),
        child_level=pl.col("source") != "person_status",
    )
    seen = pl.concat(
        [
            links.select(ROW_KEY).with_columns(linked=pl.lit(True)),
            quarantine.select(ROW_KEY).with_columns(linked=pl.lit(False)),
        ]
    )
    twice = int(seen.select(ROW_KEY).is_duplicated().sum())
    joined = truth.join(seen.unique(ROW_KEY, keep="first"), on=ROW_KEY, how="full", coalesce=True)
    in_truth = pl.col("unreadable").is_not_null()
    linked, quarantined = (
        pl.col("linked").fill_null(False),
        pl.col("linked").not_() & pl.col("linked").is_not_null(),
    )
    expected_somewhere = pl.col("child_level") | pl.col("unreadable")

    def count(expr: pl.Expr) -> int:
        return int(joined.select(expr.fill_null(False).sum()).item())

    return {
        "truth_rows": truth.height,
        "junk_rows": int(truth["junk"].sum()),
        "linked": links.height,
        "quarantined": quarantine.height,
        "missing": count(in_truth & expected_somewhere & pl.col("linked").is_null()),
        "unknown": count(~in_truth),
        "twice": twice,
        "junk_linked": count(pl.col("junk") & linked),
        "junk_quarantined": count(pl.col("junk") & quarantined),
        "readable_quarantined": count(in_truth & ~pl.col("unreadable") & quarantined),
        "unreadable_linked": count(pl.col("unreadable") & linked),
    }
