"""Drawing helpers shared by the fundus renderer, its lesions and its defects.

The renderer works on a float32 RGB canvas in [0, 1] at a *working* resolution and
paints soft masks onto it. A `Layer` is a float32 mask with a tracked bounding box,
so compositing only touches the region that was drawn on (full-frame numpy operations
cost about a millisecond each at the working size, and a photo has dozens of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

#: Fixed-point bits for sub-pixel drawing with OpenCV (coordinates times 16).
SHIFT = 4
_SCALE = float(1 << SHIFT)


@dataclass
class Geometry:
    """Where things are on the working canvas (pixels, y down).

    ``temporal`` is -1 when the temporal side (macula) is on the left of the image
    (right eye, OD) and +1 for a left eye (OS).
    """

    width: int
    height: int
    cx: float
    cy: float
    field_r: float  # radius of the nominal circular field
    disc: tuple[float, float]
    disc_r: float  # mean disc radius
    fovea: tuple[float, float]
    temporal: int
    # The illuminated field actually recorded (a defect may shrink or move it).
    lit_c: tuple[float, float] = (0.0, 0.0)
    lit_r: float = 0.0

    @property
    def dd(self) -> float:
        """Disc diameter in working pixels: the unit of most clinical distances."""
        return 2.0 * self.disc_r


def fixed(points: np.ndarray) -> np.ndarray:
    """Float pixel coordinates -> int32 fixed-point coordinates for OpenCV ``shift``."""
    return np.round(np.asarray(points, np.float64) * _SCALE).astype(np.int32)


class Layer:
    """A soft mask the size of the canvas, with the bounding box of what was drawn."""

    def __init__(self, height: int, width: int) -> None:
        self.mask = np.zeros((height, width), np.float32)
        self.h, self.w = height, width
        self.box = [width, height, 0, 0]  # x0, y0, x1, y1 (exclusive)

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        b = self.box
        b[0] = max(0, min(b[0], int(x0) - 2))
        b[1] = max(0, min(b[1], int(y0) - 2))
        b[2] = min(self.w, max(b[2], int(x1) + 3))
        b[3] = min(self.h, max(b[3], int(y1) + 3))

    @property
    def empty(self) -> bool:
        """True while nothing inside the canvas was drawn."""
        return self.box[2] <= self.box[0] or self.box[3] <= self.box[1]

    def circle(self, x: float, y: float, r: float, value: float = 1.0) -> None:
        """Filled anti-aliased disc."""
        cv2.circle(
            self.mask,
            tuple(fixed((x, y))),
            max(1, round(r * _SCALE)),
            value,
            -1,
            cv2.LINE_AA,
            SHIFT,
        )
        self._grow(x - r, y - r, x + r, y + r)

    def ellipse(
        self, x: float, y: float, rx: float, ry: float, angle_deg: float = 0.0, value: float = 1.0
    ) -> None:
        """Filled anti-aliased ellipse, ``angle_deg`` rotating its x axis."""
        axes = (max(1, round(rx * _SCALE)), max(1, round(ry * _SCALE)))
        cv2.ellipse(
            self.mask, tuple(fixed((x, y))), axes, angle_deg, 0, 360, value, -1, cv2.LINE_AA, SHIFT
        )
        r = max(rx, ry)
        self._grow(x - r, y - r, x + r, y + r)

    def polyline(self, pts: np.ndarray, thickness: int, value: float = 1.0) -> None:
        """Open anti-aliased polyline through ``pts`` (n, 2)."""
        if len(pts) < 2:
            return
        cv2.polylines(
            self.mask, [fixed(pts)], False, value, max(1, int(thickness)), cv2.LINE_AA, SHIFT
        )
        half = thickness / 2 + 1
        self._grow(
            pts[:, 0].min() - half,
            pts[:, 1].min() - half,
            pts[:, 0].max() + half,
            pts[:, 1].max() + half,
        )

    def polygon(self, pts: np.ndarray, value: float = 1.0) -> None:
        """Filled anti-aliased polygon."""
        cv2.fillPoly(self.mask, [fixed(pts)], value, cv2.LINE_AA, SHIFT)
        self._grow(pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())

    def roi(self, pad: int = 0) -> tuple[slice, slice]:
        """Row and column slices of the drawn box, grown by ``pad`` pixels."""
        x0, y0, x1, y1 = self.box
        return (
            slice(max(0, y0 - pad), min(self.h, y1 + pad)),
            slice(max(0, x0 - pad), min(self.w, x1 + pad)),
        )

    def soft(self, sigma: float) -> tuple[tuple[slice, slice], np.ndarray]:
        """The mask inside its box (blurred by ``sigma`` pixels when > 0), clipped to 0..1."""
        pad = int(3 * sigma) + 1 if sigma > 0 else 0
        sl = self.roi(pad)
        m = self.mask[sl]
        if sigma > 0:
            m = cv2.GaussianBlur(m, (0, 0), sigma)
        return sl, np.minimum(m, 1.0, out=m if sigma > 0 else None)

    def mix(
        self, img: np.ndarray, color: Sequence[float], alpha: float = 1.0, sigma: float = 0.0
    ) -> None:
        """Blend ``color`` over ``img`` where the mask is set (in place)."""
        if self.empty:
            return
        sl, m = self.soft(sigma)
        sub = img[sl]
        a = (m * alpha)[..., None]
        sub += a * (np.asarray(color, np.float32) - sub)

    def multiply(
        self, img: np.ndarray, gain: Sequence[float], alpha: float = 1.0, sigma: float = 0.0
    ) -> None:
        """Multiply ``img`` by per-channel ``gain`` where the mask is set (in place)."""
        if self.empty:
            return
        sl, m = self.soft(sigma)
        a = (m * alpha)[..., None]
        img[sl] *= 1.0 - a * (1.0 - np.asarray(gain, np.float32))

    def add(
        self, img: np.ndarray, color: Sequence[float], alpha: float = 1.0, sigma: float = 0.0
    ) -> None:
        """Add ``alpha * color`` to ``img`` where the mask is set (in place)."""
        if self.empty:
            return
        sl, m = self.soft(sigma)
        img[sl] += (m * alpha)[..., None] * np.asarray(color, np.float32)


def gaussian_patch(
    geo: Geometry, x: float, y: float, sigma_x: float, sigma_y: float | None = None
) -> tuple[tuple[slice, slice], np.ndarray]:
    """A 2-D Gaussian bump (peak 1) cut to 3 sigma around (x, y), with its slices."""
    sigma_y = sigma_x if sigma_y is None else sigma_y
    y0, y1 = max(0, int(y - 3 * sigma_y)), min(geo.height, int(y + 3 * sigma_y) + 1)
    x0, x1 = max(0, int(x - 3 * sigma_x)), min(geo.width, int(x + 3 * sigma_x) + 1)
    gy = np.exp(-0.5 * ((np.arange(y0, y1, dtype=np.float32) - y) / sigma_y) ** 2)
    gx = np.exp(-0.5 * ((np.arange(x0, x1, dtype=np.float32) - x) / sigma_x) ** 2)
    return (slice(y0, y1), slice(x0, x1)), np.outer(gy, gx)


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: float) -> np.ndarray:
    """Zero-mean, unit-ish smooth noise with features about ``cell`` pixels across."""
    gh, gw = max(2, int(height / cell) + 2), max(2, int(width / cell) + 2)
    grid = rng.standard_normal((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def walk(
    rng: np.random.Generator,
    start: tuple[float, float],
    angle: float,
    length: float,
    step: float,
    wiggle: float,
    bend: float = 0.0,
) -> np.ndarray:
    """A smooth random path: (n, 2) points from ``start`` heading ``angle`` (radians).

    ``wiggle`` is the standard deviation of the heading change per unit length (in
    radians per pixel, smoothed), ``bend`` a constant turn per pixel.
    """
    n = max(2, int(length / step))
    turn = rng.standard_normal(n).astype(np.float32) * wiggle * step
    k = max(1, n // 6)
    turn = np.convolve(turn, np.ones(k, np.float32) / np.sqrt(k), mode="same")
    heading = angle + np.cumsum(turn + bend * step)
    pts = np.empty((n, 2), np.float32)
    pts[0] = start
    pts[1:, 0] = start[0] + np.cumsum(step * np.cos(heading[:-1]))
    pts[1:, 1] = start[1] + np.cumsum(step * np.sin(heading[:-1]))
    return pts


def radius_map(geo: Geometry, cx: float | None = None, cy: float | None = None) -> np.ndarray:
    """Distance of every pixel to (cx, cy) (default: the field centre), float32."""
    cx = geo.cx if cx is None else cx
    cy = geo.cy if cy is None else cy
    y = (np.arange(geo.height, dtype=np.float32) - cy)[:, None]
    x = (np.arange(geo.width, dtype=np.float32) - cx)[None, :]
    return np.sqrt(x * x + y * y)
