"""Normalise free-text Chinese fundus reports into one canonical written form.

Canonical form (what `normalize` returns, and what the rest of the package expects):

* simplified Chinese (OpenCC ``t2s``);
* digits, Latin letters, brackets and other symbols half-width (Unicode NFKC);
* sentence punctuation full-width Chinese: ``，。；：！？、`` — half-width ``, ; : ! ?``
  are converted, except ``,`` and ``:`` between two ASCII letters or digits (``1,000``,
  ``A:V``, ``10:30``);
  ``.`` becomes ``。`` after a Chinese character, so ``0.6`` and ``1.`` stay;
* a run of sentence punctuation collapses to its strongest mark
  (``？ > ！ > 。 > ； > ： > ， > 、``), line breaks become ``。``;
* no whitespace next to Chinese text, other whitespace runs collapsed to one space;
* common misspellings corrected (``typos`` in the dictionary), abbreviations expanded
  (``OD`` → 右眼, ``C/D`` → 杯盘比, ``DR2期`` → 糖尿病视网膜病变2期, ``R眼`` → 右眼), and
  synonyms of a finding rewritten to the finding's canonical ``zh`` name, except the
  sub-types and signs listed in ``keep_as_written``;
* de-identification placeholders (``[姓名]``, ``[日期]``, any ``[...]`` without spaces),
  e-mail addresses and URLs are kept exactly.

`normalize` is idempotent: normalising canonical text returns it unchanged.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import opencc

from revision_pipeline.text.vocab import Vocabulary, load_vocabulary

logger = logging.getLogger(__name__)

#: A de-identification placeholder: ``[姓名]``, ``[日期]``, ``[ID]`` ...
PLACEHOLDER_RE = re.compile(r"\[[^\[\]\s]{1,24}\]")
#: Kept verbatim by `normalize`: placeholders, e-mail addresses and URLs.
_VERBATIM_RE = re.compile(
    rf"{PLACEHOLDER_RE.pattern}|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+", re.ASCII
)
_SENTINEL = "\ue000"  # private-use character standing in for a placeholder

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\ue000"
_PUNCT_RANK = {"？": 7, "！": 6, "。": 5, "；": 4, "：": 3, "，": 2, "、": 1}
_HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}

_NEWLINES_RE = re.compile(r"[ \t]*[\r\n\u2028\u2029\x0b\x0c\x85]+[ \t]*")
_SPACES_RE = re.compile(r"\s+")
_SPACE_NEAR_CJK_RE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_HALF_PUNCT_RE = re.compile(r"[;!?]|(?<![0-9A-Za-z])[,:]|[,:](?![0-9A-Za-z])")
_PERIOD_RE = re.compile(rf"(?<=[{_CJK})\]])\.(?!\d)")
_PUNCT_RUN_RE = re.compile(r"[，。；：！？、](?:\s*[，。；：！？、])+")
_LEADING_PUNCT_RE = re.compile(r"^[\s，。；：！？、]+")
_REPEATED_EYE_RE = re.compile(r"(右眼|左眼|双眼)(?:\1)+")


# Characters NFKC would change that reports use: full-width ASCII (except the Chinese
# sentence punctuation ，：；！？, which stays), the ideographic space, Roman numerals
# (Ⅱ), circled numbers (①). Normalising only these is ~10x faster than NFKC on all text.
_COMPAT_RE = re.compile(
    "[\uff02-\uff0b\uff0d-\uff19\uff1c-\uff1e\uff20-\uff5e\u3000\u2160-\u217f\u2460-\u24ff]+"
)


def _nfkc_char_run(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group(0))


def _nfkc(text: str) -> str:
    """Unicode NFKC for full-width letters, digits and symbols, Roman and circled numbers,
    keeping the Chinese sentence punctuation ``，；：！？`` full width."""
    return _COMPAT_RE.sub(_nfkc_char_run, text)


def word_alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first (so the longest match wins)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _mapping_sub(mapping: dict[str, str]) -> Callable[[str], str]:
    """A function replacing every key of `mapping` in one left-to-right pass."""
    if not mapping:
        return lambda text: text
    pattern = re.compile(word_alternation(mapping))
    return lambda text: pattern.sub(lambda m: mapping[m.group(0)], text)


def _collapse_punct(match: re.Match[str]) -> str:
    return max((c for c in match.group(0) if c in _PUNCT_RANK), key=_PUNCT_RANK.__getitem__)


def _newline(match: re.Match[str]) -> str:
    """A line break ends a sentence unless punctuation already does."""
    start = match.start()
    prev = match.string[start - 1] if start else ""
    return "" if not prev or prev in _PUNCT_RANK or prev in _HALF_TO_FULL or prev == "." else "。"


class Normalizer:
    """Normalises report text; build once and reuse (compiles ~10 regexes).

    Args:
        vocab: The dictionary; the packaged one when None.
        converter: OpenCC configuration for traditional → simplified.
    """

    def __init__(self, vocab: Vocabulary | None = None, converter: str = "t2s") -> None:
        self.vocab = vocab or load_vocabulary()
        self._opencc = opencc.OpenCC(converter)
        self._fix_typos = _mapping_sub(self.vocab.typos)
        self._abbrev = {k.upper(): v for k, v in self.vocab.abbreviations.items()}
        self._abbrev_re = self._compile_abbreviations(self._abbrev)
        self.term_to_code: dict[str, str] = {}
        self.rewrites: dict[str, str] = {}
        self._build_terms()
        self._rewrite_terms = _mapping_sub(self.rewrites)

    # -- construction ---------------------------------------------------------------------

    @staticmethod
    def _compile_abbreviations(abbrev: dict[str, str]) -> re.Pattern[str] | None:
        """One pattern for all abbreviations, with Latin word boundaries.

        Multi-letter keys must not touch other Latin letters (``NPDR`` does not contain
        ``DR``) but may be followed by digits or a Roman grade (``DR2期``, ``DRII期``);
        single-letter keys (``R``, ``L``) count only before 眼 or a colon, or as a label
        before a space at the start of a line or item (``R 视盘界清``, ``1.L 青光眼``).
        """
        multi = [k for k in abbrev if len(k) > 1]
        single = [k for k in abbrev if len(k) == 1]
        parts = []
        if multi:
            parts.append(
                rf"(?<![A-Za-z0-9_@])(?P<multi>{word_alternation(multi)})(?P<eye1>\s*眼)?"
                r"(?:(?![A-Za-z_@])|(?=[IV]{1,3}期))"
            )
        if single:
            parts.append(
                rf"(?<![A-Za-z0-9])(?P<single>{word_alternation(single)})"
                r"(?:(?P<eye2>\s*眼)|(?=\s*[:：])|(?<=^.)(?=\s)|(?<=[.,;:!?、，。；：(\[\]】].)(?=\s)"
                r"|(?<=[.,;:!?、，。；：(\[\]】]\s.)(?=\s))"
            )
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def _build_terms(self) -> None:
        """Normalise the dictionary's own terms and decide which ones get rewritten."""
        keep = {self.normalize_term(t) for t in self.vocab.keep_as_written}
        protected: dict[str, str] = {}
        for finding in self.vocab.findings.values():
            zh = self.normalize_term(finding.zh)
            self.term_to_code[zh] = finding.code
            protected[zh] = zh
            for raw in finding.terms:
                term = self.normalize_term(raw)
                self.term_to_code.setdefault(term, finding.code)
                if term in keep or finding.code == "normal":
                    protected[term] = term
                elif term != zh:
                    self.rewrites[term] = zh
            for raw in finding.extra_terms:
                term = self.normalize_term(raw)
                self.term_to_code.setdefault(term, finding.code)
                protected[term] = term
        for word in (*self.vocab.signs, *self.vocab.other_findings):
            protected.setdefault(self.normalize_term(word), self.normalize_term(word))
        for term in keep:
            protected.setdefault(term, term)
        # Protected words map to themselves, so a rewrite never fires inside one.
        self.rewrites = {**protected, **self.rewrites}

    # -- the steps ------------------------------------------------------------------------

    def _expand(self, match: re.Match[str]) -> str:
        key = match.group("multi") or match.group("single")
        expansion = self._abbrev[key.upper()]
        groups = match.groupdict()
        eye = groups.get("eye1") or groups.get("eye2")
        if eye and not expansion.endswith("眼"):
            expansion += "眼"
        return expansion

    def normalize_term(self, text: str) -> str:
        """Every step except placeholder protection and synonym rewriting."""
        text = _nfkc(text)
        text = self._opencc.convert(text)
        text = self._fix_typos(text)
        text = _NEWLINES_RE.sub(_newline, text)
        text = _SPACES_RE.sub(" ", text)
        if self._abbrev_re is not None:
            text = self._abbrev_re.sub(self._expand, text)
        text = _HALF_PUNCT_RE.sub(lambda m: _HALF_TO_FULL[m.group(0)], text)
        text = _PERIOD_RE.sub("。", text)
        text = _SPACE_NEAR_CJK_RE.sub("", text)
        text = _REPEATED_EYE_RE.sub(r"\1", text)
        text = _PUNCT_RUN_RE.sub(_collapse_punct, text)
        return _LEADING_PUNCT_RE.sub("", text).strip()

    def __call__(self, text: str) -> str:
        """Normalise one report (see the module docstring for the canonical form)."""
        if not isinstance(text, str):
            raise TypeError(f"normalize expects str, got {type(text).__name__}")
        if not text:
            return ""
        text = _nfkc(text)
        placeholders = _VERBATIM_RE.findall(text)
        if placeholders:
            text = _VERBATIM_RE.sub(_SENTINEL, text.replace(_SENTINEL, ""))
        text = self._rewrite_terms(self.normalize_term(text))
        if placeholders:
            pieces = text.split(_SENTINEL)
            text = "".join(
                p + (placeholders[i] if i < len(placeholders) else "") for i, p in enumerate(pieces)
            )
        return text


_DEFAULT: dict[Path | None, Normalizer] = {}
_LOCK = threading.Lock()


def get_normalizer(vocab_path: Path | None = None) -> Normalizer:
    """The shared `Normalizer` for a dictionary file (built once per process)."""
    normalizer = _DEFAULT.get(vocab_path)
    if normalizer is None:
        with _LOCK:
            normalizer = _DEFAULT.get(vocab_path)
            if normalizer is None:
                normalizer = Normalizer(load_vocabulary(vocab_path))
                _DEFAULT[vocab_path] = normalizer
    return normalizer


def normalize(text: str) -> str:
    """Normalise a Chinese fundus report to canonical form.

    Args:
        text: Raw report text (any width, traditional or simplified, abbreviations).

    Returns:
        The canonical text; placeholders such as ``[姓名]`` are kept unchanged.
    """
    return get_normalizer()(text)
