"""End-to-end quality benchmark: generate extracts with truth, run the pipeline, score its outputs.

It reads only the public outputs of a run (``links.parquet``,
``quarantine.parquet``, ``ledger.parquet``, ``flags.parquet``) and the
generator's truth, as an outside evaluator would, and reports:

- linkage: pairwise precision, recall and F1 over child-level records, and twin pairs merged;
- rows: every row of the truth (junk rows included) linked or quarantined under its own
  ``(source, file, row_number)`` (``benchmarks/evaluation.py``: ``row_accounting``);
- quarantine: precision and recall against the truly unreadable rows;
- migrant children, suspected orphans, suspected de facto unsupported:
  precision and recall of the ledger against the truth (orphan and unsupported
  over the flags the extracts can decide: the truth clears those it cannot);
- the candidate list (``candidates.parquet``): how many of its children are
  truly migrant, its share of false candidates, and the recall of the ledger
  and the candidates together over the truly migrant children;
- child-id stability between the two half-years, and the change list;
- seconds and peak memory of each period's run.

    uv run python benchmarks/quality.py --children 20000 --seed 11 [--noise heavy] [--no-marks]

``--no-marks`` generates the same records without the arrival marks (junk rows,
annotated headers, titles, extra sheets): the two runs' figures should agree.
Results are printed and written to ``benchmarks/results/quality_<children>_<noise>[_nomarks].json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import polars as pl
from evaluation import row_accounting, twin_merges, twin_pairs

from taizhang.generate import generate
from taizhang.pipeline import run_period

PERIODS = ("2026H1", "2026H2")
KEY = ["source", "file", "row_number"]


def pairwise_scores(assigned: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision/recall/F1 of ``child_id`` against ``child_key`` over the same records."""

    def pairs(df: pl.DataFrame, cols: list[str]) -> int:
        counts = df.group_by(cols).len()
        return int((counts["len"] * (counts["len"] - 1) // 2).sum())

    true_pairs = pairs(assigned, ["child_key"])
    predicted = pairs(assigned, ["child_id"])
    correct = pairs(assigned, ["child_id", "child_key"])
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
    }


def precision_recall(predicted: set[str], truth: set[str]) -> dict[str, float]:
    hit = len(predicted & truth)
    return {
        "precision": round(hit / len(predicted), 5) if predicted else 1.0,
        "recall": round(hit / len(truth), 5) if truth else 1.0,
        "predicted": len(predicted),
        "true": len(truth),
    }


def child_map(links: pl.DataFrame, truth_records: pl.DataFrame) -> pl.DataFrame:
    """child_id -> the true child_key most of its records belong to."""
    joined = links.join(truth_records.select([*KEY, "child_key"]), on=KEY, how="inner").drop_nulls(
        "child_key"
    )
    return (
        joined.group_by("child_id", "child_key")
        .len()
        .sort(["child_id", "len", "child_key"], descending=[False, True, False])
        .unique("child_id", keep="first", maintain_order=True)
        .select("child_id", "child_key")
    )


def score_period(out_dir: Path, truth_dir: Path) -> dict:
    links = pl.read_parquet(out_dir / "links.parquet")
    quarantine = pl.read_parquet(out_dir / "quarantine.parquet")
    ledger = pl.read_parquet(out_dir / "ledger.parquet")
    flags = pl.read_parquet(out_dir / "flags.parquet")
    records = pl.read_parquet(truth_dir / "records.parquet")
    children = pl.read_parquet(truth_dir / "children.parquet")

    child_records = records.filter(pl.col("source") != "person_status")
    assigned = links.join(child_records.select([*KEY, "child_key"]), on=KEY, how="inner").drop_nulls(
        "child_key"
    )
    result: dict = {"linkage": pairwise_scores(assigned)}
    result["linkage"]["twin_pairs"] = twin_pairs(truth_dir).height
    result["linkage"]["twin_pairs_merged"] = twin_merges(assigned, twin_pairs(truth_dir))

    unreadable = records.filter(pl.col("unreadable"))
    truth_q = {tuple(r) for r in unreadable.select(KEY).iter_rows()}
    found_q = {tuple(r) for r in quarantine.select(KEY).iter_rows()}
    result["quarantine"] = precision_recall(
        {"|".join(map(str, k)) for k in found_q}, {"|".join(map(str, k)) for k in truth_q}
    )
    result["rows"] = row_accounting(links, quarantine, records)
    readable = child_records.filter(~pl.col("unreadable"))
    result["records"] = {
        "child_level_rows": child_records.height,
        "linked": links.height,
        "readable_not_linked": readable.join(links.select(KEY), on=KEY, how="anti").height,
    }

    mapping = child_map(links, child_records)
    ledger_keys = ledger.join(mapping, on="child_id", how="left")

    def keys_where(flag: str) -> set[str]:
        return set(ledger_keys.filter(pl.col(flag))["child_key"].drop_nulls().to_list())

    result["migrant"] = precision_recall(
        set(ledger_keys["child_key"].drop_nulls().to_list()),
        set(children.filter(pl.col("is_migrant"))["child_key"].to_list()),
    )
    # The flags are judged on migrant children: the ledger holds only those.
    migrants = children.filter(pl.col("is_migrant"))
    result["suspected_orphan"] = precision_recall(
        keys_where("suspected_orphan"), set(migrants.filter(pl.col("is_orphan"))["child_key"].to_list())
    )
    result["suspected_unsupported"] = precision_recall(
        keys_where("suspected_unsupported"),
        set(migrants.filter(pl.col("is_unsupported"))["child_key"].to_list()),
    )
    result["candidates"] = score_candidates(out_dir, mapping, ledger_keys, children)
    flagged = flags.filter(pl.col("flag").is_in(["suspected_orphan", "suspected_unsupported"]))
    result["flags_without_evidence"] = flagged.filter(
        pl.col("evidence").is_null() | (pl.col("evidence").str.len_chars() < 3)
    ).height
    result["ledger_rows"] = ledger.height
    result["ledger_children_per_true_child_max"] = (
        int(ledger_keys.group_by("child_key").len()["len"].max() or 0) if ledger.height else 0
    )
    return result, mapping, ledger_keys


def score_candidates(
    out_dir: Path, mapping: pl.DataFrame, ledger_keys: pl.DataFrame, children: pl.DataFrame
) -> dict:
    """The candidate list against the truth: false candidates, and ledger + candidates recall."""
    path = out_dir / "candidates.parquet"
    if not path.exists():
        return {"error": "no candidates.parquet"}
    cand = pl.read_parquet(path).join(mapping, on="child_id", how="left")
    migrant = set(children.filter(pl.col("is_migrant"))["child_key"].to_list())
    keys = cand["child_key"].to_list()
    true_cand = [k for k in keys if k in migrant]
    in_ledger = set(ledger_keys["child_key"].drop_nulls().to_list())
    found = in_ledger | {k for k in keys if k is not None}
    per_code = {
        code: {"rows": n, "truly_migrant": int(t)}
        for code, n, t in cand.with_columns(t=pl.col("child_key").is_in(list(migrant)))
        .group_by("reason_code")
        .agg(pl.len(), pl.col("t").sum())
        .sort("reason_code")
        .iter_rows()
    }
    return {
        "rows": cand.height,
        "truly_migrant": len(true_cand),
        "false_share": round(1 - len(true_cand) / cand.height, 5) if cand.height else 0.0,
        "ledger_plus_candidates_recall": round(len(found & migrant) / len(migrant), 5) if migrant else 1.0,
        "migrant_missed": len(migrant - found),
        "per_reason_code": per_code,
    }


def score_changes(out_dir: Path, truth_dir: Path, mapping: pl.DataFrame, previous: pl.DataFrame) -> dict:
    """Change list against the truth; children who left are mapped through the previous period's links."""
    mapping = pl.concat([mapping, previous.join(mapping, on="child_id", how="anti")])
    truth = pl.read_parquet(truth_dir / "changes.parquet")
    changes_path = out_dir / "changes.parquet"
    if not changes_path.exists():
        return {"error": "no changes.parquet"}
    changes = pl.read_parquet(changes_path).join(mapping, on="child_id", how="left")
    got = {(k, c) for k, c in changes.select("child_key", "change").iter_rows() if k is not None}
    want = {tuple(r) for r in truth.select("child_key", "change").iter_rows()}
    per_kind = {}
    for kind in sorted({c for _, c in want} | {c for _, c in got}):
        g = {k for k, c in got if c == kind}
        w = {k for k, c in want if c == kind}
        per_kind[kind] = precision_recall(g, w)
    return {"exact_match": got == want, "per_kind": per_kind}


def id_stability(maps: list[pl.DataFrame]) -> dict:
    """Share of true children seen in both periods whose majority child_id is the same."""
    a, b = maps
    both = a.rename({"child_id": "id_a"}).join(b.rename({"child_id": "id_b"}), on="child_key")
    # A true child may own several child_ids if linkage split it; judge each key's smallest id.
    per_key = both.group_by("child_key").agg(
        (pl.col("id_a") == pl.col("id_b")).any().alias("kept"),
    )
    kept = int(per_key["kept"].sum())
    return {"children_in_both": per_key.height, "kept_id": round(kept / max(per_key.height, 1), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--noise", default="default", choices=["default", "heavy"])
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/data/quality"))
    parser.add_argument("--keep", action="store_true", help="reuse generated extracts if present")
    parser.add_argument("--no-marks", action="store_true", help="the same records without arrival marks")
    args = parser.parse_args()

    tag = "_nomarks" if args.no_marks else ""
    work = args.workdir / f"{args.children}_{args.noise}_{args.seed}{tag}"
    extracts, out = work / "extracts", work / "out"
    if not (args.keep and (extracts / "truth").exists()):
        shutil.rmtree(work, ignore_errors=True)
        generate(
            extracts,
            args.children,
            args.seed,
            list(PERIODS),
            noise=args.noise,
            marks=False if args.no_marks else None,
        )
    shutil.rmtree(out, ignore_errors=True)

    report: dict = {
        "children": args.children,
        "seed": args.seed,
        "noise": args.noise,
        "marks": not args.no_marks,
        "periods": {},
    }
    maps = []
    for period in PERIODS:
        started = time.perf_counter()
        run_period(extracts / period, period, out)
        seconds = time.perf_counter() - started
        scores, mapping, _ = score_period(out / period, extracts / "truth" / period)
        scores["seconds"] = round(seconds, 1)
        scores["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if period != PERIODS[0]:
            scores["changes"] = score_changes(out / period, extracts / "truth" / period, mapping, maps[-1])
        report["periods"][period] = scores
        maps.append(mapping)
    report["id_stability"] = id_stability(maps)

    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    results = Path("benchmarks/results")
    results.mkdir(parents=True, exist_ok=True)
    (results / f"quality_{args.children}_{args.noise}{tag}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
