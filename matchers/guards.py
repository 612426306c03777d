"""Guards and vetoes: the rules that keep two records apart whatever their comparisons score.

Both are SQL conditions over the two records of a pair aliased ``l`` and ``r``.
A :class:`Guard` forbids the two records one cluster; a :class:`Veto` only
denies the pair a link of its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guard:
    """A cannot-link rule: pairs meeting ``condition`` (SQL over ``l``, ``r``) never end in one cluster."""

    name: str
    condition: str


@dataclass(frozen=True)
class Veto:
    """Evidence a score cannot stand for: a pair meeting ``condition`` (SQL over ``l``, ``r``) is no link of
    its own, however it scores. Unlike a guard it forbids nothing: the two records may still end in one
    cluster through others (a number each shares with a third)."""

    name: str
    condition: str
