"""Exact and perceptual hashes, and the vessel signature, for finding duplicate photographs.

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


#: Side of the vessel signature thumbnail (:func:`image_signature`).
SIGNATURE_SIDE = 32


def image_signature(img: np.ndarray) -> bytes:
    """A 32x32 high-pass grey thumbnail (int8 bytes) of a disc crop: vessels, not the disc."""
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img
    small = cv2.resize(gray, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32)
    high = small - cv2.GaussianBlur(small, (0, 0), 6)
    inner = high[16:112, 16:112]  # stay inside the disc, away from its black border
    thumb = cv2.resize(inner, (SIGNATURE_SIDE, SIGNATURE_SIDE), interpolation=cv2.INTER_AREA)
    scale = 127.0 / max(1e-6, float(np.abs(thumb).max()))
    return np.clip(thumb * scale, -127, 127).astype(np.int8).tobytes()


def signature_correlation(a: bytes, b: bytes) -> float:
    """Pearson correlation of two signatures (1 for the same photo re-encoded)."""
    x = np.frombuffer(a, np.int8).astype(np.float32)
    y = np.frombuffer(b, np.int8).astype(np.float32)
    x, y = x - x.mean(), y - y.mean()
    denom = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / denom) if denom > 0 else 0.0


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return int((a ^ b).bit_count())


def is_near_duplicate(a: int, b: int, max_distance: int = NEAR_DUPLICATE_MAX_DISTANCE) -> bool:
    """True when two perceptual hashes are within ``max_distance`` bits."""
    return hamming(a, b) <= max_distance
