"""Linkage configurations: children (the ledger), parents (the decision stage), FEBRL (the benchmark).

``children`` is the callable the pipeline's link stage asks for.
"""

from __future__ import annotations

from matchers.configs.children import children_config as children

__all__ = ["children"]
