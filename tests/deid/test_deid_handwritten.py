"""The hand-written report set: PHI recall and clinical-phrase preservation of the scrubber."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from revision_pipeline.deid.text import PLACEHOLDERS, find_phi, scrub

DATA = Path(__file__).parent / "data" / "handwritten_reports.jsonl"


def load_reports() -> list[dict]:
    """The hand-written reports, with PHI spans computed from the annotated strings.

    A ``phi`` entry is ``[context, kind]`` or ``[context, kind, sub]``: every occurrence of
    ``context`` in the text is PHI (only its ``sub`` part when given, e.g. ``王`` in ``王医生``).
    """
    reports = []
    for lineno, line in enumerate(DATA.read_text(encoding="utf-8").splitlines(), 1):
        row = json.loads(line)
        text = row["text"]
        spans = []
        for entry in row["phi"]:
            context, kind = entry[0], entry[1]
            sub = entry[2] if len(entry) > 2 else context
            offset = context.index(sub)
            start = text.find(context)
            assert start >= 0, f"{DATA.name}:{lineno}: PHI {context!r} not in the text"
            while start >= 0:
                spans.append((start + offset, start + offset + len(sub), kind, sub))
                start = text.find(context, start + len(context))
        row["spans"] = spans
        reports.append(row)
    return reports


REPORTS = load_reports()


def test_set_is_big_and_well_formed():
    assert len(REPORTS) >= 100
    assert len({r["id"] for r in REPORTS}) == len(REPORTS)
    for r in REPORTS:
        for kind in (s[2] for s in r["spans"]):
            assert f"[{kind}]" in PLACEHOLDERS.values(), (r["id"], kind)
        for phrase in r["keep"]:
            start = r["text"].find(phrase)
            assert start >= 0, (r["id"], phrase)
            end = start + len(phrase)
            assert not any(s < end and start < e for s, e, _, _ in r["spans"]), (r["id"], phrase)
    kinds = {s[2] for r in REPORTS for s in r["spans"]}
    assert kinds == {k.strip("[]") for k in PLACEHOLDERS.values()}


def measure() -> dict[str, float | int | list]:
    """Span recall (every character covered), string removal, phrase preservation."""
    n_spans = covered = strings_gone = n_keep = kept = 0
    missed, damaged = [], []
    for r in REPORTS:
        known = r.get("known", ())
        found = find_phi(r["text"], known)
        out = scrub(r["text"], known)
        hit = set()
        for sp in found:
            hit.update(range(sp.start, sp.end))
        for start, end, _kind, sub in r["spans"]:
            n_spans += 1
            if all(i in hit for i in range(start, end)):
                covered += 1
            else:
                missed.append((r["id"], sub))
            if len(sub) < 2 or sub not in out:
                strings_gone += 1
        for phrase in r["keep"]:
            n_keep += 1
            if out.count(phrase) >= r["text"].count(phrase):
                kept += 1
            else:
                damaged.append((r["id"], phrase))
    return {
        "spans": n_spans,
        "recall": covered / n_spans,
        "strings_removed": strings_gone / n_spans,
        "phrases": n_keep,
        "preserved": kept / n_keep,
        "missed": missed,
        "damaged": damaged,
    }


def test_phi_removed_and_clinical_text_kept():
    m = measure()
    assert m["spans"] >= 150 and m["phrases"] >= 300
    assert m["recall"] >= 0.99, m["missed"]
    assert m["strings_removed"] >= 0.99, m["missed"]
    assert m["preserved"] >= 0.99, m["damaged"]


@pytest.mark.parametrize("row", [r for r in REPORTS if not r["spans"]], ids=lambda r: str(r["id"]))
def test_reports_without_phi_are_unchanged(row):
    assert scrub(row["text"]) == row["text"]


if __name__ == "__main__":  # pragma: no cover - prints the figures for the report
    print({k: v for k, v in measure().items()})
