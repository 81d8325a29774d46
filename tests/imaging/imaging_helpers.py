"""Image builders shared by the imaging tests (imported by name: no conftest clash)."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def camera_frame(
    disc: np.ndarray, size: tuple[int, int] = (2048, 1536), dx: int = 0, fraction: float = 0.92
) -> np.ndarray:
    """Place a square fundus photo, resized to ``fraction`` of the frame height, on a
    black camera frame of ``size`` (width, height), ``dx`` pixels right of centre."""
    w, h = size
    d = round(h * fraction)
    disc = cv2.resize(
        disc, (d, d), interpolation=cv2.INTER_AREA if d < disc.shape[0] else cv2.INTER_LINEAR
    )
    frame = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - d) // 2, (w - d) // 2 + dx
    frame[y0 : y0 + d, x0 : x0 + d] = disc
    return frame


def burn_text(frame: np.ndarray) -> np.ndarray:
    """Write white camera-overlay text into the four black corners."""
    out = frame.copy()
    h, w = out.shape[:2]
    scale = h / 600
    size = 0.9 * scale
    thick = max(1, int(2 * scale))
    right = w - int(160 * scale)
    top, bottom = int(40 * scale), h - 15
    for x, y in ((10, top), (10, bottom), (right, top), (right, bottom)):
        cv2.putText(out, "ZHANG 2023", (x, y), cv2.FONT_HERSHEY_SIMPLEX, size, (255,) * 3, thick)
    return out


def jpeg_bytes(img: np.ndarray, quality: int = 90) -> bytes:
    """Encode RGB as JPEG with Pillow."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return buf.getvalue()
