"""The mainland national ID number (居民身份证号, GB 11643): check character and validity."""

from __future__ import annotations

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The check character ('0'-'9' or 'X') of the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def valid_national_id(s: str) -> bool:
    """An 18-character ID with a real birth date and the right check character.

    Spaces are ignored and a lower-case 'x' is accepted.
    """
    s = s.replace(" ", "").upper()
    if len(s) != 18 or not s[:17].isdigit() or not s.isascii():
        return False
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return id_check_digit(s[:17]) == s[17]
