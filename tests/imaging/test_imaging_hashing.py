"""content_hash, perceptual_hash and the near-duplicate threshold."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
from imaging_helpers import camera_frame, jpeg_bytes

from revision_pipeline.imaging import (
    NEAR_DUPLICATE_MAX_DISTANCE,
    content_hash,
    crop_to_fov,
    detect_fov,
    hamming,
    is_near_duplicate,
    load_image,
    perceptual_hash,
)


def _phash_of(img: np.ndarray) -> int:
    return perceptual_hash(crop_to_fov(img, detect_fov(img), 256))


def test_content_hash_is_sha256() -> None:
    assert content_hash(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert content_hash(b"abc") != content_hash(b"abd")


def test_hamming() -> None:
    assert hamming(0, 0) == 0
    assert hamming(0b1011, 0b0001) == 2
    assert hamming(2**64 - 1, 0) == 64


def test_phash_is_64_bit_and_deterministic(small_retina: np.ndarray) -> None:
    h = perceptual_hash(small_retina)
    assert isinstance(h, int) and 0 <= h < 2**64
    assert h == perceptual_hash(small_retina.copy())
    assert bin(h).count("1") > 16  # not degenerate


def test_reencoded_and_resized_copies_match(small_retina: np.ndarray) -> None:
    frame = camera_frame(small_retina, (1024, 768))
    base = _phash_of(load_image(jpeg_bytes(frame, 95)))
    reencoded = load_image(jpeg_bytes(frame, 55))
    resized = cv2.resize(frame, (800, 600), interpolation=cv2.INTER_AREA)
    reframed = camera_frame(small_retina, (900, 700), dx=-50)  # another export layout
    for other in (reencoded, resized, reframed):
        assert is_near_duplicate(base, _phash_of(other)), hamming(base, _phash_of(other))


def test_different_photos_do_not_match(small_retina: np.ndarray) -> None:
    base = _phash_of(small_retina)
    flipped = np.ascontiguousarray(small_retina[:, ::-1])  # the other eye's layout
    rotated = cv2.warpAffine(small_retina, cv2.getRotationMatrix2D((300, 300), 25, 1.0), (600, 600))
    for other in (flipped, rotated):
        assert hamming(base, _phash_of(other)) > NEAR_DUPLICATE_MAX_DISTANCE
