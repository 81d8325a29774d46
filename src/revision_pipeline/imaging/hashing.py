"""Exact and perceptual hashes for finding duplicate photographs.

``perceptual_hash`` is a 64-bit DCT hash (a pHash variant) of the *disc crop*: re-encoding at
another JPEG quality, resizing or re-cropping the frame leaves it (nearly) unchanged,
so copies of one photo exported twice are found with :func:`is_near_duplicate`.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

#: Largest Hamming distance between the pHashes of two copies of one photograph.
#: Measured on rendered fundi: re-encoded copies (JPEG 95 vs 60) differ by 0-2 bits,
#: copies also halved in size and re-encoded at 50 by 0-4; two photos of the *same eye*
#: from different sessions by 4-26 (rarely 4). 3 keeps distinct photos apart.
NEAR_DUPLICATE_MAX_DISTANCE = 3

_HASH_SIZE = 8
_DCT_SIZE = 64
#: First DCT frequency used: skipping the two lowest bands ignores what all fundus
#: photos share (bright disc, dark surround, vignetting) and keeps what tells them apart.
_BAND_START = 2


def content_hash(data: bytes) -> str:
    """SHA-256 hex digest of a file's bytes (exact duplicates)."""
    return hashlib.sha256(data).hexdigest()


def perceptual_hash(img: np.ndarray) -> int:
    """64-bit perceptual hash of an RGB image (pass the FOV crop from ``crop_to_fov``).

    Grayscale, resized to 64x64, 2-D DCT, the 8x8 block of frequencies 2..9 in each
    direction compared with its median. Robust to JPEG re-encoding and resizing.

    Returns:
        An unsigned 64-bit integer.
    """
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    small = cv2.resize(gray, (_DCT_SIZE, _DCT_SIZE), interpolation=cv2.INTER_AREA)
    band = slice(_BAND_START, _BAND_START + _HASH_SIZE)
    coeffs = cv2.dct(small.astype(np.float32))[band, band].ravel()
    bits = coeffs > np.median(coeffs)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return int((a ^ b).bit_count())


def is_near_duplicate(a: int, b: int, max_distance: int = NEAR_DUPLICATE_MAX_DISTANCE) -> bool:
    """True when two perceptual hashes are within ``max_distance`` bits."""
    return hamming(a, b) <= max_distance
