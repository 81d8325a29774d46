"""One call from a raw report to per-eye normalised text and finding codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from revision_pipeline.text.eyes import EYES, split_normalized
from revision_pipeline.text.findings import FindingExtractor, get_extractor
from revision_pipeline.text.normalize import Normalizer, get_normalizer
from revision_pipeline.text.segment import Segmenter, get_segmenter


@dataclass
class ReportNormalizer:
    """Normalise, split by eye and label reports; build once, call per report.

    Args:
        normalizer: The normaliser (the shared one for the packaged dictionary when None).
        segment: Also return jieba tokens per eye (slower, ~10x).
    """

    normalizer: Normalizer | None = None
    segment: bool = False

    def __post_init__(self) -> None:
        shared = self.normalizer is None
        self.normalizer = self.normalizer or get_normalizer()
        self._extractor = get_extractor() if shared else FindingExtractor(self.normalizer)
        self._segmenter: Segmenter | None = None
        if self.segment:
            self._segmenter = get_segmenter() if shared else Segmenter(self.normalizer)

    def __call__(self, text: str | None) -> dict[str, Any]:
        """Process one report.

        Args:
            text: The raw report (None or blank gives empty results).

        Returns:
            ``{"text": canonical whole report, "OD": {"text", "labels"}, "OS": {...}}``,
            plus ``"tokens"`` per eye when segmentation is on.
        """
        assert self.normalizer is not None
        canonical = self.normalizer(text or "")
        parts = split_normalized(canonical)
        result: dict[str, Any] = {"text": canonical}
        for eye in EYES:
            entry: dict[str, Any] = {
                "text": parts[eye],
                "labels": self._extractor.extract_normalized(parts[eye]),
            }
            if self._segmenter is not None:
                entry["tokens"] = self._segmenter(parts[eye])
            result[eye] = entry
        return result


_DEFAULT: ReportNormalizer | None = None


def process_report(text: str | None) -> dict[str, Any]:
    """Normalise a report, split it by eye and extract each eye's finding codes.

    Args:
        text: The raw report.

    Returns:
        ``{"text": str, "OD": {"text": str, "labels": list[str]}, "OS": {...}}``.
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = ReportNormalizer()
    return _DEFAULT(text)
