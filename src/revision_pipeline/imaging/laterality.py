"""Which side of a fundus photograph the optic disc is on, as a check of the eye.

In a macula-centred photograph the optic disc lies on the nasal side of the fovea: on
the viewer's right for a right eye (OD) and on the left for a left eye (OS). The disc
is the brightest round spot of the field once the slow illumination gradient is taken
away, so finding it on a small thumbnail is cheap and robust enough to check a whole
site's naming (an export that swaps R and L), though not to relabel single photos:
disc-centred photographs, bright lesions and glare all mislead it now and then.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Thumbnail side the disc is searched on (the disc is ~10 px across there).
_SIDE = 64
#: Only search this far from the centre (radii): the rim of the field is often glare.
_SEARCH_RADIUS = 0.82
#: A disc must stand this many grey levels above its surroundings.
MIN_PROMINENCE = 10.0
#: Offsets smaller than this (radii) say nothing about the eye (disc-centred photos).
MIN_OFFSET = 0.15


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[:_SIDE, :_SIDE].astype(np.float32)
    c = (_SIDE - 1) / 2
    rr = np.hypot(xx - c, yy - c) / (_SIDE / 2)
    return xx, rr < _SEARCH_RADIUS, (rr < 0.98).astype(np.float32)


_XX, _INSIDE, _VALID = _grid()
_VALID_BLUR = cv2.GaussianBlur(_VALID, (0, 0), 8)


def disc_offset(gray: np.ndarray) -> float:
    """Horizontal position of the optic disc in a square disc crop, in field radii.

    Args:
        gray: Grey ``uint8`` crop, square, centred on the field, black outside it (the
            crop that :func:`~revision_pipeline.imaging.process_image` writes).

    Returns:
        From -1 (far left) to 1 (far right); positive means a right eye's layout. NaN
        when no spot stands out (:data:`MIN_PROMINENCE`), e.g. a featureless frame.
    """
    small = cv2.resize(gray, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA).astype(np.float32)
    fine = cv2.GaussianBlur(small, (0, 0), 1.5)
    background = cv2.GaussianBlur(small * _VALID, (0, 0), 8) / np.maximum(_VALID_BLUR, 1e-3)
    response = np.where(_INSIDE, fine - background, -np.inf)
    y, x = np.unravel_index(int(np.argmax(response)), response.shape)
    if not response[y, x] >= MIN_PROMINENCE:
        return math.nan
    return float((_XX[y, x] - (_SIDE - 1) / 2) / (_SIDE / 2))


def eye_from_disc(offset: float, min_offset: float = MIN_OFFSET) -> str | None:
    """``"OD"``, ``"OS"`` or None (disc near the centre, or not found) for an offset."""
    if math.isnan(offset) or abs(offset) < min_offset:
        return None
    return "OD" if offset > 0 else "OS"
