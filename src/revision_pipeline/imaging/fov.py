"""Find the circular field of view (the fundus disc) of a photograph and crop to it.

Detection works on a copy downscaled to ~256 px: threshold the per-pixel maximum
channel (insensitive to colour casts) relative to the image's own bright level
(insensitive to exposure), remove thin structures such as burned-in overlay text with
a morphological opening, keep the largest blob, and fit a circle robustly to the blob's
outline *excluding* the points that lie on the frame border, so a field cut by the
frame still yields its full circle (and a ``coverage`` below 1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

logger = logging.getLogger(__name__)

#: Long side of the copy the disc is searched on.
DETECT_SIZE = 256
#: Smallest radius (fraction of the frame's short side) accepted as a field of view.
MIN_RADIUS_FRACTION = 0.04
#: Rim points each RANSAC hypothesis is scored on (see ``_ransac_circle``).
_RANSAC_SCORE_POINTS = 240


@dataclass(frozen=True)
class Fov:
    """A circular field of view in the coordinates of the image it was found in.

    Attributes:
        cx: Centre column (pixels, may lie outside the frame for cut fields).
        cy: Centre row.
        radius: Radius in pixels.
        coverage: Fraction of the disc's area that lies inside the frame (0..1].
        frame: ``(height, width)`` of the image it was detected in.
    """

    cx: float
    cy: float
    radius: float
    coverage: float
    frame: tuple[int, int]

    @property
    def diameter(self) -> float:
        """Disc diameter in pixels."""
        return 2.0 * self.radius

    def scaled(self, factor: float) -> Fov:
        """The same disc in an image resized by ``factor``."""
        h, w = self.frame
        return Fov(
            self.cx * factor,
            self.cy * factor,
            self.radius * factor,
            self.coverage,
            (round(h * factor), round(w * factor)),
        )


def max_channel(img: np.ndarray) -> np.ndarray:
    """Per-pixel maximum of the three channels (much faster than ``img.max(axis=2)``)."""
    return cv2.max(cv2.max(img[..., 0], img[..., 1]), img[..., 2])


def percentiles_u8(
    values: np.ndarray, qs: tuple[float, ...], mask: np.ndarray | None = None
) -> list[float]:
    """Percentiles of ``uint8`` data, equal to ``np.percentile(values[mask], qs)``.

    Read off a 256-bin histogram (``cv2.calcHist``) instead of sorting, which is several
    times faster on image-sized arrays.

    Args:
        values: A ``uint8`` array (any shape, contiguous 2-D for ``mask``).
        qs: Percentiles in 0..100.
        mask: Optional boolean or ``uint8`` mask of the pixels to use.

    Returns:
        One value per ``q`` (linear interpolation between order statistics, as numpy);
        ``nan`` each when no pixel is selected.
    """
    m8 = None if mask is None else mask.astype(np.uint8, copy=False)
    hist = cv2.calcHist([np.ascontiguousarray(values)], [0], m8, [256], [0, 256]).ravel()
    return percentiles_from_hist(hist, qs)


def percentiles_from_hist(hist: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Percentiles (numpy's linear method) of integer data given its value histogram."""
    cum = np.cumsum(hist, dtype=np.int64)
    n = int(cum[-1]) if len(cum) else 0
    if n == 0:
        return [float("nan")] * len(qs)
    out = []
    for q in qs:
        rank = (n - 1) * q / 100.0
        lo, hi = int(np.floor(rank)), int(np.ceil(rank))
        v_lo = int(np.searchsorted(cum, lo, side="right"))
        v_hi = int(np.searchsorted(cum, hi, side="right"))
        out.append(float(v_lo + (v_hi - v_lo) * (rank - lo)))
    return out


def _downscale(img: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    h, w = img.shape[:2]
    scale = min(1.0, size / max(h, w))
    if scale >= 1.0:
        return img, 1.0
    dsize = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, dsize, interpolation=cv2.INTER_AREA), scale


def circle_coverage(cx: float, cy: float, r: float, height: int, width: int) -> float:
    """Fraction of the disc (cx, cy, r) that lies inside a ``height`` x ``width`` frame."""
    n = 96
    offs = (np.arange(n) + 0.5) / n * 2.0 - 1.0
    xx, yy = np.meshgrid(offs, offs)
    inside = xx**2 + yy**2 <= 1.0
    px = cx + xx[inside] * r
    py = cy + yy[inside] * r
    ok = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    return float(ok.mean())


