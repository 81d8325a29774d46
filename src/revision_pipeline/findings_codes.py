"""The canonical finding codes: the label set shared by every side of the project.

The synthetic generator (`synth`) writes its ground truth in these codes, and the
report reader (`text`) extracts them from reports. Both read the set from here, so
neither side's code defines what the other is judged by. Kedro-free, no imports.
"""

from __future__ import annotations

#: Canonical finding codes, in a fixed order (``text/data/findings.yml`` describes each).
FINDING_CODES: tuple[str, ...] = (
    "normal",
    "dr1",
    "dr2",
    "dr3",
    "dr4",
    "glaucoma",
    "amd",
    "pathologic_myopia",
    "rvo",
    "hypertensive_retinopathy",
)

__all__ = ["FINDING_CODES"]
