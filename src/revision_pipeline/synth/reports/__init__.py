"""Synthetic Chinese fundus-photography reports, with planted PHI.

Each institution gets a ``ReportStyle`` (template family, punctuation, abbreviations,
traditional characters, typos, how much PHI it writes); ``write_report`` turns two
``EyeState`` objects into one report and returns every PHI string it planted, verbatim.

Conventions that finding extraction can rely on:

- Every eye's diagnosis is stated with a term of its codes from
  ``text/data/findings.yml`` (possibly abbreviated, full-width, traditional), never with
  uncertain wording. "双眼"/"OU" diagnoses apply to both eyes.
- Terms of findings an eye does NOT have are only ever written negated (未见…, 无…) or
  as *uncertain* mentions (可疑青光眼, 青光眼待排, 排除青光眼). **Uncertain mentions are
  not positive labels**: they are written only for findings absent from both eyes, rarely.
- Typos (homophones, doubled punctuation, stray spaces) never touch diagnoses, negation
  words or PHI.

PHI planted (when the style writes it): patient, relative and staff names, 王先生-style
mentions, record, bed and device numbers, exact dates, phone numbers, addresses, ID
numbers, e-mail and WeChat handles, and ages over 89 (written as e.g. ``92岁``).
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from revision_pipeline.synth.identity import Person
from revision_pipeline.synth.reports.phrases import FAMILIES, REGIONS, _phrases
from revision_pipeline.synth.reports.sections import FAMILY_WRITERS, _Ctx, register_family, render
from revision_pipeline.synth.reports.style import ReportStyle, format_date, make_style
from revision_pipeline.synth.reports.writer import Segment, _Writer
from revision_pipeline.synth.spec import FINDINGS, EyeState

__all__ = [
    "FAMILIES",
    "FAMILY_WRITERS",
    "REGIONS",
    "ReportStyle",
    "Segment",
    "_phrases",
    "format_date",
    "make_style",
    "register_family",
    "write_report",
]


def _validate(eyes: tuple[EyeState, EyeState]) -> None:
    if len(eyes) != 2 or eyes[0].eye != "OD" or eyes[1].eye != "OS":
        raise ValueError("eyes must be (OD, OS) EyeState objects, OD first")
    for st in eyes:
        unknown = [c for c in st.codes if c not in FINDINGS]
        if not st.codes or unknown:
            raise ValueError(f"{st.eye}: codes {st.codes!r} must be non-empty, from FINDINGS")
        if "normal" in st.codes and len(st.codes) > 1:
            raise ValueError(f"{st.eye}: 'normal' cannot be combined with {st.codes!r}")
        if sum(c.startswith("dr") for c in st.codes) > 1:
            raise ValueError(f"{st.eye}: more than one DR grade in {st.codes!r}")


def write_report(
    style: ReportStyle,
    eyes: tuple[EyeState, EyeState],
    patient: Person,
    doctor: str,
    exam_date: date,
    record_no: str,
    rng: np.random.Generator,
) -> tuple[str, tuple[str, ...]]:
    """Write one exam's report in ``style``.

    Args:
        style: the institution's habits (``make_style``).
        eyes: what the right and the left eye have, OD first.
        patient: the examined person.
        doctor: the reporting doctor's name.
        exam_date: day of the exam.
        record_no: the institution's record number for the patient.
        rng: source of randomness (one draw is consumed).

    Returns:
        The report text, and every PHI string planted in it (each a substring of it).

    Raises:
        ValueError: if ``eyes`` is not (OD, OS) or holds unknown or contradictory codes.
    """
    _validate(eyes)
    r = random.Random(int(rng.integers(0, 2**63 - 1)))
    w = _Writer(style, r, phi=r.random() < style.phi_prob)
    render(w, _Ctx(patient, doctor, exam_date, record_no, eyes, patient.age_on(exam_date)))
    return w.finish()
