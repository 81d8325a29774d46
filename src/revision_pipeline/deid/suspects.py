"""Second line of defence: name-shaped text left in reports after scrubbing.

The PHI audit searches for identifiers it already knows; a name that neither the
archive's columns nor the scrubber knew passes it. This detector reads scrubbed reports
and counts what still looks like a person's name, by a different method than the
scrubber's rules: jieba's statistical part-of-speech tagger (``jieba.posseg``, its
person-name tag ``nr``; model shipped inside the package), run only on short windows
around surname-led candidates that are not clinical words. It returns counts, never the
text, so its output can cross the PHI boundary.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from revision_pipeline.deid import lexicon as lx
from revision_pipeline.deid.patterns import cjk_except

logger = logging.getLogger(__name__)

__all__ = ["count_suspected", "suspected_names"]

_WINDOW = 4
#: A tagged name that jieba's dictionary counts this often is an ordinary word (谢谢, 麻醉).
_COMMON = 20
_PERSON_TAGS = frozenset({"nr", "nrfg", "nrt"})


@cache
def _candidate_re() -> re.Pattern[str]:
    given = cjk_except(lx.NAME_STOP_HARD + lx.NAME_STOP_SOFT + lx.NAME_STOP_VERBS)
    compound = "|".join(sorted(lx.COMPOUND_SURNAMES, key=len, reverse=True))
    return re.compile(rf"(?:{compound}|[{lx.SURNAMES}]){given}{given}?")


@cache
def _not_names() -> frozenset[str]:
    """Clinical words of the project's dictionary and the scrubber's look-alike list."""
    from revision_pipeline.text.segment import get_segmenter

    words = set(lx.CLINICAL_LOOKALIKES + lx.NAME_CUES + lx.RELATIONS + lx.PAREN_ROLES)
    words.update(get_segmenter().user_words())
    return frozenset(words)


@cache
def _tagger():
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    return pseg.dt


def _inside_word(text: str, start: int, end: int, words: frozenset[str]) -> bool:
    for lo in range(max(0, start - 6), start + 1):
        for hi in range(end, min(len(text), end + 6) + 1):
            if hi - lo > end - start and text[lo:hi] in words:
                return True
    return text[start:end] in words


def suspected_names(text: str, known: Iterable[str] = ()) -> int:
    """How many name-shaped spans ``text`` (already scrubbed) still holds.

    A span counts when it starts with a surname, is tagged as a person's name by
    jieba's tagger in its window, is no clinical word, and is none of ``known`` (those
    the PHI audit finds by value).
    """
    if not text:
        return 0
    tagger = _tagger()
    not_names = _not_names()
    known_set = known if isinstance(known, frozenset) else frozenset(str(k) for k in known)
    freq, tags = tagger.tokenizer.FREQ, tagger.word_tag_tab
    count, last = 0, -1
    for m in _candidate_re().finditer(text):
        word = m.group(0)
        if m.start() < last or _inside_word(text, m.start(), m.end(), not_names):
            continue
        if known_set and any(text[m.start() : m.start() + k] in known_set for k in (2, 3, 4)):
            continue  # a known identifier: the PHI audit finds it by value
        if freq.get(word) and tags.get(word, "nr") not in _PERSON_TAGS:
            continue  # a dictionary word that is no name (黄斑, 周边, 高度)
        lo, hi = max(0, m.start() - _WINDOW), min(len(text), m.end() + _WINDOW)
        pos = lo
        for token in tagger.cut(text[lo:hi]):
            end = pos + len(token.word)
            if (
                token.flag in _PERSON_TAGS
                and len(token.word) >= 2
                and pos == m.start()
                and freq.get(token.word, 0) < _COMMON
                and not _inside_word(text, pos, end, not_names)
            ):
                count += 1
                last = end
                break
            pos = end
    return count


def count_suspected(
    institutions: Iterable[str], reports: Iterable[str], known: Iterable[str] = ()
) -> dict[str, tuple[int, int, int]]:
    """Per institution: ``(reports, reports with a suspected name, suspected names)``.

    ``known`` identifiers are not counted (the PHI audit finds those by value).
    """
    known_set = frozenset(k for k in map(str, known) if len(k) >= 2 and not k.isascii())
    totals: dict[str, Counter[str]] = {}
    for inst, text in zip(institutions, reports, strict=True):
        n = suspected_names(text or "", known_set)
        row = totals.setdefault(str(inst), Counter())
        row["reports"] += 1
        row["flagged"] += n > 0
        row["names"] += n
    return {k: (v["reports"], v["flagged"], v["names"]) for k, v in sorted(totals.items())}
