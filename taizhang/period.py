"""Half-year periods (``2026H1``, ``2026H2``) and their as-of dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from taizhang.errors import bad_period

_PERIOD = re.compile(r"^(\d{4})H([12])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    half: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip().upper())
        if not m:
            raise ValueError(f"period {text!r} is not of the form 2026H1 or 2026H2")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, value: Period | str) -> Period:
        """``value`` as a period: a :class:`Period` as it is, text parsed once (the command line, a flow
        parameter), or a :class:`~taizhang.errors.PipelineError` that says what a period looks like."""
        if isinstance(value, Period):
            return value
        try:
            return cls.parse(value)
        except ValueError:
            raise bad_period(value) from None

    @property
    def as_of(self) -> date:
        """The date ages, residence durations and status events are judged at."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def start(self) -> date:
        return date(self.year, 1, 1) if self.half == 1 else date(self.year, 7, 1)

    def previous(self) -> Period:
        return Period(self.year, 1) if self.half == 2 else Period(self.year - 1, 2)

    def next(self) -> Period:
        return Period(self.year, 2) if self.half == 1 else Period(self.year + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}H{self.half}"


def last_ended(today: date) -> Period:
    """The latest half-year that ended before ``today``: H1 from July on, else last year's H2."""
    return Period(today.year, 1) if today.month >= 7 else Period(today.year - 1, 2)


def latest_ended(count: int, today: date) -> list[Period]:
    """The ``count`` latest half-years that ended before ``today``, oldest first.

    A half-year that has not ended yet has no complete extracts, and its dates
    would lie after the day they are checked on.
    """
    last = last_ended(today)
    periods = [last]
    for _ in range(count - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]
