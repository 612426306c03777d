"""Buckets of children: the decide stage takes the province's children a bucket at a time.

A bucket is a run of consecutive child ids, so tables built bucket by bucket and concatenated in
bucket order are in child id order, as the tables of all children at once are.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

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
    bucket = frame.select("record_id").join(buckets, on="record_id", how="left", maintain_order="left")[
        "_bucket"
    ]
    if bucket.null_count() == 0 and bucket.is_sorted():
        # Rows already in bucket order (a table sorted by child): each bucket a slice, nothing copied.
        runs = bucket.rle().struct.unnest()
        starts = runs["len"].cum_sum() - runs["len"]
        return {
            key: frame.slice(start, length)
            for key, start, length in zip(runs["value"], starts, runs["len"], strict=True)
        }
    parts = frame.with_columns(_bucket=bucket).partition_by(
        "_bucket", as_dict=True, include_key=False, maintain_order=True
    )
    return {key[0]: part for key, part in parts.items() if key[0] is not None}


def concat_buckets(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The tables of the buckets as one, in bucket order (their chunks side by side, not copied)."""
    return parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical_relaxed", rechunk=False)


def bucket_of(record_id: pl.Series, buckets: pl.DataFrame | None) -> pl.Series | None:
    """The bucket of each row of a table, by its ``record_id`` (None when there is one bucket)."""
    if buckets is None or (buckets["_bucket"].max() or 0) == 0:
        return None
    return record_id.to_frame("record_id").join(buckets, on="record_id", how="left", maintain_order="left")[
        "_bucket"
    ]


Piece = pl.DataFrame | bytes


def split_batches(batches: Iterable[pl.DataFrame], bucket: pl.Series | None) -> dict[int, list[Piece]]:
    """The rows of a table read batch by batch (in order; ``bucket`` gives each row's bucket, see
    :func:`bucket_of`) as pieces per bucket, in the table's order: the table is never held whole
    beside its pieces. Rows of no bucket are left out; one bucket: every row.

    With several buckets a piece waits for its bucket as compressed parquet in memory (a fraction
    of the frame's size: the buckets not decided yet hold the province's rows); it is decoded when
    its bucket is taken.
    """
    parts: dict[int, list[Piece]] = {}
    offset = 0
    for batch in batches:
        if bucket is None:
            parts.setdefault(0, []).append(batch)
            continue
        keyed = batch.with_columns(_bucket=bucket.slice(offset, batch.height))
        offset += batch.height
        for (key,), part in keyed.partition_by(
            "_bucket", as_dict=True, include_key=False, maintain_order=True
        ).items():
            if key is not None:
                packed = io.BytesIO()
                part.write_parquet(packed, compression="lz4", statistics=False)
                parts.setdefault(key, []).append(packed.getvalue())
    return parts


def take_bucket(parts: dict[int, list[Piece]], key: int, empty: pl.DataFrame) -> pl.DataFrame:
    """One bucket's rows as one frame (``empty`` when it has none), its pieces let go."""
    pieces = parts.pop(key, None)
    if not pieces:
        return empty
    frames = [pl.read_parquet(io.BytesIO(p)) if isinstance(p, bytes) else p for p in pieces]
    del pieces
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical", rechunk=True)


def sorted_rows_of(frame: pl.DataFrame, key: str, keys: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` (sorted by ``key``) whose key lies between the least and the greatest
    of ``keys``: a bucket's rows of a table of all children (a bucket is a run of consecutive
    child ids), sliced, not joined. Rows of other keys inside that range are kept: join on the
    keys to drop them."""
    if keys.drop_nulls().is_empty():
        return frame.clear()
    column = frame.get_column(key)
    start = column.search_sorted(keys.min(), side="left")
    end = column.search_sorted(keys.max(), side="right")
    return frame.slice(start, end - start)
