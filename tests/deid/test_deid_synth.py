"""Every PHI string the synthetic report writer plants is removed by the scrubber."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

reports = pytest.importorskip("revision_pipeline.synth.reports")
identity = pytest.importorskip("revision_pipeline.synth.identity")
from revision_pipeline.deid.text import scrub  # noqa: E402
from revision_pipeline.synth.spec import EyeState  # noqa: E402

CODES = [
    ("normal",),
    ("dr2",),
    ("glaucoma",),
    ("amd",),
    ("rvo",),
    ("dr3", "hypertensive_retinopathy"),
]
STYLES = ("mrn", "inpatient", "outpatient", "exam")


def test_all_planted_phi_is_removed():
    rng = np.random.default_rng(2024)
    planted = 0
    leaks = []
    for i in range(300):
        style = reports.make_style(rng)
        person = identity.make_person(rng, age_range=(30, 101))
        doctor = identity.make_doctor_name(rng)
        day = date(2018, 1, 1) + timedelta(days=int(rng.integers(0, 2200)))
        record = identity.make_record_number(rng, STYLES[i % 4])
        eyes = (EyeState("OD", CODES[i % 6]), EyeState("OS", CODES[(i * 7 + 3) % 6]))
        text, phi = reports.write_report(style, eyes, person, doctor, day, record, rng)
        out = scrub(text)
        planted += len(phi)
        leaks += [(i, s) for s in phi if s in out]
    assert planted > 300
    assert leaks == []
