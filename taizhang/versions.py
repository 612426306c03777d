"""The versions of the stack that a run report names, so a result can be traced to what made it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTIONS = ("taizhang", "duckdb", "polars", "prefect", "great-expectations")


def versions() -> dict[str, str]:
    """Each distribution's installed version, or ``not installed``."""
    found = {}
    for dist in DISTRIBUTIONS:
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            found[dist] = "not installed"
    return found
