"""Linkage quality and speed: generated extracts, two half-years, scale, FEBRL 4, against Splink 5.

Run (after ``uv sync --group bench`` for Splink)::

    uv run python benchmarks/bench_link.py --children 20000 --work /tmp/linkbench

Steps, each timed in a fresh subprocess so peak memory (ru_maxrss) is the
step's own:

1. generate extracts with truth (``taizhang.generate``; default and heavy noise),
   ingest and standardize them once (cached as parquet under ``--work``);
2. link 2026H1: pairwise precision / recall / F1 against ``child_key``, twin
   pairs merged, clusters holding two different valid identity numbers;
3. link 2026H2 with the 2026H1 registry: share of children seen in both
   half-years that keep their id;
4. the same 2026H1 records with birth-date slips the generator does not make
   (a noise mix of another source), and with Splink 5 (plain configuration);
5. scale: extracts of ``--scale-children`` children generated and standardized
   like the small ones, linked once (with ``--also tiled``, also the 20,000-child
   records tiled to that size: each tile's identifiers, guardians and counties
   shifted and a tile character appended to every name);
6. FEBRL 4 (``bench_febrl.py``).

Results go to ``benchmarks/results/link.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "link.json"


def _std(extracts: Path, period: str, out: Path) -> Path:
    """Ingest and standardize one generated period once; cached."""
    target = out / f"std_{period}.parquet"
    if not target.exists():
        from evaluation import standardized_generated, with_truth

        as_of = date(int(period[:4]), 6, 30) if period.endswith("H1") else date(int(period[:4]), 12, 31)
        records = standardized_generated(extracts / period, as_of)
        with_truth(records, extracts / "truth" / period).write_parquet(target)
    return target


def _generate(work: Path, children: int, noise: str, seed: int, periods: str) -> Path:
    folder = work / f"{noise}_{children}"
    if not (folder / "truth").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "taizhang.generate",
                "--out",
                str(folder),
                "--children",
                str(children),
                "--seed",
                str(seed),
                "--periods",
                periods,
                "--noise",
                noise,
            ],
            check=True,
            capture_output=True,
        )
    return folder


def _tile(std: Path, factor: int, out: Path) -> Path:
    """``factor`` shifted copies of a standardized record set: distinct children, same noise."""
    target = out / f"tiled_{factor}.parquet"
    if target.exists():
        return target
    df = pl.read_parquet(std)
    parts = []
    marks = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
    for t in range(factor):
        tag = f"{t:02d}"
        mark = marks[t % len(marks)]
        name_suffix = {
            "name": mark,
            "given_name": mark,
            "name_variant_key": mark,
            "name_pinyin": f"t{tag}",
            "name_initials": f"t{tag}",
            "mother_name": mark,
            "father_name": mark,
        }

        def shift(col: str, tag: str = tag) -> pl.Expr:
            # Replace the first two characters (province of an id, letter of a number) by the tile tag.
            return pl.when(pl.col(col).is_not_null()).then(pl.lit(tag) + pl.col(col).str.slice(2)).alias(col)

        ids = [
            "id_number",
            "pupil_id_number",
            "mother_id",
            "father_id",
            "birth_cert_no",
            "permit_no",
            "pupil_no",
            "health_record_no",
            "client_code",
            "insurance_no",
            "residence_county",
            "hukou_county",
        ]
        parts.append(
            df.with_columns(
                *[shift(c) for c in ids if c in df.columns],
                pl.col("guardian_ids").list.eval(pl.lit(tag) + pl.element().str.slice(2)),
                # Another family name suffix per tile, so tiles are not homonyms born the same day.
                *[(pl.col(c) + suffix).alias(c) for c, suffix in name_suffix.items() if c in df.columns],
                pl.col("guardian_phones").list.eval(pl.lit(tag) + pl.element().str.slice(2)),
                (pl.col("child_key") + f"-{tag}").alias("child_key"),
                (pl.col("file") + f"-{tag}").alias("file"),
            )
        )
    tiled = (
        pl.concat(parts)
        .drop("record_id")
        .with_row_index("record_id")
        .with_columns(pl.col("record_id").cast(pl.Int64))
    )
    tiled.write_parquet(target)
    return target


def _with_date_slips(std: Path, out: Path, seed: int = 5) -> Path:
    """The same records with birth-date slips our generator does not make (about 6% of records).

    One day off (3%), day and month swapped where both can be a month (2%), the year one off
    (2%): a noise mix of another source of extracts, to see that the model learns it rather than
    relying on the generator's.
    """
    target = out / "std_2026H1_date_slips.parquet"
    if target.exists():
        return target
    df = pl.read_parquet(std)
    u = pl.Series(np.random.default_rng(seed).random(df.height))
    d = pl.col("birth_date")
    leap_day = (d.dt.month() == 2) & (d.dt.day() == 29)
    df.with_columns(
        pl.when(u < 0.03)
        .then(d + pl.duration(days=1))
        .when((u < 0.05) & (d.dt.day() <= 12))
        .then(pl.date(d.dt.year(), d.dt.day(), d.dt.month()))
        .when((u >= 0.05) & (u < 0.07) & (d.dt.year() % 10 < 9) & ~leap_day)
        .then(d.dt.offset_by("1y"))
        .otherwise(d)
        .alias("birth_date")
    ).write_parquet(target)
    return target


def _measure(step: str, *args: str) -> dict[str, object]:
    """Run one step in a fresh interpreter; its JSON result plus wall seconds and peak RSS."""
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--step", step, *args], check=True, capture_output=True, text=True
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = round(time.perf_counter() - t, 2)
    return out


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --------------------------------------------------------------------------- steps (subprocesses)


def step_link(std: str, registry_in: str, registry_out: str, assigned_out: str) -> dict[str, object]:
    from evaluation import clusters_with_two_valid_ids, pairwise_scores

    from matchers.configs import children
    from matchers.engine import link

    wanted = {"record_id", "child_key", *children().columns}
    records = pl.read_parquet(std, columns=[c for c in pl.read_parquet_schema(std) if c in wanted])
    previous = pl.read_parquet(registry_in) if registry_in != "-" else None
    t = time.perf_counter()
    result = link(records.drop("child_key"), children(), previous_registry=previous)
    seconds = time.perf_counter() - t
    assigned = records.select("record_id", "child_key", "id_number", "id_status").join(
        result.record_child, on="record_id"
    )
    if registry_out != "-":
        result.registry.write_parquet(registry_out)
    if assigned_out != "-":
        assigned.write_parquet(assigned_out)
    return {
        "records": records.height,
        "seconds": round(seconds, 2),
        "peak_rss_mb": _peak_mb(),
        "candidate_pairs": result.n_candidate_pairs,
        "stage_seconds": result.timings,
        "stage_cpu_seconds": result.cpu_seconds,
        "clusters_with_two_valid_ids": clusters_with_two_valid_ids(assigned),
        "cluster_report": result.cluster_report.__dict__,
        "id_events": dict(result.id_events.group_by("event").len().iter_rows()),
        **pairwise_scores(assigned, "child_id", "child_key").as_dict(),
    }


def step_splink(std: str) -> dict[str, object]:
    import splink.comparison_library as cl
    from evaluation import pairwise_scores
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = pl.read_parquet(std)
    frame = records.select(
        "record_id",
        "child_key",
        "name",
        "name_pinyin",
        "id_number",
        "sex",
        "residence_county",
        "hukou_county",
        pl.coalesce("birth_date", "id_birth_date").cast(pl.Utf8).alias("dob"),
    )
    t = time.perf_counter()
    db = DuckDBAPI()
    df = db.register(frame.drop("child_key").to_pandas(), dataset_display_name="children")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("name_pinyin", "dob"),
            block_on("dob", "sex", "residence_county"),
            block_on("name", "residence_county"),
        ],
        comparisons=[
            cl.NameComparison("name").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("name_pinyin", [0.92, 0.8]),
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("residence_county"),
            cl.ExactMatch("hukou_county"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(df, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("id_number")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_pinyin", "dob"))
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.9)
    out = pl.from_pandas(clusters.as_pandas_dataframe()[["record_id", "cluster_id"]])
    n_pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    seconds = time.perf_counter() - t
    scored = frame.select("record_id", "child_key").join(
        out.with_columns(pl.col("record_id").cast(pl.Int64)), on="record_id"
    )
    return {
        "records": records.height,
        "seconds": round(seconds, 2),
        "peak_rss_mb": _peak_mb(),
        "candidate_pairs": int(n_pairs),
        **pairwise_scores(scored, "cluster_id", "child_key").as_dict(),
    }


def step_febrl() -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_febrl import main

    return main()


STEPS = {"link": step_link, "splink": step_splink, "febrl": step_febrl}


# --------------------------------------------------------------------------- driver


def _retention(h1: Path, h2: Path) -> dict[str, float | int]:
    """Children seen in both half-years: share whose 2026H2 id is one they had in 2026H1.

    A child linkage split in two last half-year had two ids; keeping either is keeping its id
    (``share_kept``). ``share_kept_majority`` is stricter: the id of the child's most records in
    both half-years (a 1-1 split is a coin toss there).
    """

    def majority(p: Path) -> pl.DataFrame:
        df = pl.read_parquet(p).filter(pl.col("child_key").is_not_null())
        return (
            df.group_by("child_key", "child_id")
            .len()
            .sort(["child_key", "len", "child_id"], descending=[False, True, False])
            .group_by("child_key", maintain_order=True)
            .first()
            .select("child_key", "child_id")
        )

    earlier = (
        pl.read_parquet(h1)
        .filter(pl.col("child_key").is_not_null())
        .group_by("child_key")
        .agg(pl.col("child_id").unique().alias("ids_h1"))
    )
    both = majority(h1).join(majority(h2), on="child_key", suffix="_h2").join(earlier, on="child_key")
    kept = both.filter(pl.col("ids_h1").list.contains(pl.col("child_id_h2"))).height
    kept_majority = both.filter(pl.col("child_id") == pl.col("child_id_h2")).height
    return {
        "children_in_both": both.height,
        "kept_id": kept,
        "share_kept": round(kept / max(both.height, 1), 6),
        "share_kept_majority": round(kept_majority / max(both.height, 1), 6),
    }


def _twins(assigned: Path, truth: Path) -> dict[str, int]:
    from evaluation import twin_merges, twin_pairs

    pairs = twin_pairs(truth)
    return {"twin_pairs": pairs.height, "twin_pairs_merged": twin_merges(pl.read_parquet(assigned), pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=20000)
    parser.add_argument("--scale-children", type=int, default=300000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/linkbench"))
    parser.add_argument("--skip", default="", help="comma list of: heavy,splink,scale,febrl")
    parser.add_argument("--also", default="", help="comma list of: tiled (the 20,000 tiled to scale size)")
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="where to write the figures (default: the committed benchmarks/results/link.json)",
    )
    parser.add_argument("--step", default=None, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.step:
        print(json.dumps(STEPS[args.step](*rest), default=str))
        return
    skip = set(filter(None, args.skip.split(",")))
    wanted = set(filter(None, args.also.split(",")))
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"children": args.children}

    default = _generate(work, args.children, "default", 1, "2026H1,2026H2")
    h1 = _std(default, "2026H1", default)
    h2 = _std(default, "2026H2", default)
    reg = default / "registry_2026H1.parquet"
    a1, a2 = default / "assigned_2026H1.parquet", default / "assigned_2026H2.parquet"
    results["default_2026H1"] = _measure("link", str(h1), "-", str(reg), str(a1)) | _twins(
        a1, default / "truth/2026H1"
    )
    again = _measure("link", str(h1), "-", "-", str(default / "assigned_rerun.parquet"))
    results["rerun_identical_ids"] = pl.read_parquet(a1).equals(
        pl.read_parquet(default / "assigned_rerun.parquet")
    )
    results["default_2026H2_with_registry"] = _measure("link", str(h2), str(reg), "-", str(a2)) | _twins(
        a2, default / "truth/2026H2"
    )
    results["id_stability"] = _retention(a1, a2)
    del again

    slips = _with_date_slips(h1, default)
    results["default_2026H1_with_date_slips"] = _measure("link", str(slips), "-", "-", "-")
    if "heavy" not in skip:
        heavy = _generate(work, args.children, "heavy", 2, "2026H1")
        hh = _std(heavy, "2026H1", heavy)
        ah = heavy / "assigned_2026H1.parquet"
        results["heavy_2026H1"] = _measure("link", str(hh), "-", "-", str(ah)) | _twins(
            ah, heavy / "truth/2026H1"
        )
    if "splink" not in skip:
        results["splink_default_2026H1"] = _measure("splink", str(h1))
    if "scale" not in skip:
        big = _generate(work, args.scale_children, "default", 3, "2026H1")
        hb = _std(big, "2026H1", big)
        results["scale"] = {"children": args.scale_children} | _measure(
            "link", str(hb), "-", "-", str(big / "assigned_2026H1.parquet")
        )
    if "tiled" in wanted:
        factor = max(1, round(args.scale_children / args.children))
        tiled = _tile(h1, factor, default)
        results["scale_tiled"] = {"children": factor * args.children} | _measure(
            "link", str(tiled), "-", "-", "-"
        )
    if "febrl" not in skip:
        results["febrl4"] = _measure("febrl")

    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
