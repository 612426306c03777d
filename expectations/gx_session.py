"""One Great Expectations context per process, and running a suite on a pandas batch.

Importing GX takes seconds, so it happens on the first validation, never when
this module is imported. Every source is validated through the same ephemeral
context and the same whole-dataframe batch definition: building a context per
source costs time and announces a temporary folder each time.

A column map expectation filters its batch on its column's non-empty
values, and that filter copies every column of the batch, once per
expectation: on a large frame each batch holds one helper column and the
expectations that read it. Each batch also costs GX a validator, a batch
load and a metric graph of its own, which on a small frame (a county's
extract, an empty source) costs more than the copies: there, helper columns
share a batch while it holds at most :data:`BATCH_CELLS` cells.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import great_expectations as gx

# What a liaison's report reads from GX: success and counts. The failing rows'
# identities are computed in polars (``expectations.failing_rows``), so GX is not
# asked for value or index lists, which it builds row by row in Python.
COUNTS_ONLY: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
}


def rows_result_format(index_columns: list[str]) -> dict[str, Any]:
    """Counts plus every failing row's ``index_columns``, never the values."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": index_columns,
        "exclude_unexpected_values": True,
        "return_unexpected_index_query": False,
        "partial_unexpected_count": 0,
    }


# Cells (rows x columns) a batch of several helper columns may hold; a column
# whose frame is larger than this is a batch of its own.
BATCH_CELLS = 200_000


def column_batches(columns: list[str], rows: int, carried: int) -> list[list[str]]:
    """``columns`` cut, in order, into batches of at most :data:`BATCH_CELLS` cells (one column at least).

    ``carried`` columns go into every batch, so they count in each batch's width.
    """
    batches: list[list[str]] = []
    for column in columns:
        if batches and rows * (carried + len(batches[-1]) + 1) <= BATCH_CELLS:
            batches[-1].append(column)
        else:
            batches.append([column])
    return batches


def expectation_key(expectation: Any) -> str:
    """``helper|check``: the generated check an expectation (or its configuration) stands for."""
    return f"{expectation.column}|{(expectation.meta or {})['check']}"


@cache
def _batch_definition() -> Any:
    """The process's GX context, pandas datasource and whole-dataframe batch definition."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # The context announces its temporary docs folder at INFO: noise in a run's log. The module
    # that says it sets its own logger to INFO when imported, so quiet it by name too.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    # A batch job's log is no place for tqdm bars.
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return (
        ctx.data_sources.add_pandas(name="taizhang_extracts")
        .add_dataframe_asset(name="staged")
        .add_batch_definition_whole_dataframe("whole")
    )


@contextmanager
def _no_batch_fingerprint() -> Iterator[None]:
    """Skip the md5 of every value GX computes as a batch marker for frames under 1 GB.

    The fingerprint is metadata of the batch that nothing here reads, and it
    hashes each value of the frame; the expectations' results do not depend on it.
    """
    from great_expectations.execution_engine import pandas_execution_engine as engine

    if not hasattr(engine, "HASH_THRESHOLD"):
        yield
        return
    threshold = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = threshold


def validate_frame(
    frame: pl.DataFrame,
    suite: gx.ExpectationSuite,
    result_format: dict[str, Any],
    only: set[str] | None = None,
) -> list[Any]:
    """The results of ``suite`` on ``frame``, in batches of the columns the expectations read.

    ``only``: validate just the expectations of these ``column|check`` keys.

    A frame column no expectation reads (a row identity asked for by
    ``result_format``) goes into every batch. Results come grouped by column,
    in the order of each column's first expectation.
    """
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    definition = _batch_definition()
    by_column: dict[str, list[Any]] = {}
    for expectation in suite.expectations:
        if only is not None and expectation_key(expectation) not in only:
            continue
        by_column.setdefault(expectation.column, []).append(expectation)
    carried = [c for c in result_format.get("unexpected_index_column_names", ()) if c not in by_column]
    results: list[Any] = []
    with _no_batch_fingerprint():
        for columns in column_batches(list(by_column), frame.height, len(carried)):
            batch = frame.select(*carried, *columns).to_pandas(use_pyarrow_extension_array=True)
            part = gx.ExpectationSuite(
                name=f"{suite.name}.{columns[0]}",
                expectations=[e for column in columns for e in by_column[column]],
            )
            # A Validator on the batch definition loads the batch once; ``Batch.validate``
            # would load it a second time for a validator of its own.
            validator = Validator(
                batch_definition=definition,
                batch_parameters={"dataframe": batch},
                result_format=result_format,
            )
            results.extend(validator.validate_expectation_suite(part).results)
    return results


def warm_up() -> None:
    """Import GX and build the context, so the first validation does not wait for them."""
    _batch_definition()
