"""Guards and vetoes: the rules that keep two records apart whatever their comparisons score.

Both are SQL conditions over the two records of a pair aliased ``l`` and ``r``.
A :class:`Guard` forbids the two records one cluster; a :class:`Veto` only
denies the pair a link of its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guard:
    """A cannot-link rule: pairs meeting ``condition`` (SQL over ``l``, ``r``) never end in one cluster.

    ``differs`` names the column when the guard is exactly "both records carry a value there and
    the two differ" (:meth:`values_differ`): blocking can then keep such pairs from forming at all,
    by the value each record carries, without comparing the two.
    """

    name: str
    condition: str
    differs: str | None = None

    @classmethod
    def values_differ(cls, name: str, column: str) -> Guard:
        """The guard holding for two records whose values of ``column`` are both present and differ."""
        return cls(name, f"l.{column} <> r.{column}", differs=column)


@dataclass(frozen=True)
class Veto:
    """Evidence a score cannot stand for: a pair meeting ``condition`` (SQL over ``l``, ``r``) is no link of
    its own, however it scores. Unlike a guard it forbids nothing: the two records may still end in one
    cluster through others (a number each shares with a third)."""

    name: str
    condition: str
