"""Linkage configurations: children (the ledger), parents (the decision stage), FEBRL (the benchmark).

``children`` is ``children_config`` (:mod:`matchers.configs.children`) under the short name the
tests and benchmarks import; the link stage imports ``children_config`` from that package itself.
"""

from __future__ import annotations

from matchers.configs.children import children_config as children

__all__ = ["children"]
