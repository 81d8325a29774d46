"""Chinese fundus-report text: normalisation, per-eye splitting, segmentation, findings.

Kedro-free. The ophthalmic dictionary is data (`data/findings.yml`).

Typical use::

    from revision_pipeline.text import process_report
    process_report("OD: DR2期；OS：未见明显异常")
    # {"text": ..., "OD": {"text": ..., "labels": ["dr2"]}, "OS": {..., "labels": ["normal"]}}
"""

from revision_pipeline.text.eyes import EYES, split_by_eye
from revision_pipeline.text.findings import (
    FindingExtractor,
    extract_eye_findings,
    extract_findings,
)
from revision_pipeline.text.normalize import Normalizer, get_normalizer, normalize
from revision_pipeline.text.report import ReportNormalizer, process_report
from revision_pipeline.text.segment import Segmenter, segment
from revision_pipeline.text.vocab import FINDING_CODES, Vocabulary, load_vocabulary

__all__ = [
    "EYES",
    "FINDING_CODES",
    "FindingExtractor",
    "Normalizer",
    "ReportNormalizer",
    "Segmenter",
    "Vocabulary",
    "extract_eye_findings",
    "extract_findings",
    "get_normalizer",
    "load_vocabulary",
    "normalize",
    "process_report",
    "segment",
    "split_by_eye",
]
