"""Render a stand-in photo: the archive's fundus renderer behind another camera.

The eye is painted by `synth.fundus.render_photo` (the same signs as the archive);
what differs is the camera: frame size and aspect, a field of view cut flat at the top
and bottom, colour cast, vignetting and tone curve, and media haze (cataract, vitreous
haze), which the renderer has no sign for and which is laid over the finished photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from revision_pipeline.synth.fundus import render_photo
from revision_pipeline.synth.spec import Camera, PhotoSpec
from revision_pipeline.synth.standins.config import CameraProfile
from revision_pipeline.synth.standins.model import StandInPhoto

#: The renderer's circular field spans this fraction of its square frame.
_FIELD = 0.985


def square_side(photo: StandInPhoto) -> int:
    """Side of the square the eye is rendered on, before it is cut to the frame."""
    f = photo.frame
    if f.field_crop < 1.0:  # the field's diameter exceeds the frame height
        return round(f.height / (f.field_crop * _FIELD) / 2) * 2
    return round(f.height * 0.95 / 2) * 2  # a full circle with a thin black margin


def add_haze(frame: np.ndarray, haze: float) -> np.ndarray:
    """Media opacity over the field: blur, a glow of scattered light, lower contrast."""
    side = frame.shape[0]
    field = cv2.GaussianBlur((frame.max(axis=2) > 12).astype(np.float32), (0, 0), side * 0.004)
    img = frame.astype(np.float32)
    blurred = cv2.GaussianBlur(img, (0, 0), side * (0.003 + 0.008 * haze))
    small = cv2.resize(img, (max(8, img.shape[1] // 8), max(8, side // 8)), cv2.INTER_AREA)
    glow = cv2.resize(
        cv2.GaussianBlur(small, (0, 0), side * 0.01), img.shape[1::-1], cv2.INTER_LINEAR
    )
    veil = glow * 0.85 + np.array([70.0, 58.0, 38.0], np.float32)
    a = 0.2 + 0.45 * float(np.clip(haze, 0.0, 1.0))
    out = blurred * (1.0 - a) + veil * a
    out = out * field[..., None] + img * (1.0 - field[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def tone_curve(frame: np.ndarray, gamma: float, brightness: float) -> np.ndarray:
    """``brightness * input ** gamma`` per channel (black stays black)."""
    if gamma == 1.0 and brightness == 1.0:
        return frame
    x = np.arange(256, dtype=np.float32) / 255.0
    lut = np.clip(255.0 * brightness * x**gamma, 0, 255).astype(np.uint8)
    return cv2.LUT(frame, lut)


def fit(square: np.ndarray, height: int, width: int) -> np.ndarray:
    """Cut or pad (black) a square centred frame to ``height`` x ``width``."""
    side = square.shape[0]
    y0, x0 = max(0, (side - height) // 2), max(0, (side - width) // 2)
    crop = square[y0 : y0 + height, x0 : x0 + width]
    h, w = crop.shape[:2]
    top, left = (height - h) // 2, (width - w) // 2
    return cv2.copyMakeBorder(
        crop, top, height - h - top, left, width - w - left, cv2.BORDER_CONSTANT, value=0
    )


def render_standin(photo: StandInPhoto, camera: CameraProfile) -> np.ndarray:
    """Render one stand-in photo: (height, width, 3) uint8 RGB, deterministic from its seed."""
    f = photo.frame
    spec = PhotoSpec(
        seed=photo.seed,
        state=photo.state,
        camera=Camera(
            side=square_side(photo),
            aspect="1:1",
            cast=f.cast,
            vignetting=f.vignetting,
            jpeg_quality=camera.quality,
            field_fraction=_FIELD,
        ),
        fundus_tone=photo.tone,
        defect=photo.defect,
    )
    frame = render_photo(spec)
    if photo.haze > 0:
        frame = add_haze(frame, photo.haze)
    frame = tone_curve(frame, camera.gamma, camera.brightness)
    return fit(frame, f.height, f.width)
