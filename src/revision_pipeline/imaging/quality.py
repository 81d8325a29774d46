"""Image-quality assessment of fundus photographs.

All metrics are computed on the disc resampled to a fixed diameter
(:data:`ANALYSIS_SIDE`), so they do not depend on the camera's resolution or on the
JPEG draft scale the photo was decoded at.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from revision_pipeline.imaging.fov import (
    Fov,
    crop_with_valid,
    disc_mask,
    max_channel,
    percentiles_from_hist,
)

logger = logging.getLogger(__name__)

#: Diameter (pixels) of the disc on which the metrics are computed.
ANALYSIS_SIDE = 512

#: Every reason :func:`assess_quality` can give, in a stable order.
REASONS: tuple[str, ...] = (
    "no_fov",
    "no_fundus",
    "small_field",
    "partial_field",
    "underexposed",
    "overexposed",
    "low_contrast",
    "blurred",
    "uneven_illumination",
    "occluded",
)


#: Every limit a photo must respect: (reason, metric, threshold field, higher is better).
#: ``no_fundus`` is not applied to a bleached photo (judged ``overexposed`` instead).
CHECKS: tuple[tuple[str, str, str, bool], ...] = (
    ("no_fundus", "redness", "min_redness", True),
    ("small_field", "fov_diameter_px", "min_fov_diameter_px", True),
    ("small_field", "fov_fraction", "min_fov_fraction", True),
    ("partial_field", "coverage", "min_coverage", True),
    ("underexposed", "brightness", "min_brightness", True),
    ("underexposed", "dark_fraction", "max_dark_fraction", False),
    ("overexposed", "luminance", "max_luminance", False),
    ("overexposed", "clipped_fraction", "max_clipped_fraction", False),
    ("low_contrast", "contrast", "min_contrast", True),
    ("blurred", "focus", "min_focus", True),
    ("blurred", "sharpness", "min_sharpness", True),
    ("uneven_illumination", "illumination_ratio", "min_illumination_ratio", True),
    ("occluded", "occluded_fraction", "max_occluded_fraction", False),
)


def thresholds_for(reason: str) -> tuple[str, ...]:
    """The :class:`QualityThresholds` fields behind a rejection reason (empty for
    ``no_fov``, which the disc detector decides)."""
    return tuple(limit for r, _metric, limit, _higher in CHECKS if r == reason)


#: Thresholds bounded above by their metric's scale (fractions, ratios, 8-bit levels).
_UPPER: dict[str, float] = {
    "min_coverage": 1.0,
    "min_redness": 1.0,
    "min_brightness": 255.0,
    "max_dark_fraction": 1.0,
    "max_luminance": 255.0,
    "max_clipped_fraction": 1.0,
    "min_illumination_ratio": 1.0,
    "max_occluded_fraction": 1.0,
}


@dataclass(frozen=True)
class QualityThresholds:
    """Limits a photograph must respect to be kept. Defaults are calibrated on real and
    synthetic fundus photos; the pipeline passes its own from ``parameters_curate.yml``.
    """

    min_fov_diameter_px: float = 300.0  # disc diameter in the original photo's pixels
    min_fov_fraction: float = 0.8  # disc diameter / frame short side (small pupil: less)
    min_coverage: float = 0.8  # fraction of the disc inside the frame
    min_redness: float = 0.25  # (R - G) / R inside the disc: fundus is red/orange
    min_brightness: float = 60.0  # mean max-channel value inside the disc (0..255)
    max_dark_fraction: float = 0.35  # disc pixels with max channel < 30
    max_luminance: float = 150.0  # mean luminance inside the disc
    max_clipped_fraction: float = 0.15  # disc pixels with luminance >= 250
    min_contrast: float = 0.10  # std / mean of the green channel inside the disc
    min_focus: float = 0.35  # fine / coarse band-pass energy, green channel at 512 px
    min_sharpness: float = 0.085  # fine band-pass energy / (mean - 1st percentile) of green
    min_illumination_ratio: float = 0.75  # darkest half of the field / opposite half
    max_occluded_fraction: float = 0.10  # disc area much darker than the field's median

    def __post_init__(self) -> None:
        """Reject a limit no photo could be judged by (negative, not finite, above its scale).

        A ``min_*`` limit of 0 turns that check off; a ``max_*`` limit of 0 allows none.

        Raises:
            ValueError: Naming the threshold, its value and the range it must lie in.
        """
        for item in fields(self):
            value = getattr(self, item.name)
            top = _UPPER.get(item.name, math.inf)
            try:
                number = float(value)
            except (TypeError, ValueError):
                number = math.nan
            if not (math.isfinite(number) and 0 <= number <= top):
                span = f"0 and {top:g}" if top < math.inf else "0 and a finite number"
                raise ValueError(
                    f"quality threshold {item.name!r} must lie between {span}, got {value!r}"
                )

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> QualityThresholds:
        """Build from a mapping (e.g. YAML parameters); unknown keys are rejected.

        Raises:
            ValueError: Naming the unknown key, or a value that is not a number.
        """
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise ValueError(
                    f"unknown quality threshold {key!r}; expected one of {sorted(known)}"
                )
        out: dict[str, float] = {}
        for key, val in values.items():
            try:
                out[key] = float(val)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"quality threshold {key!r} must be a number, got {val!r}"
                ) from exc
        return cls(**out)


@dataclass
class QualityResult:
    """Outcome of :func:`assess_quality`.

    Attributes:
        score: 0 (unusable) .. 1 (excellent); ``passed`` iff ``score >= 0.5``.
        passed: No reason to reject.
        reasons: Names from :data:`REASONS`, empty when passed.
        metrics: The measured values the decision was based on.
    """

    score: float
    passed: bool
    reasons: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


def _sub_score(value: float, threshold: float, higher_is_better: bool) -> float:
    """Map a metric to 0..1 with 0.5 exactly at the threshold.

    A threshold of 0 has no scale: a ``min_*`` of 0 is no limit (1.0), a ``max_*`` of 0
    passes only 0 (1.0) and fails anything above it (0.0).
    """
    if threshold == 0:
        return 1.0 if higher_is_better or value <= 0 else 0.0
    if higher_is_better:
        s = (
            0.5 * value / threshold
            if value < threshold
            else 0.5 + 0.5 * min(1.0, (value - threshold) / threshold)
        )
    else:
        s = (
            1.0 - 0.5 * value / threshold
            if value < threshold
            else 0.5 * max(0.0, 2.0 - value / threshold)
        )
    return float(np.clip(s, 0.0, 1.0))


@dataclass(frozen=True)
class _Masks:
    """The regions the metrics are computed on, and everything derived from the regions
    alone (not from pixels). The same for every photo whose disc lies wholly inside the
    frame, so that case is computed once (:func:`_full_masks`)."""

    m8: np.ndarray  # metrics region (the disc less a 6% rim), uint8 0/1
    m255: np.ndarray  # the same as 0/255, for cv2.bitwise_and
    n: int  # its pixel count
    inner8: np.ndarray  # the disc less a 12% rim, where detail is measured, uint8 0/1
    n_inner: int
    den1: np.ndarray | None  # blur (sigma 1) of the region, floored; None where it is 1 on inner
    ms: np.ndarray  # metrics region at a quarter of the side (area-averaged), floored
    ms_full: np.ndarray  # quarter-side cells wholly inside the region, float32
    den4: np.ndarray  # blur of ms_full (sigma 0.9), floored
    den16: np.ndarray  # blur of ms_full (sigma 4), floored
    inner_s8: np.ndarray  # inner region at a quarter of the side, uint8 0/1
    n_inner_s: int
    grid_m: np.ndarray  # metrics region averaged on the illumination grid
    grid_ok: np.ndarray  # grid cells mostly inside the region


#: Side of the illumination grid.
_GRID = 16
#: The kernel ``cv2.GaussianBlur(x, (0, 0), 1.0)`` uses for float images (9 taps).
_KERNEL_1 = cv2.getGaussianKernel(9, 1.0, cv2.CV_32F)


def _build_masks(valid: np.ndarray) -> _Masks:
    side = valid.shape[0]
    mask = valid & disc_mask(side, 0.06)
    if np.count_nonzero(mask) < 100:
        mask = valid & disc_mask(side)
    inner = valid & disc_mask(side, 0.12)
    if np.count_nonzero(inner) < 100:
        inner = mask
    q = side // 4
    m = mask.astype(np.float32)
    den1 = np.maximum(cv2.GaussianBlur(m, (0, 0), 1.0), 1e-3)
    ms = cv2.resize(m, (q, q), interpolation=cv2.INTER_AREA)
    ms_full = (ms > 0.99).astype(np.float32)
    inner_s = cv2.resize(inner.astype(np.uint8), (q, q), interpolation=cv2.INTER_NEAREST)
    grid_m = cv2.resize(m, (_GRID, _GRID), interpolation=cv2.INTER_AREA)
    masks = _Masks(
        m8=mask.astype(np.uint8),
        m255=mask.astype(np.uint8) * 255,
        n=max(1, int(np.count_nonzero(mask))),
        inner8=inner.astype(np.uint8),
        n_inner=int(np.count_nonzero(inner)),
        # away from the region's edge the normaliser is 1: no division needed
        den1=None if np.all(np.abs(den1[inner] - 1.0) < 1e-6) else den1,
        ms=np.maximum(ms, 1e-3),
        ms_full=ms_full,
        den4=np.maximum(cv2.GaussianBlur(ms_full, (0, 0), 0.9), 1e-3),
        den16=np.maximum(cv2.GaussianBlur(ms_full, (0, 0), 4.0), 1e-3),
        inner_s8=inner_s,
        n_inner_s=int(np.count_nonzero(inner_s)),
        grid_m=grid_m,
        grid_ok=grid_m > 0.5,
    )
    for arr in vars(masks).values():
        if isinstance(arr, np.ndarray):
            arr.setflags(write=False)
    return masks


@lru_cache(maxsize=4)
def _full_masks(side: int) -> _Masks:
    return _build_masks(np.ones((side, side), bool))


def _masks(valid: np.ndarray) -> _Masks:
    return _full_masks(valid.shape[0]) if valid.all() else _build_masks(valid)


def _focus_metrics(g8: np.ndarray, k: _Masks) -> tuple[float, float]:
    """Fine (DoG 1..4 px) and coarse (DoG 4..16 px) detail energy of the green channel.

    Blurs are normalised convolutions (blur of the masked image over blur of the mask),
    so the black surround does not leak in. The coarse scales are computed at a quarter
    of the resolution (4x fewer pixels per axis) for speed. Full-resolution work stays
    in ``uint8`` where it can (masking, the area average, whose rounding is below half a
    grey level), since on memory-bound machines each float pass over the crop costs
    about as much as the arithmetic.
    """
    side = g8.shape[0]
    q = side // 4
    gm = cv2.bitwise_and(g8, k.m255)
    g1 = cv2.sepFilter2D(gm, cv2.CV_32F, _KERNEL_1, _KERNEL_1)
    if k.den1 is not None:
        g1 /= k.den1
    gs = cv2.resize(gm, (q, q), interpolation=cv2.INTER_AREA).astype(np.float32)
    xs = gs / k.ms * k.ms_full
    g4s = cv2.GaussianBlur(xs, (0, 0), 0.9) / k.den4
    g16s = cv2.GaussianBlur(xs, (0, 0), 4.0) / k.den16
    coarse = (
        cv2.norm(g4s, g16s, cv2.NORM_L2, mask=k.inner_s8) / np.sqrt(k.n_inner_s)
        if k.n_inner_s
        else 0.0
    )
    g4 = cv2.resize(g4s, (side, side), interpolation=cv2.INTER_LINEAR)
    fine = cv2.norm(g1, g4, cv2.NORM_L2, mask=k.inner8) / np.sqrt(max(k.n_inner, 1))
    return float(fine), float(coarse)


#: Centres of the illumination grid's cells, in -1..1.
_GRID_C = (np.arange(_GRID) + 0.5) / _GRID * 2.0 - 1.0
_GRID_X, _GRID_Y = np.meshgrid(_GRID_C, _GRID_C)


def _illumination_metrics(bright: np.ndarray, k: _Masks) -> dict[str, float]:
    """Large-scale illumination on a 16x16 grid of the disc.

    ``illumination_ratio``: the darkest half of the field (over 8 directions) relative
    to the opposite half. ``occluded_fraction``: share of the field much darker (< 0.4x)
    than its median (an eyelid or lash shadow, a dark crescent).
    """
    ok = k.grid_ok
    if not ok.any():
        return {"illumination_ratio": 0.0, "occluded_fraction": 1.0}
    masked = cv2.bitwise_and(bright, k.m255)
    vs = cv2.resize(masked, (_GRID, _GRID), interpolation=cv2.INTER_AREA).astype(np.float32)
    cells = vs[ok] / k.grid_m[ok]
    med = float(np.median(cells))
    occluded = float((cells < 0.4 * med).mean()) if med > 0 else 1.0
    xs, ys = _GRID_X[ok], _GRID_Y[ok]
    ratio = 1.0
    for theta in np.arange(8) * np.pi / 8:
        proj = xs * np.cos(theta) + ys * np.sin(theta)
        a, b = cells[proj > 0.05], cells[proj < -0.05]
        if len(a) >= 4 and len(b) >= 4:
            ma, mb = float(a.mean()), float(b.mean())
            if max(ma, mb) > 0:
                ratio = min(ratio, min(ma, mb) / max(ma, mb))
    return {"illumination_ratio": float(ratio), "occluded_fraction": occluded}


_LEVELS = np.arange(256, dtype=np.float64)


def _hist(values: np.ndarray, mask8: np.ndarray) -> np.ndarray:
    """256-bin histogram of ``uint8`` values under a 0/1 ``uint8`` mask."""
    return cv2.calcHist([np.ascontiguousarray(values)], [0], mask8, [256], [0, 256]).ravel()


def measure(img: np.ndarray, fov: Fov) -> dict[str, float]:
    """Compute the quality metrics of the disc ``fov`` in ``img`` (see QualityThresholds)."""
    crop, valid = crop_with_valid(img, fov, ANALYSIS_SIDE)
    return measure_crop(crop, valid, fov)


def measure_crop(crop: np.ndarray, valid: np.ndarray, fov: Fov) -> dict[str, float]:
    """Metrics from an :data:`ANALYSIS_SIDE` crop made by ``crop_with_valid``.

    Means, fractions and percentiles are read off masked 256-bin histograms, which is
    exact for ``uint8`` pixels and much faster than indexing with boolean masks.
    """
    h, w = fov.frame
    k = _masks(valid)
    n = k.n
    r8, g8, b8 = cv2.split(crop)  # contiguous planes: faster than strided channel views
    bright = cv2.max(cv2.max(r8, g8), b8)
    lum = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    mean_r, mean_g, _, _ = cv2.mean(crop, k.m8)
    h_bright, h_lum, h_g = _hist(bright, k.m8), _hist(lum, k.m8), _hist(g8, k.m8)
    g_mean = float(h_g @ _LEVELS) / n
    g_std = float(np.sqrt(max(0.0, float(h_g @ _LEVELS**2) / n - g_mean**2)))
    h_inner = _hist(g8, k.inner8)
    n_inner = float(h_inner.sum())
    g_inner_mean = float(h_inner @ _LEVELS) / max(n_inner, 1.0)
    g_inner_p1 = percentiles_from_hist(h_inner, (1,))[0] if n_inner else 0.0
    span = g_inner_mean - g_inner_p1 + 1.0
    fine, coarse = _focus_metrics(g8, k)
    metrics = {
        "fov_diameter_px": float(fov.diameter),
        "fov_fraction": float(fov.diameter / min(h, w)),
        "coverage": float(fov.coverage),
        "brightness": float(h_bright @ _LEVELS) / n,
        "luminance": float(h_lum @ _LEVELS) / n,
        "dark_fraction": float(h_bright[:30].sum()) / n,
        "clipped_fraction": float(h_lum[250:].sum()) / n,
        "redness": float((mean_r - mean_g) / max(mean_r, 1.0)),
        "contrast": g_std / max(g_mean, 1.0),
        "focus": fine / max(coarse, 1e-3),
        "sharpness": fine / span,
    }
    metrics.update(_illumination_metrics(bright, k))
    return metrics


def no_fov_metrics(img: np.ndarray) -> dict[str, float]:
    """What is measured of a photo in which no disc was found: its brightness, and the
    bright level (99th percentile) that tells a dark frame from some other picture."""
    v = max_channel(img) if img.ndim == 3 else img
    small = cv2.resize(v, (64, 64), interpolation=cv2.INTER_AREA)
    return {"brightness": float(small.mean()), "peak": float(np.percentile(small, 99))}


def judge(metrics: dict[str, float], thresholds: QualityThresholds | None = None) -> QualityResult:
    """The verdict on measured metrics (from :func:`measure` or :func:`no_fov_metrics`).

    Kept apart from measuring so that stored metrics can be judged again under other
    thresholds without decoding the photo. ``fov_diameter_px`` must be in the original
    photo's pixels.
    """
    t = thresholds or QualityThresholds()
    m = metrics
    if "fov_diameter_px" not in m:  # no disc was found
        dark = m.get("peak", 0.0) < t.min_brightness / 2
        reasons = ["no_fov", "underexposed" if dark else "no_fundus"]
        return QualityResult(0.0, False, reasons, dict(m))
    reasons: list[str] = []
    subs: list[float] = []
    # a fundus is red-orange; a bleached one is judged as overexposed instead
    bleached = m["luminance"] > t.max_luminance
    for reason, metric, limit, higher in CHECKS:
        if bleached and reason == "no_fundus":
            continue
        value, thr = m[metric], getattr(t, limit)
        s = _sub_score(value, thr, higher)
        failed = value < thr if higher else value > thr
        if failed:
            s = min(s, 0.49)
            if reason not in reasons:
                reasons.append(reason)
        subs.append(s)
    score = float(min(subs))
    if not reasons:
        score = max(score, 0.5)
    reasons.sort(key=REASONS.index)
    return QualityResult(score, not reasons, reasons, dict(m))


def assess_quality(
    img: np.ndarray,
    fov: Fov | None,
    thresholds: QualityThresholds | None = None,
    crop: tuple[np.ndarray, np.ndarray] | None = None,
) -> QualityResult:
    """Decide whether a fundus photograph is good enough to keep, and why not.

    Args:
        img: RGB ``uint8`` image, at its original size (the disc's size in pixels is
            judged; :func:`~revision_pipeline.imaging.process_image` handles photos
            decoded at a reduced scale).
        fov: Its field of view from :func:`~revision_pipeline.imaging.fov.detect_fov`.
        thresholds: Limits; defaults when ``None``.
        crop: Optional ``crop_with_valid(img, fov, ANALYSIS_SIDE)`` already computed by
            the caller (saves one resize).

    Returns:
        Score, pass/fail, named reasons (see :data:`REASONS`) and the metrics.
    """
    if fov is None:
        return judge(no_fov_metrics(img), thresholds)
    m = measure(img, fov) if crop is None else measure_crop(crop[0], crop[1], fov)
    return judge(m, thresholds)
