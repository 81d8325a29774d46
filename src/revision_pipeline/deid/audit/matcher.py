"""The audit's matcher: identifiers and PHI patterns compiled once, counted over text
(``str``) and raw bytes (UTF-8 and GBK), with the rules that keep false alarms out
(see :mod:`revision_pipeline.deid.audit` for the limits)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from revision_pipeline.deid.national_id import valid_national_id
from revision_pipeline.text.segment import inside_words

IDENTIFIER = "identifier"
NATIONAL_ID = "national_id"
MOBILE = "mobile"
EMAIL = "email"

_CN_DIGITS = "〇一二三四五六七八九"
_PATTERNS: dict[str, str] = {
    NATIONAL_ID: r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])",
    MOBILE: r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])",
    EMAIL: r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,}",
}


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def date_variants(d: date) -> set[str]:
    """The ways an exact date is commonly written (ISO, slashes, dots, 年月日, compact …)."""
    y, m, dd = d.year, d.month, d.day
    out = {f"{y}{m:02d}{dd:02d}", f"{y}年{m}月{dd}日", f"{y}年{m:02d}月{dd:02d}日"}
    for sep in "-/.":
        out |= {f"{y}{sep}{m:02d}{sep}{dd:02d}", f"{y}{sep}{m}{sep}{dd}"}
        out |= {f"{dd:02d}{sep}{m:02d}{sep}{y}", f"{m:02d}{sep}{dd:02d}{sep}{y}"}
    out.add("".join(_CN_DIGITS[int(c)] for c in str(y)) + f"年{_cn_number(m)}月{_cn_number(dd)}日")
    return out


def _usable(identifiers: Iterable[str]) -> list[str]:
    out = set()
    for raw in identifiers:
        if raw is None:
            continue
        value = str(raw).strip()
        if len(value) < 2 or (value.isdigit() and len(value) < 4):
            continue
        out.add(value)
    return sorted(out, key=len, reverse=True)


def _trie_regex(words: list[str], escape=re.escape) -> str:
    """A regex alternation factored by common prefixes (fast for thousands of words)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        alts = [escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


#: Characters of context decoded around a short hit to segment it with.
_CONTEXT = 12


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _short_cjk_hit(data: str | bytes, start: int, end: int) -> tuple[str, int, int] | None:
    """A two-character Chinese hit (a short name such as 张明) with its context as text:
    ``(text, start, end)`` in that text; ``None`` for any other hit. Raw bytes are read
    as UTF-8, or else GBK (the two encodings identifiers are searched in)."""
    if isinstance(data, str):
        return (data, start, end) if end - start == 2 and _is_cjk(data[start:end]) else None
    for encoding, width in (("utf-8", 3), ("gbk", 2)):
        if end - start != 2 * width:
            continue
        try:
            hit = data[start:end].decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(hit) != 2 or not _is_cjk(hit):
            continue
        span = _CONTEXT * width
        before = data[max(0, start - span) : start].decode(encoding, "ignore")
        after = data[end : end + span].decode(encoding, "ignore")
        return before + hit + after, len(before), len(before) + 2
    return None


class _Matcher:
    """Compiled searches over text (str) and raw bytes (UTF-8 and GBK)."""

    def __init__(self, identifiers: list[str], patterns: bool):
        self.str_rx: dict[str, re.Pattern[str]] = {}
        self.bytes_rx: dict[str, re.Pattern[bytes]] = {}
        self.overlap = 256
        if identifiers:
            self.str_rx[IDENTIFIER] = re.compile(_trie_regex(identifiers), re.IGNORECASE)
            encoded: set[bytes] = set()
            for value in identifiers:
                for enc in ("utf-8", "gbk"):
                    try:
                        encoded.add(value.encode(enc))
                    except UnicodeEncodeError:
                        continue
            ordered = sorted(encoded, key=len, reverse=True)
            self.overlap = max(self.overlap, len(ordered[0]) + 8)
            # Same trie trick over bytes: latin-1 maps each byte to one character.
            trie = _trie_regex([e.decode("latin-1") for e in ordered])
            self.bytes_rx[IDENTIFIER] = re.compile(trie.encode("latin-1"), re.IGNORECASE)
        if patterns:
            for kind, pat in _PATTERNS.items():
                self.str_rx[kind] = re.compile(pat)
                self.bytes_rx[kind] = re.compile(pat.encode())

    @staticmethod
    def _accept(kind: str, data: str | bytes, start: int, end: int) -> bool:
        hit = data[start:end]
        if kind == NATIONAL_ID:
            return valid_national_id(hit if isinstance(hit, str) else hit.decode("ascii"))
        if kind != IDENTIFIER:
            return True
        short = _short_cjk_hit(data, start, end)
        if short is not None:
            text, s, e = short
            return not inside_words(text, s, e)
        glue = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if isinstance(data, bytes):
            glue = glue.encode()
        first, last = hit[:1], hit[-1:]
        before, after = data[start - 1 : start] if start else data[:0], data[end : end + 1]
        return not (
            (first in glue and before and before in glue)
            or (last in glue and after and after in glue)
        )

    def count_str(self, text: str, counts: Counter[str]) -> None:
        for kind, rx in self.str_rx.items():
            counts[kind] += sum(1 for m in rx.finditer(text) if self._accept(kind, text, *m.span()))

    def count_bytes(self, data: bytes, counts: Counter[str], limit: int | None = None) -> None:
        for kind, rx in self.bytes_rx.items():
            counts[kind] += sum(
                1
                for m in rx.finditer(data)
                if (limit is None or m.start() < limit) and self._accept(kind, data, *m.span())
            )
