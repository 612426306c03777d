"""The child configuration: linking the department records of migrant children.

What it encodes, and why:

* Identity numbers are the strongest evidence, but arrive with typos (one
  substitution, one adjacent transposition: the GB 11643 check digit catches
  both, so they show up as ``bad_check``), are missing for infants, or are
  lossy. The pupil number ``G`` + identity number fills the gap for pupils.
* Names arrive as homophones, look-alikes, one-character typos, placeholders
  for newborns (之子, 小宝), and children get renamed; rare names weigh more.
* Birth dates arrive day/month swapped, one day off or with one wrong digit.
* Guardians' identity numbers and phones tie a child's records across
  departments, but also tie siblings: twins (same parents, same birth date,
  different given names) must never merge, and two different *valid*
  identity numbers are two children whatever else agrees.

The configuration is cut as the engine is: ``features`` (the columns read and the columns derived
from them), ``blocking`` (which pairs are compared), ``comparisons`` (how), ``guards`` (which
pairs may never be one child, and which are no link of their own) and ``settings`` (thresholds,
training sessions, id anchors and the rest, assembled by :func:`children_config`).
"""

from __future__ import annotations

from matchers.configs.children.blocking import BLOCKING_RULES
from matchers.configs.children.comparisons import COMPARISONS
from matchers.configs.children.features import COLUMNS, DERIVED
from matchers.configs.children.guards import GUARDS, VETOES
from matchers.configs.children.settings import ANCHORS, children_config

__all__ = [
    "ANCHORS",
    "BLOCKING_RULES",
    "COLUMNS",
    "COMPARISONS",
    "DERIVED",
    "GUARDS",
    "VETOES",
    "children_config",
]
