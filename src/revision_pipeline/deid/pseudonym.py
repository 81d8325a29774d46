"""Keyed pseudonyms for patients and exams, and the secret they are keyed with.

HMAC-SHA256 over ``f"{kind}:{value}"``: without the secret a pseudonym cannot be
recomputed from a guessed name or ID number; with it, the same value always maps to the
same pseudonym (one patient seen at two institutions, same national ID → one pseudonym).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

#: Prefix of the pseudonym per kind; other kinds get the first letter, upper-cased.
PREFIXES: dict[str, str] = {"patient": "P", "exam": "E", "institution": "I", "image": "M"}
DIGEST_CHARS = 16
_SECRET_HEX = 64


def pseudonymize(secret: bytes, value: str, kind: str) -> str:
    """Pseudonym of ``value``: a prefix plus 16 hex chars of HMAC-SHA256(secret, kind:value).

    Args:
        secret: the key (see `load_or_create_secret`); at least 16 bytes.
        value: what identifies the entity (the caller chooses: national ID, or
            institution + patient_id when there is none).
        kind: ``patient``, ``exam`` … (part of the MAC input and picks the prefix).

    Raises:
        ValueError: if the secret is too short or the value is empty.
    """
    if len(secret) < 16:
        raise ValueError(f"pseudonym secret must be at least 16 bytes, got {len(secret)}")
    if not value:
        raise ValueError(f"cannot pseudonymize an empty {kind} value")
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    prefix = PREFIXES.get(kind, kind[:1].upper())
    return prefix + digest[:DIGEST_CHARS]


def load_or_create_secret(path: Path) -> bytes:
    """Read ``deid.secret`` (64 hex chars) from a YAML credentials file, creating it if missing.

    A new secret is ``secrets.token_hex(32)``; other keys already in the file are kept,
    and the file is written with mode 0600.

    Raises:
        ValueError: if the file is not a YAML mapping or holds a malformed secret.
    """
    path = Path(path)
    data: dict = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if loaded is not None and not isinstance(loaded, dict):
            raise ValueError(f"{path}: expected a YAML mapping at the top level")
        data = loaded or {}
        section = data.get("deid")
        if isinstance(section, dict) and section.get("secret"):
            text = str(section["secret"]).strip()
            if len(text) != _SECRET_HEX or any(c not in "0123456789abcdefABCDEF" for c in text):
                raise ValueError(f"{path}: deid.secret must be {_SECRET_HEX} hex characters")
            return bytes.fromhex(text)
        if section is not None and not isinstance(section, dict):
            raise ValueError(f"{path}: key 'deid' must be a mapping")
    data.setdefault("deid", {})
    data["deid"] = {**(data["deid"] or {}), "secret": secrets.token_hex(_SECRET_HEX // 2)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, allow_unicode=True, sort_keys=False)
    os.chmod(path, 0o600)
    logger.info("created a new de-identification secret in %s", path)
    return bytes.fromhex(data["deid"]["secret"])
