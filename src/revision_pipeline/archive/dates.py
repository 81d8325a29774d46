"""Parse exam dates written in the many ways Chinese hospital exports write them.

Accepted (time-of-day parts and weekday names are allowed and ignored):

- ISO and its variants: ``2023-03-05``, ``2023/3/5``, ``2023.03.05``,
  ``2023-03-05 14:22:01``, ``2023-03-05T14:22``, ``2023-03-05T14:22:01+08:00``;
- compact: ``20230305``, ``202303051422``, ``20230305142201`` (DICOM DA/DT);
- Chinese: ``2023年3月5日``, ``2023年03月05日 星期日``, ``二〇二三年三月五日``,
  ``2023年3月5号 下午2点``; full-width digits and punctuation (``２０２３－０３－０５``);
- English month names: ``05-Mar-2023``, ``5 March 2023``, ``Mar 5, 2023``;
- day and month before a 4-digit year (``05/03/2023``): read only when unambiguous — one
  of the two numbers is above 12 (``25/03/2023`` is 25 March, ``03/25/2023`` is
  25 March) or both are equal. ``05/03/2023`` could be 5 March or 3 May and gives
  ``None``: no guess;
- 2-digit years (``23-03-05``) give ``None`` (year/day order is ambiguous);
- Excel serial day numbers (int/float, or a 5-digit string such as ``"44990"``,
  1900 date system), ``datetime``/``date``, ``pandas.Timestamp``, ``numpy.datetime64``.

Anything else, and dates outside 1900–2100, give ``None``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import unicodedata

logger = logging.getLogger(__name__)

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_EXCEL_EPOCH = dt.date(1899, 12, 30)

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER_RE = re.compile("[〇○零一二三四五六七八九十]+")
_WEEKDAY_RE = re.compile(
    r"[(（]?\s*(?:星期|礼拜|周)[一二三四五六日天七1-7]\s*[)）]?"
    r"|[(（]?\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b\.?\s*[)）]?,?",
    re.IGNORECASE,
)
# A time of day after the date; only its shape is checked, its value is dropped.
_TIME = (
    r"(?:(?:\s*|T)(?:上午|下午|晚上|早上|中午|凌晨)?\s*\d{1,2}(?:[:时点]\d{1,2}(?:[:分]"
    r"\d{1,2}(?:\.\d+)?秒?)?分?|[时点])\s*(?:[AP]\.?M\.?|Z|[+-]\d{2}:?\d{2})?)?"
)
_YMD_RE = re.compile(rf"(\d{{4}})\s*([-/.])\s*(\d{{1,2}})\s*\2\s*(\d{{1,2}}){_TIME}", re.I)
_CN_RE = re.compile(rf"(\d{{4}})\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*[日号]?{_TIME}", re.I)
_COMPACT_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{4}(?:\d{2}(?:\.\d+)?)?)?" + _TIME, re.I)
_DMY_RE = re.compile(rf"(\d{{1,2}})\s*([-/.])\s*(\d{{1,2}})\s*\2\s*(\d{{4}}){_TIME}", re.I)
_SERIAL_RE = re.compile(r"\d{5}(?:\.\d+)?")
_MONTH_FORMATS = ("%d-%b-%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y")
_MONTH_FORMATS += ("%B %d %Y", "%d-%B-%Y", "%d.%b.%Y")


def _cn_number(match: re.Match[str]) -> str:
    text = match.group(0)
    if "十" not in text:
        return "".join(str(_CN_DIGITS[ch]) for ch in text)
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return text  # not a number from 1 to 99: leave it, the parse will fail
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0))


def _make(year: int, month: int, day: int) -> dt.date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _from_serial(serial: float) -> dt.date | None:
    if not math.isfinite(serial) or serial < 1:
        return None
    try:
        value = _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    except OverflowError:
        return None
    return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None


def _from_number(value: float) -> dt.date | None:
    if not math.isfinite(value):
        return None
    if value == int(value) and 10_000_000 <= value <= 99_999_999:
        text = str(int(value))  # 20230305 → yyyymmdd
        return _make(int(text[:4]), int(text[4:6]), int(text[6:]))
    return _from_serial(value) if value < 100_000 else None


def _from_dmy(first: int, second: int, year: int) -> dt.date | None:
    if first > 12 and second <= 12:
        return _make(year, second, first)
    if second > 12 and first <= 12:
        return _make(year, first, second)
    if first == second:
        return _make(year, first, first)
    return None  # ambiguous (5/3 could be 5 March or 3 May): refuse to guess


def _from_text(text: str) -> dt.date | None:
    text = unicodedata.normalize("NFKC", text).strip()
    text = _WEEKDAY_RE.sub(" ", text)
    text = _CN_NUMBER_RE.sub(_cn_number, text).strip().rstrip(",;，")
    if not text:
        return None
    for regex in (_YMD_RE, _CN_RE, _COMPACT_RE):
        match = regex.fullmatch(text)
        if match:
            groups = [g for g in match.groups() if g and g.isdigit()]
            return _make(int(groups[0]), int(groups[1]), int(groups[2]))
    match = _DMY_RE.fullmatch(text)
    if match:
        return _from_dmy(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    if _SERIAL_RE.fullmatch(text):
        return _from_serial(float(text))
    for fmt in _MONTH_FORMATS:
        try:
            value = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None
    return None


def parse_date(value: object) -> dt.date | None:
    """Read an exam date from a string, number or date-like object.

    Args:
        value: a cell of a report table (see the module docstring for the forms).

    Returns:
        The calendar date, or ``None`` when the value is empty, unparseable, ambiguous
        or outside 1900–2100. Never a guess.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):  # includes pandas.Timestamp; NaT is a datetime too
        try:
            return None if value != value else _make(value.year, value.month, value.day)
        except (TypeError, ValueError):
            return None
    if isinstance(value, dt.date):
        return _make(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _from_number(float(value))
    if isinstance(value, str):
        return _from_text(value)
    if type(value).__name__ in ("datetime64", "Timestamp", "NaTType"):
        import pandas as pd

        stamp = pd.Timestamp(value)
        return None if pd.isna(stamp) else _make(stamp.year, stamp.month, stamp.day)
    if hasattr(value, "item"):  # numpy scalars
        return parse_date(value.item())
    return None
