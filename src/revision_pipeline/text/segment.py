"""Chinese word segmentation with the ophthalmic dictionary as a jieba user dictionary."""

from __future__ import annotations

import logging
import re
import threading

import jieba

from revision_pipeline.text.normalize import PLACEHOLDER_RE, Normalizer, get_normalizer

logger = logging.getLogger(__name__)

#: Kept as one token: de-identification placeholders and decimal numbers (0.3, 1:2).
_WHOLE_RE = re.compile(rf"{PLACEHOLDER_RE.pattern}|\d+(?:[.:]\d+)+")

#: Frequency given to dictionary words: high enough that jieba never splits them.
_USER_FREQ = 200_000


class Segmenter:
    """A private `jieba.Tokenizer` that keeps dictionary terms and placeholders whole.

    The tokenizer (and jieba's ~0.5 s dictionary load) is created on first use.

    Args:
        normalizer: Supplies the dictionary terms; the shared one when None.
        words: Extra words to keep whole.
    """

    def __init__(self, normalizer: Normalizer | None = None, words: tuple[str, ...] = ()) -> None:
        self._normalizer = normalizer
        self._extra = words
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    def user_words(self) -> list[str]:
        """Every term, canonical name, sign and other finding of the dictionary, plus extras."""
        normalizer = self._normalizer or get_normalizer()
        words = set(normalizer.term_to_code) | set(normalizer.rewrites) | set(self._extra)
        vocab = normalizer.vocab
        words |= {normalizer.normalize_term(s) for s in (*vocab.signs, *vocab.other_findings)}
        words |= set(normalizer.vocab.abbreviations.values())
        return sorted(w for w in words if w and " " not in w)

    @property
    def tokenizer(self) -> jieba.Tokenizer:
        """The initialised tokenizer (built once, thread-safe)."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    words = self.user_words()
                    for word in words:
                        tokenizer.add_word(word, freq=_USER_FREQ)
                    logger.debug("jieba tokenizer ready with %d user words", len(words))
                    self._tokenizer = tokenizer
        return self._tokenizer

    def __call__(self, text: str) -> list[str]:
        """Tokens of `text` (no whitespace); placeholders (``[日期]``) and decimals stay whole."""
        tokens: list[str] = []
        position = 0
        for match in _WHOLE_RE.finditer(text):
            tokens.extend(self._cut(text[position : match.start()]))
            tokens.append(match.group(0))
            position = match.end()
        tokens.extend(self._cut(text[position:]))
        return tokens

    def _cut(self, text: str) -> list[str]:
        if not text:
            return []
        return [t for t in self.tokenizer.cut(text, HMM=False) if t.strip()]


_SEGMENTER: Segmenter | None = None


def get_segmenter() -> Segmenter:
    """The shared segmenter for the packaged dictionary."""
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = Segmenter()
    return _SEGMENTER


def segment(text: str) -> list[str]:
    """Segment (normalised) Chinese report text into words.

    Args:
        text: Text, ideally already normalised (segmentation does not normalise).

    Returns:
        Tokens without whitespace; dictionary terms such as 视网膜中央静脉阻塞 and
        placeholders such as ``[日期]`` are single tokens.
    """
    return get_segmenter()(text)


def inside_words(text: str, start: int, end: int, context: int = 12) -> bool:
    """Whether both ends of ``text[start:end]`` fall inside words of the text around it.

    The text is segmented with ``context`` characters on each side. ``张明`` inside
    ``扩张明显`` (扩张 / 明显) is inside words at both ends; ``张明`` in ``患者张明，男``
    is not, and neither is ``王明`` in ``王明天复查`` (王 / 明天: its start is a word
    boundary). Unknown words, as most names are, fall apart into single characters, so a
    span absorbed at *both* ends is read as part of the surrounding words, not a name.
    """
    lo, hi = max(0, start - context), min(len(text), end + context)
    bounds, position = {lo}, lo
    for token in get_segmenter().tokenizer.cut(text[lo:hi], HMM=False):
        position += len(token)
        bounds.add(position)
    return start not in bounds and end not in bounds
