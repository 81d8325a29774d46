"""Screening with onnxruntime (no torch): quality verdict, then finding probabilities.

One photo: curate's own :func:`~revision_pipeline.imaging.process_image` (decode, disc,
quality with the thresholds the model's data were curated with, disc crop) → the
evaluation transform in numpy (:func:`preprocess_crop`) → the ONNX image tower →
probabilities over the canonical findings (:func:`probabilities`).

Probabilities are a softmax over the findings of ``scale * cosine(image, prototype)``,
CLIP's own zero-shot rule at the temperature the model learned in its contrastive
(softmax) loss; they sum to 1 over the findings (``normal`` is one of them), so a photo
with two findings shares its mass between them, and the grades ``dr1``..``dr4`` add up to
"any DR". They are not calibrated risks: docs/deployment.md.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from revision_pipeline.deploy.bundle import (
    CLASSES,
    PREPROCESSING,
    PROTOTYPES,
    VARIANTS,
    ExportError,
    Preprocessing,
    read_json,
    read_manifest,
)

logger = logging.getLogger(__name__)


def preprocess_crop(jpeg: bytes, pre: Preprocessing) -> np.ndarray:
    """``(3, S, S)`` float32 input of a disc-crop JPEG, as the evaluation transform makes it.

    Same steps as ``evaluation.images.crops_to_tensor`` with ``image_transform``: JPEG
    draft at ``S``, RGB, Pillow bilinear resize to ``S x S``, ``/255``, ``(x - mean) / std``.
    """
    from PIL import Image

    size = pre.image_size
    img = Image.open(io.BytesIO(jpeg))
    img.draft("RGB", (size, size))
    img = img.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = (arr - np.asarray(pre.mean, np.float32)) / np.asarray(pre.std, np.float32)
    return np.ascontiguousarray(arr.transpose(2, 0, 1))


def probabilities(embeddings: np.ndarray, prototypes: np.ndarray, logit_scale: float) -> np.ndarray:
    """``(N, C)`` zero-shot probabilities: softmax over classes of ``logit_scale * cosine``.

    The rule CLIP-style models are trained with (the contrastive loss is a softmax over
    ``logit_scale``-scaled cosines), so the model's own learned temperature applies. Unlike raw
    cosines, each photo's scores share a reference: a photo that is close to every prototype
    (a bright, hazy or unusual capture) no longer outranks others on every class, which is
    what a one-vs-rest AUROC compares. The evaluation (``evaluation.zero_shot``, cohorts) and
    the screening command both use this function.

    Args:
        embeddings: ``(N, D)`` image embeddings (normalised here).
        prototypes: ``(C, D)`` L2-normalised class prototypes.
        logit_scale: the model's ``exp(logit_scale)`` (``RetinaCLIP.scale()``).

    Raises:
        ValueError: a temperature that is not a positive finite number.
    """
    if not np.isfinite(logit_scale) or logit_scale <= 0:
        raise ValueError(f"logit_scale must be a positive number, got {logit_scale!r}")
    embeddings = np.asarray(embeddings, dtype=np.float64)
    emb = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    logits = logit_scale * (emb @ prototypes.T)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@dataclass
class Verdict:
    """One photo's result: quality verdict, and finding probabilities when it passed."""

    path: str
    passed: bool
    reasons: list[str]
    quality_score: float
    scores: dict[str, float] | None = None

    def to_json(self, model: str) -> dict[str, Any]:
        """The contract's JSON line: ``path``, ``passed``, ``reasons``, ``scores`` (only when
        it passed), ``model``."""
        out: dict[str, Any] = {"path": self.path, "passed": self.passed, "reasons": self.reasons}
        if self.scores is not None:
            out["scores"] = self.scores
        out["model"] = model
        return out


class ScreeningModel:
    """An export loaded for screening (onnxruntime CPU session, prototypes, settings).

    Args:
        folder: the export folder (``manifest.json`` in it).
        variant: ``fp32`` or ``int8``.
        threads: onnxruntime intra-op threads (``None``: onnxruntime's default, all cores).
        verify: check every file's sha256 against the manifest first.

    Raises:
        ExportError: the folder is not a complete, unaltered export.
    """

    def __init__(
        self,
        folder: Path,
        variant: str = "fp32",
        threads: int | None = None,
        verify: bool = True,
    ) -> None:
        import onnxruntime as ort

        from revision_pipeline.imaging.quality import QualityThresholds

        if variant not in VARIANTS:
            raise ExportError(
                f"unknown model variant {variant!r}; expected one of {list(VARIANTS)}"
            )
        self.folder = Path(folder)
        self.manifest = read_manifest(self.folder, verify=verify)
        self.preprocessing = Preprocessing.from_dict(
            read_json(self.folder, PREPROCESSING), str(self.folder / PREPROCESSING)
        )
        classes = read_json(self.folder, CLASSES)
        self.labels: list[str] = list(classes["labels"])
        self.logit_scale = float(classes["logit_scale"])
        self.prototypes = np.load(self.folder / PROTOTYPES, allow_pickle=False).astype(np.float32)
        if self.prototypes.shape[0] != len(self.labels):
            raise ExportError(
                f"{self.folder}: {PROTOTYPES} has {self.prototypes.shape[0]} rows for "
                f"{len(self.labels)} labels in {CLASSES}"
            )
        self.thresholds = QualityThresholds.from_dict(self.preprocessing.quality_thresholds)
        onnx_file = self.folder / VARIANTS[variant]
        if not onnx_file.is_file():
            raise ExportError(f"{self.folder}: {onnx_file.name} is missing (variant {variant})")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.log_severity_level = 3  # onnxruntime's own warnings are not the user's concern
        self.session = ort.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.variant = variant
        self.model_id = f"{self.manifest.get('model_id', self.folder.name)}:{variant}"

    def embed(self, batch: np.ndarray) -> np.ndarray:
        """``(N, D)`` L2-normalised embeddings of a ``(N, 3, S, S)`` float32 batch."""
        pre = self.preprocessing
        (out,) = self.session.run([pre.output_name], {pre.input_name: batch.astype(np.float32)})
        return out

    def scores(self, jpeg_crop: bytes) -> dict[str, float]:
        """Finding probabilities of one disc crop (curate's crop JPEG)."""
        x = preprocess_crop(jpeg_crop, self.preprocessing)[None]
        p = probabilities(self.embed(x), self.prototypes, self.logit_scale)[0]
        return {label: round(float(v), 4) for label, v in zip(self.labels, p, strict=True)}

    def screen(self, path: Path) -> Verdict:
        """Quality verdict and, when the photo passes, its finding probabilities.

        Never raises for a bad photo: an unreadable, truncated, empty or non-fundus file
        gets ``passed: false`` with curate's reason and no scores.
        """
        from revision_pipeline.imaging.process import process_image

        pre = self.preprocessing
        try:
            result = process_image(Path(path), pre.crop_side, self.thresholds, pre.jpeg_quality)
        except Exception as exc:  # a decoder bug must not end a batch of a thousand photos
            logger.warning("%s: %s: %s", path, type(exc).__name__, exc)
            return Verdict(str(path), False, [f"unreadable: {type(exc).__name__}"], 0.0)
        verdict = Verdict(str(path), result.passed, list(result.reasons), float(result.score))
        if result.passed and result.jpeg is not None:
            verdict.scores = self.scores(result.jpeg)
        return verdict