def _fit_circle(pts: np.ndarray) -> tuple[float, float, float] | None:
    """Algebraic (Kasa) circle fit, refined by trimming outliers (text, notches)."""
    keep = np.ones(len(pts), bool)
    result = None
    for _ in range(4):
        p = pts[keep]
        if len(p) < 8:
            return result
        x, y = p[:, 0], p[:, 1]
        a = np.column_stack([x, y, np.ones_like(x)])
        b = -(x**2 + y**2)
        (d, e, f), *_ = np.linalg.lstsq(a, b, rcond=None)
        cx, cy = -d / 2.0, -e / 2.0
        r2 = cx**2 + cy**2 - f
        if r2 <= 0:
            return result
        r = float(np.sqrt(r2))
        result = (float(cx), float(cy), r)
        resid = np.abs(np.hypot(pts[:, 0] - cx, pts[:, 1] - cy) - r)
        mad = float(np.median(resid[keep])) + 1e-6
        new_keep = resid <= max(1.5, 3.0 * 1.4826 * mad)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return result


def _ransac_circle(
    pts: np.ndarray, r_min: float, r_max: float, tol: float, iters: int = 96
) -> np.ndarray | None:
    """Inliers of the circle through 3 contour points that explains most points.

    Robust to large non-circular parts of the outline (an eyelid shadow, overlay text
    touching the disc, a notch), which pull a least-squares fit off.
    """
    n = len(pts)
    if n < 8:
        return None
    # hypotheses are scored on at most _RANSAC_SCORE_POINTS evenly spaced rim points
    # (the count of a long rim's inliers barely changes), the winner on all of them
    scored = pts[:: max(1, n // _RANSAC_SCORE_POINTS)]
    rng = np.random.default_rng(0)
    idx = rng.integers(0, n, size=(iters, 3))
    (ax, ay), (bx, by), (qx, qy) = (pts[idx[:, k]].T for k in range(3))
    d = 2.0 * (ax * (by - qy) + bx * (qy - ay) + qx * (ay - by))
    ok = np.abs(d) > 1e-6
    d = np.where(ok, d, 1.0)
    a2, b2, q2 = ax**2 + ay**2, bx**2 + by**2, qx**2 + qy**2
    ux = (a2 * (by - qy) + b2 * (qy - ay) + q2 * (ay - by)) / d
    uy = (a2 * (qx - bx) + b2 * (ax - qx) + q2 * (bx - ax)) / d
    r = np.hypot(ax - ux, ay - uy)
    ok &= (r >= r_min) & (r <= r_max)
    if not ok.any():
        return None
    ux, uy, r = ux[ok], uy[ok], r[ok]
    dist = np.hypot(scored[None, :, 0] - ux[:, None], scored[None, :, 1] - uy[:, None])
    best = int(np.argmax((np.abs(dist - r[:, None]) <= tol).sum(axis=1)))
    return np.abs(np.hypot(pts[:, 0] - ux[best], pts[:, 1] - uy[best]) - r[best]) <= tol


def _foreground_mask(small: np.ndarray) -> np.ndarray | None:
    v = max_channel(small)
    lo, hi = percentiles_u8(v, (1, 99))
    if hi < 12:  # a blank (black) frame
        return None
    thr = max(lo + 0.1 * (hi - lo), lo + 6.0, 8.0)
    mask = (v > thr).astype(np.uint8)
    k = max(3, round(min(small.shape[:2]) * 0.02) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = (labels == biggest).astype(np.uint8)
    # fill holes (dark lesions, dark macula, underexposed centre)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros_like(mask)
    cv2.drawContours(filled, contours, -1, 1, thickness=cv2.FILLED)
    return filled


def detect_fov(img: np.ndarray) -> Fov | None:
    """Find the circular fundus field of view.

    Args:
        img: RGB ``uint8`` image ``(H, W, 3)``.

    Returns:
        The disc in ``img``'s pixel coordinates, or ``None`` when the image holds no
        bright disc on a dark surround (blank frame, external-eye photo, scanned page,
        a field so cut that no arc of its rim is visible).
    """
    h, w = img.shape[:2]
    small, scale = _downscale(img, DETECT_SIZE)
    sh, sw = small.shape[:2]
    mask = _foreground_mask(small)
    if mask is None:
        return None
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    pts = np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float64)
    on_border = (pts[:, 0] <= 1) | (pts[:, 1] <= 1) | (pts[:, 0] >= sw - 2) | (pts[:, 1] >= sh - 2)
    rim = pts[~on_border]
    if len(rim) < 0.15 * np.pi * min(sh, sw) * 0.5:  # need a reasonable arc of the rim
        return None
    r_min = MIN_RADIUS_FRACTION * min(sh, sw)
    inl = _ransac_circle(rim, r_min, 2.0 * max(sh, sw), tol=max(1.5, 0.006 * max(sh, sw)))
    if inl is None or (inl.sum() < 0.5 * len(rim) and inl.sum() < 0.25 * np.pi * min(sh, sw)):
        return None
    fit = _fit_circle(rim[inl] + 0.5)
    if fit is None:
        return None
    cx, cy, r = fit
    if r < r_min or r > 2.0 * max(sh, sw):
        return None
    # the fitted circle must explain the blob: mostly bright inside, dark outside
    dx2 = (np.arange(sw, dtype=np.float64) + 0.5 - cx) ** 2
    dy2 = (np.arange(sh, dtype=np.float64) + 0.5 - cy) ** 2
    disc = (dy2[:, None] + dx2[None, :]) <= r * r
    n_disc = int(np.count_nonzero(disc))
    n_both = int(np.count_nonzero(mask[disc]))
    n_fg = int(np.count_nonzero(mask))
    inside_frac = n_both / n_disc if n_disc else 0.0
    outside_frac = (n_fg - n_both) / (disc.size - n_disc) if disc.size > n_disc else 0.0
    if inside_frac < 0.5 or outside_frac > 0.15:
        logger.debug("rejected circle fit: inside %.2f outside %.2f", inside_frac, outside_frac)
        return None
    coverage = circle_coverage(cx, cy, r, sh, sw)
    return Fov(cx / scale, cy / scale, r / scale, coverage, (h, w))


@lru_cache(maxsize=8)
def disc_mask(side: int, shrink: float = 0.0) -> np.ndarray:
    """Boolean mask of the disc inscribed in a ``side`` x ``side`` square."""
    c = (side - 1) / 2.0
    yy, xx = np.ogrid[0:side, 0:side]
    r = side / 2.0 * (1.0 - shrink)
    m = (xx - c) ** 2 + (yy - c) ** 2 <= r * r
    m.setflags(write=False)
    return m


@lru_cache(maxsize=8)
def _disc_mask_rgb(side: int) -> np.ndarray:
    """``disc_mask`` as a 3-channel 0/255 ``uint8`` array, for ``cv2.bitwise_and``."""
    m = np.repeat(disc_mask(side)[..., None], 3, axis=2).astype(np.uint8) * 255
    m.setflags(write=False)
    return m


def blackout_outside_disc(crop: np.ndarray) -> np.ndarray:
    """Set every pixel outside the disc inscribed in the square ``crop`` to black, in place.

    Returns:
        ``crop`` itself.
    """
    if not crop.flags.c_contiguous:  # cv2 cannot write into a strided view
        crop[~disc_mask(crop.shape[0])] = 0
        return crop
    return cv2.bitwise_and(crop, _disc_mask_rgb(crop.shape[0]), dst=crop)


def crop_with_valid(img: np.ndarray, fov: Fov, side: int) -> tuple[np.ndarray, np.ndarray]:
    """Square crop of the disc's bounding box resized to ``side``, plus the valid region.

    Returns:
        ``(crop, valid)``: the crop (black where the box leaves the frame, *not* yet
        masked to the disc) and a boolean ``side`` x ``side`` mask of pixels that came
        from inside the frame.
    """
    h, w = img.shape[:2]
    x0, y0 = fov.cx - fov.radius, fov.cy - fov.radius
    s = side / (2.0 * fov.radius)
    ix0, iy0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    ix1 = min(w, int(np.ceil(fov.cx + fov.radius)))
    iy1 = min(h, int(np.ceil(fov.cy + fov.radius)))
    out = np.zeros((side, side, 3), np.uint8)
    valid = np.zeros((side, side), bool)
    dx0 = min(side, max(0, round((ix0 - x0) * s)))
    dy0 = min(side, max(0, round((iy0 - y0) * s)))
    dx1 = min(side, max(dx0, round((ix1 - x0) * s)))
    dy1 = min(side, max(dy0, round((iy1 - y0) * s)))
    if ix1 > ix0 and iy1 > iy0 and dx1 > dx0 and dy1 > dy0:
        region = img[iy0:iy1, ix0:ix1]
        # INTER_AREA only where it matters (strong shrinking): it is slow at
        # non-integer factors, and the JPEG draft already brought the frame close.
        strong = (dx1 - dx0) * 1.5 < (ix1 - ix0)
        interp = cv2.INTER_AREA if strong else cv2.INTER_LINEAR
        out[dy0:dy1, dx0:dx1] = cv2.resize(region, (dx1 - dx0, dy1 - dy0), interpolation=interp)
        valid[dy0:dy1, dx0:dx1] = True
    return out, valid


def crop_to_fov(img: np.ndarray, fov: Fov, side: int) -> np.ndarray:
    """Square ``side`` x ``side`` crop around the disc, black outside the disc.

    Everything outside the circle is set to black, which also removes text burned into
    the frame's corners by the camera (patient names, dates): this is the image
    de-identification step.

    Args:
        img: RGB ``uint8`` image the ``fov`` was detected in.
        fov: The disc.
        side: Output side in pixels.

    Returns:
        RGB ``uint8`` array ``(side, side, 3)``.
    """
    if img.shape[:2] != fov.frame:
        raise ValueError(f"fov was detected on a {fov.frame} frame, image is {img.shape[:2]}")
    return blackout_outside_disc(crop_with_valid(img, fov, side)[0])
