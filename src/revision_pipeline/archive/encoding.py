"""Detect the text encoding of an exported report file.

Only the encodings Chinese hospital exports actually use are tried, strictly and in
this order: UTF-8 with BOM, UTF-8, GB18030 (a superset of GBK and GB2312). GB18030
decodes almost any byte string, so a decode that yields NUL or many control characters
(UTF-16 without a BOM, binary files) is refused rather than accepted as mojibake.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

#: Encodings :func:`detect_encoding` can return.
SUPPORTED_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "utf-8", "gb18030")
# C0 controls other than \t \n \v \f \r and \x1a (the DOS end-of-file marker).
_CONTROL_RE = re.compile(r"[\x01-\x08\x0e-\x19\x1b-\x1f\x7f]")
_MAX_CONTROL_FRACTION = 0.001


class EncodingDetectionError(ValueError):
    """No supported encoding decodes the file to plausible text."""


def _plausible(text: str) -> str | None:
    """Why ``text`` is not plausible exported text, or None when it is."""
    if "\x00" in text:
        return "contains NUL characters (UTF-16 without a BOM, or a binary file?)"
    controls = len(_CONTROL_RE.findall(text))
    if text and controls / len(text) > _MAX_CONTROL_FRACTION:
        return f"contains {controls} control characters (a binary file?)"
    return None


def decode_text(data: bytes, encoding: str, source: str | Path | None = None) -> str:
    """Decode strictly with one encoding, refusing implausible text.

    Raises:
        EncodingDetectionError: naming ``source`` and the reason.
    """
    where = f"{source}: " if source is not None else ""
    try:
        text = data.decode(encoding, errors="strict")
    except UnicodeDecodeError as exc:
        raise EncodingDetectionError(f"{where}not valid {encoding}: {exc}") from exc
    problem = _plausible(text)
    if problem:
        raise EncodingDetectionError(f"{where}decoded as {encoding} but {problem}")
    return text.removeprefix("\ufeff")


def detect_encoding(data: bytes, source: str | Path | None = None) -> str:
    """Name the encoding that decodes ``data``: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    Args:
        data: the file's bytes.
        source: the file, for the error message.

    Raises:
        EncodingDetectionError: when none of the supported encodings decodes the data
            to plausible text (UTF-16/32, binary garbage); the message names ``source``.
    """
    where = f"{source}: " if source is not None else ""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise EncodingDetectionError(f"{where}UTF-32 text is not supported; export as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise EncodingDetectionError(f"{where}UTF-16 text is not supported; export as UTF-8")
    candidates = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "gb18030")
    problems = []
    for encoding in candidates:
        try:
            decode_text(data, encoding)
        except EncodingDetectionError as exc:
            problems.append(str(exc))
            continue
        return encoding
    raise EncodingDetectionError(
        f"{where}not UTF-8, UTF-8 with BOM or GB18030/GBK ({'; '.join(problems)})"
    )
