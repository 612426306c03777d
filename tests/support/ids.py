"""Identity numbers for tests, with the GB 11643 check digit written out from the textbook.

This is the one check-digit implementation under ``tests/``. It is independent
of the production parser on purpose (weights ``2^(17-i) mod 11``, remainder to
``10X98765432``), so a test comparing the two can fail.
"""

from __future__ import annotations

from datetime import date

_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_CHECK = "10X98765432"


def check_character(body17: str) -> str:
    """The check character of a 17-digit body."""
    return _CHECK[sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def with_check(body17: str) -> str:
    """An 18-character identity number with a correct check digit."""
    return body17 + check_character(body17)


def bad_check(body17: str) -> str:
    """An 18-character number whose check digit is wrong."""
    good = check_character(body17)
    return body17 + ("0" if good != "0" else "1")


def make_id(county: str, birth: date, seq: int) -> str:
    """A valid number for a person registered in ``county``, born on ``birth``, sequence ``seq``."""
    return with_check(f"{county}{birth:%Y%m%d}{seq:03d}")


def typo(id18: str, pos: int = 10) -> str:
    """The same number with one digit changed (the check digit then fails)."""
    d = str((int(id18[pos]) + 1) % 10)
    return id18[:pos] + d + id18[pos + 1 :]


def is_valid(number: str) -> bool:
    """An 18-character number whose first 17 are digits and whose check digit holds."""
    body = number[:17]
    return len(number) == 18 and body.isdigit() and check_character(body) == number[17]
