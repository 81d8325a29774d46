"""Fundus image handling, free of kedro: decode, find the field of view, crop, judge
quality, hash. ``process_image`` does all of it for one file."""

from revision_pipeline.imaging.fov import Fov, crop_to_fov, detect_fov
from revision_pipeline.imaging.hashing import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    content_hash,
    hamming,
    is_near_duplicate,
    perceptual_hash,
)
from revision_pipeline.imaging.io import SUPPORTED_EXTENSIONS, ImageReadError, load_image
from revision_pipeline.imaging.process import ProcessedImage, encode_jpeg, process_image
from revision_pipeline.imaging.quality import (
    REASONS,
    QualityResult,
    QualityThresholds,
    assess_quality,
)

__all__ = [
    "NEAR_DUPLICATE_MAX_DISTANCE",
    "REASONS",
    "SUPPORTED_EXTENSIONS",
    "Fov",
    "ImageReadError",
    "ProcessedImage",
    "QualityResult",
    "QualityThresholds",
    "assess_quality",
    "content_hash",
    "crop_to_fov",
    "detect_fov",
    "encode_jpeg",
    "hamming",
    "is_near_duplicate",
    "load_image",
    "perceptual_hash",
    "process_image",
]
