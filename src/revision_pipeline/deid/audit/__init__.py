"""PHI audit: look for known identifiers and PHI patterns in files past the PHI boundary.

What is searched: every file under the given paths. Parquet files by their string (and
binary) columns, SQLite databases (``mlflow.db`` …) by every text/blob value of every
table *and* as raw bytes (deleted rows linger in free pages), anything else as raw bytes,
for the identifiers encoded in UTF-8 and in GBK.

What is reported: the file, the kind of hit and a count, never the value, so the audit's
own output cannot leak.

Limits (by design, to avoid false alarms): identifiers shorter than 2 characters, and
purely numeric identifiers shorter than 4 digits, are ignored; an identifier that starts
or ends with an ASCII letter or digit only matches where it is not glued to further
letters or digits (``1234`` is not found inside ``912345``); single common words passed
as identifiers (``Li``, ``王``) would still match wherever they occur, so pass full names.
A two-character Chinese identifier (a short name such as 张明) does not count where
both its characters belong to longer words of the text around it (``扩张明显`` is
扩张 / 明显 and holds no name): at archive scale, common two-character names would
otherwise match clinical phrases in other patients' reports and stop every run. Where
either end is a word boundary (``患者张明``, ``王明天复查``) it counts.
Patterns are mainland national IDs with a valid check character and birth date, mobile
numbers (11 digits, ``1[3-9]…``) and e-mail addresses; fixed-line numbers, addresses and
free-text names are not pattern-searched (scrubbed text is covered by the identifiers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from revision_pipeline.deid.audit.matcher import (
    EMAIL,
    IDENTIFIER,
    MOBILE,
    NATIONAL_ID,
    _Matcher,
    _usable,
    date_variants,
)
from revision_pipeline.deid.audit.scanners import (
    SCANNERS,
    image_text,
    is_compressed_image,
    register_scanner,
    scan_bytes,
    scan_file,
)
from revision_pipeline.deid.national_id import valid_national_id

logger = logging.getLogger(__name__)

__all__ = [
    "EMAIL",
    "IDENTIFIER",
    "MOBILE",
    "NATIONAL_ID",
    "SCANNERS",
    "AuditHit",
    "audit_paths",
    "date_variants",
    "image_text",
    "is_compressed_image",
    "register_scanner",
    "valid_national_id",
]


@dataclass(frozen=True)
class AuditHit:
    """``count`` matches of one ``kind`` in ``path``; ``where`` says how it was read."""

    path: Path
    kind: str
    count: int
    where: str = "bytes"

    def __str__(self) -> str:
        return f"{self.path}: {self.count} x {self.kind} ({self.where})"


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            yield p
        else:
            logger.warning("audit: %s does not exist, skipped", p)


def audit_paths(
    paths: Iterable[Path], identifiers: Iterable[str], patterns: bool = True
) -> list[AuditHit]:
    """Search files for PHI; an empty list means nothing was found.

    Args:
        paths: files or directories (searched recursively).
        identifiers: values that must not appear (names, ID/record/exam numbers, and the
            `date_variants` of exact dates). See the module docstring for the limits.
        patterns: also search for national IDs (valid checksum), mobiles and e-mails.

    Returns:
        One hit per file, kind and reading method, with a count and never the value.
    """
    matcher = _Matcher(_usable(identifiers), patterns)
    hits: list[AuditHit] = []
    for path in _files(paths):
        try:
            scans = scan_file(path, matcher)
        except Exception as exc:
            logger.warning("audit: could not read %s (%s); scanning it as bytes", path, exc)
            scans = [("bytes", scan_bytes(path, matcher))]
        for where, counts in scans:
            hits.extend(AuditHit(path, kind, n, where) for kind, n in sorted(counts.items()) if n)
    logger.info("audit: %d hits", len(hits))
    return hits
