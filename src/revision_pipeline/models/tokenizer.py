"""Chinese WordPiece tokenizer trained on jieba-segmented reports.

Reports are segmented by :mod:`revision_pipeline.text` (jieba plus the ophthalmic
dictionary ``text/data/findings.yml``: finding names, synonyms, lesion signs), words are
joined by spaces, and a ``tokenizers`` WordPiece model splits only on whitespace, so
multi-character clinical terms (视网膜中央静脉阻塞, 黄斑水肿) stay single tokens. The
result is wrapped in a :class:`PreTrainedTokenizerFast` (no BERT Chinese-character
splitting, which would undo the segmentation on reload). The jieba word list travels
inside the tokenizer's ``init_kwargs`` (``tokenizer_config.json``), so
:func:`encode_batch` keeps the training words whole even if the dictionary changes
later. De-identification placeholders such as ``[日期]`` are added tokens.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from tokenizers import trainers as tk_trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from revision_pipeline.deid import PLACEHOLDERS
from revision_pipeline.text import Segmenter
from revision_pipeline.text import segment as text_segment
from revision_pipeline.text.normalize import PLACEHOLDER_RE
from revision_pipeline.text.segment import get_segmenter

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
#: De-identification placeholders (``[日期]``, ``[姓名]`` …) added as whole tokens.
DEFAULT_PLACEHOLDERS: tuple[str, ...] = tuple(PLACEHOLDERS.values())
SEGMENTATION_KEY = "pre_segmentation"
USER_WORDS_KEY = "jieba_user_words"
#: ``tokenizer_config.json`` key: the token length chosen from the training reports
#: (see :func:`length_covering`); a model config with ``text.max_len: null`` takes it.
REPORT_LEN_KEY = "report_max_len"


def ophthalmic_words() -> tuple[str, ...]:
    """The jieba user words of :mod:`revision_pipeline.text` (terms, names, signs of
    ``text/data/findings.yml``)."""
    return tuple(get_segmenter().user_words())


@functools.lru_cache(maxsize=8)
def _segmenter_for(words: tuple[str, ...]) -> Segmenter:
    """A :class:`~revision_pipeline.text.Segmenter` with ``words`` added (cached)."""
    return Segmenter(words=words)


def segment(text: str, user_words: Iterable[str] | None = None) -> list[str]:
    """Split ``text`` into jieba words with :mod:`revision_pipeline.text`'s segmenter.

    Dictionary terms and placeholders like ``[日期]`` stay whole.

    Args:
        text: a (normalised) report.
        user_words: extra words to keep whole, beyond the ophthalmic dictionary.
    """
    if user_words is None:
        return text_segment(text)
    return _segmenter_for(tuple(sorted(set(user_words))))(text)


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int,
    user_words: Iterable[str] = (),
    placeholders: Iterable[str] = DEFAULT_PLACEHOLDERS,
    model_max_length: int = 512,
    patients: Iterable[str] | None = None,
    min_patients: int = 1,
) -> PreTrainedTokenizerFast:
    """Train a WordPiece tokenizer on jieba-segmented ``texts``.

    With ``patients`` (one pseudonym per text) and ``min_patients`` k > 1, the vocabulary
    learns no rare strings: a word (or character) of the reports is trained on only when
    it occurs in the reports of at least k distinct patients, so an identifier that
    escaped de-identification cannot become a vocabulary entry. Every entry is then a
    piece of such a word or of a dictionary word (see :func:`rare_strings_removed`).

    Args:
        texts: training reports (iterated once).
        vocab_size: target vocabulary size (special and added tokens not included).
        user_words: extra jieba words beyond the ophthalmic dictionary; every dictionary
            word is also fed once to the trainer so it can become a single token.
        placeholders: de-identification placeholders added as whole tokens; bracketed
            placeholders found in ``texts`` are added too.
        model_max_length: stored as the tokenizer's maximum length.
        patients: the patient of each text (same order as ``texts``).
        min_patients: distinct patients a word needs to be trained on (1: no filter).

    Returns:
        a tokenizer with ``[PAD]`` = 0, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]`` and a
        BERT-style ``[CLS] … [SEP]`` post-processor.
    """
    segmenter = _segmenter_for(tuple(sorted({w.strip() for w in user_words if w.strip()})))
    words = tuple(segmenter.user_words())
    found: set[str] = set(placeholders)
    segmented: Iterable[list[str]] = (segmenter(text) for text in texts)
    if patients is not None and min_patients > 1:
        segmented = rare_strings_removed(list(segmented), list(patients), min_patients)

    corpus: list[str] = []
    for tokens in segmented:
        found.update(t for t in tokens if PLACEHOLDER_RE.fullmatch(t))
        corpus.append(" ".join(tokens))
    corpus.extend(words)
    tok = _train_wordpiece(corpus, vocab_size)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        **{SEGMENTATION_KEY: "jieba", USER_WORDS_KEY: list(words)},
    )
    tokenizer.add_tokens(sorted(found))
    logger.info(
        "trained WordPiece tokenizer: %d tokens (%d placeholders)", len(tokenizer), len(found)
    )
    return tokenizer


def _wordpiece(vocab: dict[str, int] | None = None) -> Tokenizer:
    tok = Tokenizer(
        models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##")
        if vocab is not None
        else models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##")
    )
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False
    )
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return tok


def _train_wordpiece(corpus: list[str], vocab_size: int) -> Tokenizer:
    """WordPiece trained on ``corpus``, the same vocabulary and ids in every process.

    ``tokenizers``' trainer numbers the continuing-subword pieces (``##视``) in the order
    of a randomly seeded hash map, and breaks ties between equally frequent merges by
    those numbers, so two processes trained on the same reports can disagree on ids and
    even on entries (huggingface/tokenizers#1794). A resumed pretraining that retrained
    its tokenizer would then read its checkpoint's embeddings with other ids. Declaring
    every such piece up front, sorted, as a special token fixes their numbers; the
    vocabulary is then rebuilt into a plain WordPiece model with only the real special
    tokens.
    """
    tok = _wordpiece()
    pieces: set[str] = set()
    for line in corpus:
        normalized = tok.normalizer.normalize_str(line)
        for word, _ in tok.pre_tokenizer.pre_tokenize_str(normalized):
            pieces.update(f"##{c}" for c in word[1:])
    trainer = tk_trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        special_tokens=[*SPECIAL_TOKENS, *sorted(pieces - set(SPECIAL_TOKENS))],
        continuing_subword_prefix="##",
        min_frequency=1,
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    vocab = tok.get_vocab(with_added_tokens=False)
    plain = _wordpiece(dict(sorted(vocab.items(), key=lambda kv: kv[1])))
    plain.add_special_tokens(list(SPECIAL_TOKENS))
    return plain


def rare_strings_removed(
    segmented: list[list[str]], patients: list[str], min_patients: int
) -> list[list[str]]:
    """Segmented texts without the strings of fewer than ``min_patients`` patients.

    A word seen in the reports of at least k distinct patients stays; any other word is
    split into its characters, and characters seen in fewer than k patients' reports are
    dropped. WordPiece entries are pieces of the words it trains on, so none can hold a
    string that fewer than k patients' reports contain.
    """
    if len(segmented) != len(patients):
        raise ValueError(f"{len(segmented)} texts but {len(patients)} patients")
    seen: dict[str, set[str]] = {}
    for tokens, patient in zip(segmented, patients, strict=True):
        for item in {*tokens, *(c for t in tokens for c in t)}:
            holders = seen.setdefault(item, set())
            if len(holders) < min_patients:
                holders.add(patient)

    def common(item: str) -> bool:
        return len(seen.get(item, ())) >= min_patients

    out = []
    for tokens in segmented:
        kept: list[str] = []
        for t in tokens:
            kept.extend([t] if common(t) else [c for c in t if common(c)])
        out.append(kept)
    dropped = sum(1 for item in seen if not common(item))
    logger.info("tokenizer: %d strings seen in < %d patients left out", dropped, min_patients)
    return out


def load_tokenizer(path_or_dir: str | Path) -> PreTrainedTokenizerBase:
    """Load a tokenizer from a local directory; never contacts a hub.

    Accepts a directory written by ``tokenizer.save_pretrained`` (ours keeps its jieba
    settings in ``tokenizer_config.json``), a local pretrained model directory (e.g.
    RoBERTa-wwm-ext's ``vocab.txt``), or a file inside such a directory (its directory
    is loaded, so the jieba settings are not lost).

    Raises:
        FileNotFoundError: the path does not exist.
    """
    path = Path(path_or_dir)
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        raise FileNotFoundError(f"tokenizer directory {path} does not exist")
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def uses_jieba(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether ``tokenizer`` expects jieba-segmented, space-joined input."""
    return tokenizer.init_kwargs.get(SEGMENTATION_KEY) == "jieba"


def encode_batch(
    tokenizer: PreTrainedTokenizerBase,
    texts: list[str],
    max_len: int,
    pad_to_max: bool = True,
) -> dict[str, torch.Tensor]:
    """Tokenise ``texts`` into ``input_ids``/``attention_mask`` tensors ``[B, L]``.

    Tokenizers from :func:`train_tokenizer` get the same jieba pre-segmentation as in
    training; pretrained tokenizers (e.g. RoBERTa-wwm-ext) get the raw text.

    Args:
        tokenizer: from :func:`train_tokenizer` or :func:`load_tokenizer`.
        texts: reports.
        max_len: truncation length (including ``[CLS]``/``[SEP]``).
        pad_to_max: pad to ``max_len`` (static shapes) instead of the longest text.
    """
    if uses_jieba(tokenizer):
        words = tuple(sorted(set(tokenizer.init_kwargs.get(USER_WORDS_KEY) or ())))
        segmenter = _segmenter_for(words)
        texts = [" ".join(segmenter(text)) for text in texts]
    enc = tokenizer(
        list(texts),
        max_length=max_len,
        truncation=True,
        padding="max_length" if pad_to_max else "longest",
        return_tensors="pt",
    )
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}


