"""Tests for revision_pipeline.imaging.laterality (optic-disc side as a check of the eye)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from imaging_helpers import camera_frame, jpeg_bytes

from revision_pipeline.imaging import process_image
from revision_pipeline.imaging.laterality import disc_offset, eye_from_disc


def _gray(img: np.ndarray) -> np.ndarray:
    small = cv2.resize(img, (512, 512), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)


def test_skimage_retina_is_a_left_eye_and_its_mirror_a_right_eye(retina: np.ndarray) -> None:
    # skimage's retina shows the optic disc at the left edge: a left eye's layout
    left = disc_offset(_gray(retina))
    right = disc_offset(_gray(np.ascontiguousarray(retina[:, ::-1])))
    assert left < -0.4 and right > 0.4
    assert eye_from_disc(left) == "OS" and eye_from_disc(right) == "OD"


def test_a_disc_centred_or_featureless_photo_says_nothing(retina: np.ndarray) -> None:
    assert math.isnan(disc_offset(np.full((512, 512), 90, np.uint8)))
    assert eye_from_disc(math.nan) is None
    assert eye_from_disc(0.05) is None and eye_from_disc(-0.1) is None
    # the disc moved to the centre of the field (a disc-centred view)
    shifted = np.roll(retina, retina.shape[1] * 36 // 100, axis=1)
    assert eye_from_disc(disc_offset(_gray(shifted))) is None


def test_process_image_records_the_disc_offset(retina: np.ndarray) -> None:
    result = process_image(jpeg_bytes(camera_frame(retina)), side=256)
    assert result.metrics["disc_offset"] == pytest.approx(disc_offset(_gray(retina)), abs=0.1)


def test_synthetic_eyes_agree_with_their_laterality() -> None:
    fundus = pytest.importorskip("revision_pipeline.synth.fundus")
    from revision_pipeline.synth.spec import Camera, EyeState, PhotoSpec

    camera = Camera(
        side=512, aspect="1:1", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90,
        field_fraction=0.95,
    )  # fmt: skip
    seen = []
    for seed in range(12):
        eye = "OD" if seed % 2 else "OS"
        state = EyeState(eye=eye, codes=("normal",), severity=0.0, cup_disc=0.4)
        spec = PhotoSpec(seed=seed, state=state, camera=camera, fundus_tone=seed / 12)
        result = process_image(jpeg_bytes(fundus.render_photo(spec)))
        seen.append((eye, eye_from_disc(result.metrics["disc_offset"])))
    assert sum(a == b for a, b in seen) >= 11, seen
