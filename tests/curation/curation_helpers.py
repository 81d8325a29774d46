"""Photo builders shared by the curation tests (imported by name: no conftest clash)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image
from skimage import data as skdata


def rotated_retina(
    angle: float, side: int = 480, frame: tuple[int, int] = (640, 520)
) -> np.ndarray:
    """The retina photo rotated by ``angle`` degrees (another vessel pattern: another
    photo as far as deduplication is concerned), on a black camera frame (w, h)."""
    base = cv2.resize(skdata.retina(), (side, side), interpolation=cv2.INTER_AREA)
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    disc = cv2.warpAffine(base, turn, (side, side))
    w, h = frame
    img = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - side) // 2, (w - side) // 2
    img[y0 : y0 + side, x0 : x0 + side] = disc
    return img


def jpeg(img: np.ndarray, quality: int = 92) -> bytes:
    """JPEG bytes of an RGB array."""
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
