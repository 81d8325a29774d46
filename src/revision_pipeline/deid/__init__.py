"""De-identification: scrub PHI from report text and DICOM headers, pseudonyms, PHI audit.

Kedro-free. See docs/contracts.md §4 (the PHI boundary) and §6
(``python -m revision_pipeline.deid``).
"""

from revision_pipeline.deid.pseudonym import load_or_create_secret, pseudonymize
from revision_pipeline.deid.text import PLACEHOLDERS, PhiSpan, find_phi, scrub

__all__ = [
    "PLACEHOLDERS",
    "PhiSpan",
    "find_phi",
    "load_or_create_secret",
    "pseudonymize",
    "scrub",
]
