"""Synthetic department extracts with ground truth (``taizhang generate``).

``generate(out, children, seed, periods, noise)`` writes the eight sources of
each half-year exactly as the departments send them (formats, header variants,
encodings, messy values, garbage rows) into ``out/<period>/`` and the truth
about every row, child, parent and status event into ``out/truth/<period>/``.
It is the fixture for the demo, the tests and the quality benchmark.
"""

from taizhang.generate.extracts import generate

__all__ = ["generate"]
