"""Which eye a token names: OD (right) or OS (left)."""

from __future__ import annotations

import unicodedata
from typing import Literal

Eye = Literal["OD", "OS"]

#: Tokens every dialect accepts (compared case-insensitively, after NFKC).
STANDARD_EYE_TOKENS: dict[str, Eye] = {
    "OD": "OD",
    "OS": "OS",
    "R": "OD",
    "L": "OS",
    "RE": "OD",
    "LE": "OS",
    "RIGHT": "OD",
    "LEFT": "OS",
    "右": "OD",
    "左": "OS",
    "右眼": "OD",
    "左眼": "OS",
}


def _norm(token: str) -> str:
    return unicodedata.normalize("NFKC", token).strip().upper()


_STANDARD = {_norm(k): v for k, v in STANDARD_EYE_TOKENS.items()}


def parse_eye(token: str | None, extra: dict[str, str] | None = None) -> Eye | None:
    """Read the eye from a file-name or header token.

    Args:
        token: e.g. ``"OD"``, ``"l"``, ``"右"``, ``"RE"``; full-width forms accepted.
        extra: additional ``{token: "OD"|"OS"}`` pairs from the dialect; they take
            precedence over the standard tokens.

    Returns:
        ``"OD"``, ``"OS"``, or ``None`` when the token names no single eye (``OU``,
        ``B``, ``U``, empty, unknown).
    """
    if token is None:
        return None
    key = _norm(str(token))
    if not key:
        return None
    if extra:
        for extra_token, eye in extra.items():
            if _norm(extra_token) == key:
                value = _norm(eye)
                return value if value in ("OD", "OS") else None  # type: ignore[return-value]
    return _STANDARD.get(key)