def token_lengths(tokenizer: PreTrainedTokenizerBase, texts: list[str]) -> np.ndarray:
    """Token count of each text, ``[CLS]``/``[SEP]`` included, untruncated."""
    if not texts:
        return np.zeros(0, dtype=np.int64)
    enc = encode_batch(tokenizer, texts, max_len=1 << 20, pad_to_max=False)
    return enc["attention_mask"].sum(1).numpy()


def length_covering(
    tokenizer: PreTrainedTokenizerBase,
    texts: Iterable[str],
    coverage: float = 0.95,
    multiple: int = 8,
    sample: int = 20_000,
    seed: int = 0,
) -> int:
    """The shortest token length that keeps ``coverage`` of ``texts`` whole.

    Rounded up to a multiple of ``multiple`` (tensor-core friendly static shapes). At
    most ``sample`` texts, drawn at random with ``seed``, are tokenised.

    Args:
        tokenizer: the tokenizer the model will use.
        texts: training reports.
        coverage: fraction of texts that must fit untruncated, in (0, 1].
        multiple: round the length up to this.
        sample: tokenise at most this many texts.
        seed: seed of the sample.

    Raises:
        ValueError: no texts, or ``coverage`` outside (0, 1].
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    texts = [t for t in texts if t]
    if not texts:
        raise ValueError("no texts to choose a token length from")
    if len(texts) > sample:
        pick = np.random.default_rng(seed).choice(len(texts), size=sample, replace=False)
        texts = [texts[i] for i in sorted(pick)]
    lengths = np.sort(token_lengths(tokenizer, texts))
    needed = lengths[max(0, math.ceil(coverage * len(lengths)) - 1)]
    chosen = int(math.ceil(needed / multiple) * multiple)
    logger.info(
        "token length %d keeps %.1f%% of %d reports whole (median %d, longest %d tokens)",
        chosen,
        100.0 * float(np.mean(lengths <= chosen)),
        len(lengths),
        int(np.median(lengths)),
        int(lengths[-1]),
    )
    return chosen
