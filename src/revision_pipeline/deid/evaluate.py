"""Measure the text scrubber on an annotated report set (span recall, clinical text kept).

The set is JSON Lines, one report per line::

    {"id": ..., "style": ..., "text": ..., "phi": [{"text": ..., "category": ...}, ...],
     "clinical": ["phrase that must survive", ...]}

A PHI entry counts as removed when none of its occurrences survives in the scrubbed
text and, for a person's name of two or more characters, no piece of two or more of its
characters is left unscrubbed where the name stood (``阿依古丽`` left of
``阿依古丽·买买提``). A clinical phrase counts as kept when it is still a substring of
the scrubbed text. Results hold the missed values only on request, so aggregate figures
of a sealed set can be printed without showing its content.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from revision_pipeline.deid.text import PhiSpan, find_phi

__all__ = ["Evaluation", "Report", "evaluate", "load_set", "name_removed", "throughput"]

PERSON_NAME = "person_name"


@dataclass(frozen=True)
class Report:
    """One annotated report."""

    id: str
    style: str
    text: str
    phi: tuple[tuple[str, str], ...]  # (value, category)
    clinical: tuple[str, ...]


@dataclass
class Evaluation:
    """Counts of one run; ``misses``/``damaged`` hold (id, category, value) when kept."""

    spans: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    clinical: int = 0
    clinical_kept: int = 0
    reports: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    damaged: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Share of PHI entries removed, all categories together."""
        total = sum(self.spans.values())
        return sum(self.removed.values()) / total if total else 1.0

    def category_recall(self, category: str) -> float:
        """Share of the entries of one category removed."""
        n = self.spans[category]
        return self.removed[category] / n if n else 1.0

    @property
    def kept(self) -> float:
        """Share of clinical phrases still present."""
        return self.clinical_kept / self.clinical if self.clinical else 1.0

    def figures(self) -> dict[str, object]:
        """Aggregate figures only (no report text)."""
        return {
            "reports": self.reports,
            "phi_spans": sum(self.spans.values()),
            "phi_recall": round(self.recall, 4),
            "person_name_recall": round(self.category_recall(PERSON_NAME), 4),
            "per_category": {
                c: {"spans": n, "recall": round(self.category_recall(c), 4)}
                for c, n in sorted(self.spans.items())
            },
            "clinical_phrases": self.clinical,
            "clinical_kept": round(self.kept, 4),
        }


def load_set(path: Path) -> list[Report]:
    """Read an annotated set; a malformed line raises naming the file and line."""
    reports = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text = row["text"]
            phi = tuple((str(p["text"]), str(p["category"])) for p in row.get("phi", ()))
            clinical = tuple(str(c) for c in row.get("clinical", ()))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{lineno}: expected a JSON object with 'text', 'phi' "
                f"([{{'text', 'category'}}]) and 'clinical' ({exc})"
            ) from exc
        reports.append(
            Report(str(row.get("id", lineno)), str(row.get("style", "")), text, phi, clinical)
        )
    return reports


def _occurrences(text: str, value: str) -> list[int]:
    out, start = [], text.find(value)
    while start >= 0:
        out.append(start)
        start = text.find(value, start + 1)
    return out


def name_removed(text: str, value: str, spans: Iterable[PhiSpan]) -> bool:
    """Whether no 2+-character piece of ``value`` is left unscrubbed at any occurrence."""
    covered = set()
    for sp in spans:
        covered.update(range(sp.start, sp.end))
    for start in _occurrences(text, value):
        run = 0
        for i in range(start, start + len(value)):
            run = 0 if i in covered or text[i] in " ·•・‧.-" else run + 1
            if run >= 2:
                return False
    return True


def _scrubbed(text: str, spans: list[PhiSpan]) -> str:
    from revision_pipeline.deid.text import PLACEHOLDERS

    parts, pos = [], 0
    for sp in spans:
        parts += [text[pos : sp.start], PLACEHOLDERS[sp.kind]]
        pos = sp.end
    return "".join(parts) + text[pos:]


def evaluate(
    reports: Iterable[Report],
    finder: Callable[[str], list[PhiSpan]] = find_phi,
    keep_misses: bool = False,
) -> Evaluation:
    """Score ``finder`` (default: the project's scrubber) on annotated reports."""
    ev = Evaluation()
    for r in reports:
        ev.reports += 1
        spans = finder(r.text)
        out = _scrubbed(r.text, spans)
        for value, category in dict.fromkeys(r.phi):
            ev.spans[category] += 1
            gone = value not in out
            if gone and category == PERSON_NAME and len(value) >= 2:
                gone = name_removed(r.text, value, spans)
            if gone:
                ev.removed[category] += 1
            elif keep_misses:
                ev.misses.append((r.id, category, value))
        for phrase in r.clinical:
            ev.clinical += 1
            if phrase in out:
                ev.clinical_kept += 1
            elif keep_misses:
                ev.damaged.append((r.id, "clinical", phrase))
    return ev


def throughput(texts: list[str], scrub: Callable[[str], str], min_seconds: float = 2.0) -> float:
    """Reports per CPU second of this process (one core), over at least ``min_seconds``."""
    if not texts:
        return 0.0
    scrub(texts[0])  # build patterns and tables once
    n, t0 = 0, time.process_time()
    while True:
        for text in texts:
            scrub(text)
        n += len(texts)
        spent = time.process_time() - t0
        if spent >= min_seconds:
            return n / spent
