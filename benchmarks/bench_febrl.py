"""FEBRL 4 (5,000 + 5,000 records, 5,000 true links): this engine and Splink 5 side by side.

Run: ``uv run --group bench python benchmarks/bench_febrl.py`` (prints JSON).
Splink is configured as in its own FEBRL 4 example (link_only; names, date of
birth, social-security id, street number, postcode; u by random sampling, m by
EM on two blocking rules), clustered at match probability 0.9 like ours.
"""

from __future__ import annotations

import json
import time

import polars as pl
from evaluation import pairwise_scores

from matchers.configs.febrl import febrl4_records, febrl_config
from matchers.engine import link


def run_engine(df: pl.DataFrame) -> dict[str, object]:
    """Link FEBRL 4 with this engine; F1 against the FEBRL entity numbers."""
    t = time.perf_counter()
    result = link(df, febrl_config())
    seconds = time.perf_counter() - t
    scored = df.select("record_id", "truth").join(result.record_child, on="record_id")
    return {
        "engine": "taizhang",
        "seconds": round(seconds, 2),
        "candidate_pairs": result.n_candidate_pairs,
        **pairwise_scores(scored, "child_id", "truth").as_dict(),
    }


def run_splink(df: pl.DataFrame, threshold: float = 0.9) -> dict[str, object]:
    """Link FEBRL 4 with Splink 5 (DuckDB backend), standard configuration."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    t = time.perf_counter()
    db = DuckDBAPI()
    frames = []
    for tag in ("a", "b"):
        part = df.filter(pl.col("dataset") == tag).drop("truth").to_pandas()
        frames.append(db.register(part, dataset_display_name=f"febrl_{tag}"))
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frames, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    predictions = linker.inference.predict()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
    out = pl.from_pandas(clusters.as_pandas_dataframe()[["record_id", "cluster_id"]])
    n_pairs = predictions.as_duckdbpyrelation().count("*").fetchall()[0][0]
    seconds = time.perf_counter() - t
    scored = df.select("record_id", "truth").join(
        out.with_columns(pl.col("record_id").cast(pl.Int64)), on="record_id"
    )
    return {
        "engine": "splink",
        "seconds": round(seconds, 2),
        "candidate_pairs": int(n_pairs),
        **pairwise_scores(scored, "cluster_id", "truth").as_dict(),
    }


def main() -> dict[str, object]:
    df = febrl4_records()
    ours = run_engine(df)
    try:
        splink = run_splink(df)
    except ImportError:
        splink = {"engine": "splink", "error": "splink not installed (uv sync --group bench)"}
    return {"dataset": "febrl4", "records": df.height, "taizhang": ours, "splink": splink}


if __name__ == "__main__":
    print(json.dumps(main(), indent=2, ensure_ascii=False))
