"""Romanised Chinese names (``ZHANG Wei``, ``Li Xiaoming``, ``WANG XIU YING``, ``Ouyang Feng``).

A run of two or three Latin words is a name when every word splits into Mandarin
syllables and the first or last word is a surname's romanisation. The syllable and
surname tables are plain data (``data/pinyin.txt``) derived from ``pypinyin`` with
:func:`derive_tables` (``python -m revision_pipeline.deid.romanised`` rewrites the file;
pypinyin is only needed for that, in the ``deid-build`` extra), so the scrubber itself
needs no extra dependency.
"""

from __future__ import annotations

import logging
import re
import sys
from functools import cache
from pathlib import Path

from revision_pipeline.deid import lexicon as lx

logger = logging.getLogger(__name__)

__all__ = ["derive_tables", "is_romanised_name", "split_syllables", "tables"]

DATA = Path(__file__).parent / "data" / "pinyin.txt"

#: Romanisations of common surnames outside Hanyu Pinyin (Hong Kong, Taiwan, Korea).
OTHER_SURNAMES = [
    "lee",
    "chan",
    "wong",
    "cheung",
    "leung",
    "ng",
    "tsang",
    "chow",
    "lau",
    "yeung",
    "kwok",
    "ho",
    "tse",
    "lam",
    "choi",
    "kim",
    "park",
    "chiu",
    "hui",
    "yip",
    "fung",
    "tam",
    "mak",
    "kwan",
    "siu",
    "poon",
    "szeto",
    "au",
    "yau",
    "tsui",
]

#: Interjection readings that are no syllable of a name.
_NOT_SYLLABLES = {"m", "n", "ng", "hm", "hng", "r", "ê", "o", "yo", "lo", "ei", "eh"}


def derive_tables() -> tuple[list[str], list[str]]:
    """Syllables and surname romanisations from ``pypinyin`` (a build-time dependency)."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    syllables: set[str] = set()
    by_char: dict[str, set[str]] = {}
    for code, readings in PINYIN_DICT.items():
        if not 0x4E00 <= code <= 0x9FFF:
            continue
        for reading in readings.split(","):
            plain = convert(reading, Style.NORMAL, strict=False).replace("ü", "v")
            if plain.isascii() and plain.isalpha() and plain not in _NOT_SYLLABLES:
                syllables.add(plain)
                by_char.setdefault(chr(code), set()).add(plain)
    syllables |= {"lu", "nu", "lue", "nue"}  # ü written as u / ue in passports
    surnames = {r for ch in lx.SURNAMES for r in by_char.get(ch, ())}
    for compound in lx.COMPOUND_SURNAMES:
        surnames.add("".join(lazy_pinyin(compound)).replace("ü", "v"))
    return sorted(syllables), sorted(surnames | set(OTHER_SURNAMES))


@cache
def tables() -> tuple[frozenset[str], frozenset[str]]:
    """``(syllables, surnames)`` read from ``data/pinyin.txt``."""
    lines = DATA.read_text(encoding="utf-8").splitlines()
    syllables = frozenset(lines[1].split())
    surnames = frozenset(lines[3].split())
    return syllables, surnames


@cache
def split_syllables(word: str) -> tuple[str, ...] | None:
    """``word`` (lower case) as a sequence of syllables, or None when it is not one."""
    syllables, _ = tables()
    n = len(word)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(min(n, i + 6), i, -1):
            if word[i:j] in syllables and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = (*best[i], word[i:j])
    return best[n]


_SPLIT = re.compile(r"[ \-']+")


@cache
def is_romanised_name(candidate: str) -> bool:
    """Whether two or three Latin words read as a Chinese name in romanisation."""
    words = [w for w in _SPLIT.split(candidate.strip()) if w]
    if not 2 <= len(words) <= 4:
        return False
    _, surnames = tables()
    lower = [w.lower() for w in words]
    if lower[0] not in surnames and lower[-1] not in surnames:
        return False
    for w in lower:
        if w in surnames:
            continue
        parts = split_syllables(w)
        if parts is None or len(parts) > 3:
            return False
    return True


def main() -> None:
    """Rewrite ``data/pinyin.txt`` from pypinyin."""
    syllables, surnames = derive_tables()
    DATA.write_text(
        "# syllables (derived from pypinyin by revision_pipeline.deid.romanised)\n"
        + " ".join(syllables)
        + "\n# surname romanisations\n"
        + " ".join(surnames)
        + "\n",
        encoding="utf-8",
    )
    logger.info("%s: %d syllables, %d surnames", DATA, len(syllables), len(surnames))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    main()
