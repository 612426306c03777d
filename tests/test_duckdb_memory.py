"""The link stage's DuckDB memory limit: a floor for small runs, more for the province, never
more than a share of the machine, and an operator's setting above all."""

from __future__ import annotations

import pytest

from taizhang.duckdb_memory import link_memory_limit, parse_size
from taizhang.stages import DUCKDB_MEMORY_LIMIT_ENV, duckdb_for_stage

GB = 10**9


def test_a_county_or_a_city_gets_the_configured_floor() -> None:
    assert link_memory_limit(852_174, "2GB", machine=24 * GB) == "2000MB"
    assert link_memory_limit(2_000, "2GB", machine=24 * GB) == "2000MB"


def test_the_province_gets_memory_in_proportion_to_its_records() -> None:
    # 2.8 million records (1,000,000 children): their tables held in memory, not read back from disk.
    assert link_memory_limit(2_846_404, "2GB", machine=25 * GB) == "4269MB"
    # 7.1 million records (the province): 1,500 bytes each, under the machine's share.
    assert link_memory_limit(7_118_428, "2GB", machine=25 * GB) == "10677MB"


def test_a_small_machine_keeps_most_of_its_memory_for_the_rest() -> None:
    # The province on 16 GB or 12 GB: DuckDB takes under half of it and spills the rest.
    assert link_memory_limit(7_118_428, "2GB", machine=16 * GB) == "7200MB"
    assert link_memory_limit(7_118_428, "2GB", machine=12 * GB) == "5400MB"
    # Never below the floor, even where the machine's share is less.
    assert link_memory_limit(7_118_428, "2GB", machine=4 * GB) == "2000MB"


def test_sizes_are_read_as_duckdb_writes_them() -> None:
    assert parse_size("2GB") == 2 * GB
    assert parse_size("1.5 GiB") == 3 * 2**29
    assert parse_size("500mb") == 500 * 10**6
    with pytest.raises(ValueError, match="2GB or 1500MB"):
        parse_size("a lot")


def test_the_operators_setting_overrides_the_computed_limit(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(DUCKDB_MEMORY_LIMIT_ENV, "1GB")
    with duckdb_for_stage(tmp_path, link_memory_limit(7_118_428, "2GB", machine=24 * GB), 1) as con:
        limit = con.sql("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit in {"953.6 MiB", "1000.0 MB", "1.0 GB"}, limit
