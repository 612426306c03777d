"""Buckets of children: the decide stage takes the province's children a bucket at a time.

A bucket is a run of consecutive child ids, so tables built bucket by bucket and concatenated in
bucket order are in child id order, as the tables of all children at once are.
"""

from __future__ import annotations

import polars as pl


def child_buckets(record_child: pl.DataFrame, bucket_children: int | None) -> pl.DataFrame:
    """``record_id, _bucket``: the bucket of every linked record, its child's (runs of at most
    ``bucket_children`` children in child id order; one bucket when None)."""
    children = record_child.select("child_id").drop_nulls().unique().sort("child_id")
    size = max(1, bucket_children or children.height)
    numbered = children.with_columns(_bucket=(pl.int_range(pl.len(), dtype=pl.Int64) // size).cast(pl.Int32))
    return (
        record_child.select("record_id", "child_id")
        .join(numbered, on="child_id", how="inner")
        .drop("child_id")
    )


def by_bucket(frame: pl.DataFrame, buckets: pl.DataFrame | None) -> dict[int, pl.DataFrame]:
    """The rows of ``frame`` (keyed by ``record_id``) split by bucket, each in ``frame``'s order;
    rows of no linked record are left out. One bucket (or ``buckets`` None): ``frame`` itself."""
    if buckets is None or (buckets["_bucket"].max() or 0) == 0:
        return {0: frame}
    bucket = frame.select("record_id").join(buckets, on="record_id", how="left", maintain_order="left")
    parts = frame.with_columns(_bucket=bucket["_bucket"]).partition_by(
        "_bucket", as_dict=True, include_key=False, maintain_order=True
    )
    return {key[0]: part for key, part in parts.items() if key[0] is not None}


def concat_buckets(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The tables of the buckets as one, in bucket order (their chunks side by side, not copied)."""
    return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical_relaxed", rechunk=False)
