"""The ophthalmic vocabulary (`data/findings.yml`) parsed into a typed, read-only object."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from revision_pipeline.findings_codes import FINDING_CODES  # the label set; re-exported

logger = logging.getLogger(__name__)

#: The dictionary shipped with the package.
DEFAULT_VOCAB_PATH = Path(__file__).parent / "data" / "findings.yml"


@dataclass(frozen=True)
class Finding:
    """One canonical finding: its code, canonical Chinese name and raw synonyms."""

    code: str
    zh: str
    en: str
    terms: tuple[str, ...]
    extra_terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """Everything the text package reads from the dictionary file.

    Term lists here are *raw* (as written in the YAML); the normaliser turns them into
    normalised form itself, so the file can be written either way.
    """

    findings: dict[str, Finding]
    abbreviations: dict[str, str]
    signs: tuple[str, ...]
    #: Diagnoses outside the label set: not "normal", but no code (``other_findings``).
    other_findings: tuple[str, ...] = ()
    keep_as_written: frozenset[str] = field(default_factory=frozenset)
    typos: dict[str, str] = field(default_factory=dict)
    source: Path | None = None


def _str_list(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise ValueError(f"{where}: expected a list of non-empty strings, got {raw!r}")
    return tuple(raw)


def _str_map(raw: Any, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k for k, v in raw.items()
    ):
        raise ValueError(f"{where}: expected a mapping of strings to strings, got {raw!r}")
    return dict(raw)


def parse_vocabulary(data: dict[str, Any], source: Path | None = None) -> Vocabulary:
    """Validate and convert the parsed YAML of a findings dictionary.

    Args:
        data: The mapping read from the YAML file.
        source: Where it came from, for error messages.

    Returns:
        The vocabulary.

    Raises:
        ValueError: When a key is missing or has the wrong shape (names file and key).
    """
    where = str(source or "<findings>")
    raw_findings = data.get("findings")
    if not isinstance(raw_findings, dict):
        raise ValueError(f"{where}: top-level key 'findings' must be a mapping")
    missing = [c for c in FINDING_CODES if c not in raw_findings]
    if missing:
        raise ValueError(f"{where}: findings lacks the canonical codes {missing}")
    extra = data.get("extra_terms") or {}
    findings: dict[str, Finding] = {}
    for code, entry in raw_findings.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("zh"), str):
            raise ValueError(f"{where}: findings.{code} needs a string 'zh'")
        findings[code] = Finding(
            code=code,
            zh=entry["zh"],
            en=str(entry.get("en", "")),
            terms=_str_list(entry.get("terms"), f"{where}: findings.{code}.terms"),
            extra_terms=_str_list(extra.get(code), f"{where}: extra_terms.{code}"),
        )
    unknown_extra = set(extra) - set(findings)
    if unknown_extra:
        raise ValueError(f"{where}: extra_terms names unknown codes {sorted(unknown_extra)}")
    return Vocabulary(
        findings=findings,
        abbreviations=_str_map(data.get("abbreviations"), f"{where}: abbreviations"),
        signs=_str_list(data.get("signs"), f"{where}: signs"),
        other_findings=_str_list(data.get("other_findings"), f"{where}: other_findings"),
        keep_as_written=frozenset(_str_list(data.get("keep_as_written"), f"{where}: keep")),
        typos=_str_map(data.get("typos"), f"{where}: typos"),
        source=source,
    )


@lru_cache(maxsize=8)
def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """Read a findings dictionary (cached per path).

    Args:
        path: YAML file; the packaged `data/findings.yml` when None.

    Returns:
        The parsed vocabulary.
    """
    path = Path(path) if path is not None else DEFAULT_VOCAB_PATH
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level")
    vocab = parse_vocabulary(data, source=path)
    logger.debug("Loaded %d findings from %s", len(vocab.findings), path)
    return vocab
