"""Image defects a photo can carry: optical faults and pictures that are not fundi.

`apply_optical` degrades the working canvas of a fundus (blur, exposure, small pupil,
eyelid shadow) before the camera stage. `render_non_fundus` draws a whole frame that
is not a fundus photograph (an external photo of an eye, a photographed paper form).
`burn_overlay` (re-exported from `overlay`) writes camera text into the frame corners.
"""

from __future__ import annotations

import cv2
import numpy as np

from revision_pipeline.synth.canvas import Geometry, Layer, smooth_noise, walk
from revision_pipeline.synth.overlay import burn_overlay
from revision_pipeline.synth.spec import IMAGE_DEFECTS, PhotoSpec

__all__ = ["KNOWN", "NON_FUNDUS", "apply_optical", "burn_overlay", "render_non_fundus"]

KNOWN: tuple[str, ...] = IMAGE_DEFECTS
#: Defects that replace the fundus by another kind of picture.
NON_FUNDUS: frozenset[str] = frozenset({"external_eye", "scanned_paper"})
#: Largest side of the working canvas of non-fundus pictures.
_WORK = 640


# ---------------------------------------------------------------------------- optical
def _small_pupil(img: np.ndarray, geo: Geometry, rng: np.random.Generator) -> np.ndarray:
    """Smaller, decentred illuminated field with a dark crescent and a hazy rim."""
    r = geo.field_r
    lit_r = r * rng.uniform(0.55, 0.8)
    a = rng.uniform(0, 2 * np.pi)
    off = (r - lit_r) * rng.uniform(0.3, 1.1)
    geo.lit_c = (geo.cx + off * np.cos(a), geo.cy + off * np.sin(a))
    geo.lit_r = lit_r
    ys = np.arange(geo.height, dtype=np.float32)[:, None] - geo.lit_c[1]
    xs = np.arange(geo.width, dtype=np.float32)[None, :] - geo.lit_c[0]
    b = a + np.pi + rng.normal(0, 0.6)  # the crescent lies on one side
    along = (xs * np.cos(b) + ys * np.sin(b)) / lit_r  # -1 .. 1 across the lit field
    rr = np.sqrt(xs * xs + ys * ys) / lit_r
    dark = np.clip((along - 0.1) / 0.8, 0.0, 1.0) ** 1.5
    img *= (1.0 - 0.85 * dark)[..., None] * 0.85
    haze = np.clip((rr - 0.6) / 0.4, 0.0, 1.0) ** 2 * np.clip(-along + 0.3, 0.0, 1.0)
    img += haze[..., None] * np.array([0.35, 0.3, 0.28], np.float32) * rng.uniform(0.5, 1.0)
    return img


def _lid(img: np.ndarray, geo: Geometry, rng: np.random.Generator) -> np.ndarray:
    """Upper eyelid and lashes shading a large part of the top of the field."""
    r = geo.field_r
    top = geo.cy - r
    depth = 2 * r * rng.uniform(0.28, 0.5)
    xs = np.arange(geo.width, dtype=np.float32)
    x0 = geo.cx + rng.normal(0, 0.2 * r)
    margin = top + depth - 0.35 * r * ((xs - x0) / r) ** 2 + rng.normal(0, 0.03 * r)
    ys = np.arange(geo.height, dtype=np.float32)[:, None]
    soft = geo.height * 0.03
    cover = np.clip((margin[None, :] - ys) / soft + 0.5, 0.0, 1.0)
    tint = np.array([0.10, 0.06, 0.04], np.float32) * rng.uniform(0.5, 2.0)
    img += cover[..., None] * (tint - img)
    lashes = Layer(geo.height, geo.width)
    for x in rng.uniform(geo.cx - r, geo.cx + r, int(rng.integers(25, 70))):
        xi = int(np.clip(x, 0, geo.width - 1))
        start = (float(x), float(margin[xi] - rng.uniform(0, 0.05 * r)))
        pts = walk(
            rng,
            start,
            np.pi / 2 + rng.normal(0, 0.35),
            r * rng.uniform(0.08, 0.22),
            2.0,
            0.6 / r,
            bend=rng.normal(0, 1.5) / r,
        )
        lashes.polyline(pts, int(rng.integers(2, 5)), float(rng.uniform(0.6, 1.0)))
    lashes.mix(img, tint * 0.6, alpha=0.9, sigma=geo.height * 0.004)
    return img


def apply_optical(
    img: np.ndarray, geo: Geometry, defect: str | None, rng: np.random.Generator
) -> np.ndarray:
    """Degrade a fundus working canvas for ``defect`` (None: unchanged).

    ``small_pupil`` also shrinks ``geo``'s illuminated field (``lit_c``, ``lit_r``).
    """
    if defect is None:
        return img
    side = geo.height
    if defect == "blur":
        img = cv2.GaussianBlur(img, (0, 0), side * rng.uniform(0.012, 0.02))
        img = img * 0.9 + img.mean(axis=(0, 1), keepdims=True) * 0.1
    elif defect == "underexposed":
        img *= rng.uniform(0.1, 0.2)
        img += 0.006 * smooth_noise(rng, side, side, 1.5)[..., None]
    elif defect == "overexposed":
        lum = img.mean(axis=2, keepdims=True)
        img = (0.65 * img + 0.35 * lum) * rng.uniform(1.9, 2.6)
        img += np.array([0.30, 0.25, 0.22], np.float32) * rng.uniform(0.6, 1.0)
    elif defect == "small_pupil":
        img = _small_pupil(img, geo, rng)
    elif defect == "lid_artefact":
        img = _lid(img, geo, rng)
    np.maximum(img, 0.0, out=img)
    return img


# ---------------------------------------------------------------------------- external eye
def _external_eye(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """An external photograph of an eye: skin, lids, sclera, iris, pupil, flash."""
    skin = np.array([0.82, 0.62, 0.50], np.float32) * rng.uniform(0.75, 1.1)
    shade = 1.0 + 0.06 * smooth_noise(rng, h, w, h / 5) + 0.02 * smooth_noise(rng, h, w, 3)
    ramp = np.linspace(1.1, 0.8, h, dtype=np.float32)[:, None]
    img = (shade * ramp)[..., None] * skin
    cx, cy = w / 2 + rng.normal(0, w * 0.03), h / 2 + rng.normal(0, h * 0.03)
    a = w * rng.uniform(0.3, 0.4)
    hu, hl = h * rng.uniform(0.18, 0.26), h * rng.uniform(0.12, 0.18)
    t = np.linspace(-1, 1, 80)
    upper = np.stack([cx + a * t, cy - hu * (1 - t**2) ** 0.8], 1)
    lower = np.stack([cx + a * t[::-1], cy + hl * (1 - t[::-1] ** 2) ** 0.9], 1)
    crease = Layer(h, w)
    crease.polyline(
        np.stack([cx + a * 1.05 * t, cy - hu * 1.45 * (1 - t**2) ** 0.7], 1), max(2, h // 120)
    )
    crease.multiply(img, (0.7, 0.6, 0.6), sigma=h * 0.008)
    opening = Layer(h, w)
    opening.polygon(np.vstack([upper, lower]).astype(np.float32))
    sl, om = opening.soft(1.2)
    sclera = np.array([0.93, 0.88, 0.85], np.float32) * rng.uniform(0.85, 1.0)
    img[sl] += om[..., None] * (sclera - img[sl])
    veins = Layer(h, w)
    for _ in range(int(rng.integers(6, 16))):
        side = rng.choice([-1, 1])
        start = (cx + side * a * rng.uniform(0.5, 0.9), cy + rng.normal(0, hl * 0.3))
        pts = walk(
            rng, start, np.pi * (side < 0) + rng.normal(0, 0.4) + np.pi, a * 0.3, 2.0, 6.0 / a
        )
        veins.polyline(pts, 1, float(rng.uniform(0.3, 0.8)))
    veins.mask *= opening.mask
    veins.multiply(img, (0.85, 0.45, 0.45), sigma=0.6)
    ri = h * rng.uniform(0.15, 0.19)
    ix, iy = cx + rng.normal(0, a * 0.08), cy - h * 0.02
    iris_col = np.array([0.38, 0.22, 0.11], np.float32) * rng.uniform(0.5, 1.2)
    iris = Layer(h, w)
    iris.circle(ix, iy, ri)
    iris.mask *= opening.mask
    iris.mix(img, iris_col, sigma=1.0)
    streaks = Layer(h, w)
    for ang in rng.uniform(0, 2 * np.pi, 140):
        r0, r1 = ri * 0.4, ri * rng.uniform(0.7, 1.0)
        seg = np.array(
            [
                [ix + r0 * np.cos(ang), iy + r0 * np.sin(ang)],
                [ix + r1 * np.cos(ang), iy + r1 * np.sin(ang)],
            ],
            np.float32,
        )
        streaks.polyline(seg, 1, float(rng.uniform(0.3, 1.0)))
    streaks.mask *= opening.mask
    streaks.multiply(img, (1.5, 1.4, 1.3), alpha=0.5, sigma=0.7)
    limbus = Layer(h, w)
    ring = cv2.ellipse2Poly((0, 0), (1000, 1000), 0, 0, 360, 6).astype(np.float32) / 1000
    limbus.polyline(np.vstack([ring, ring[:1]]) * ri + (ix, iy), max(2, int(ri * 0.08)))
    limbus.mask *= opening.mask
    limbus.multiply(img, (0.4, 0.4, 0.4), sigma=ri * 0.04)
    pupil = Layer(h, w)
    pupil.circle(ix, iy, ri * rng.uniform(0.28, 0.45))
    pupil.mask *= opening.mask
    pupil.mix(img, (0.03, 0.03, 0.03), sigma=0.8)
    flash = Layer(h, w)
    flash.circle(ix + ri * rng.uniform(-0.4, 0.4), iy - ri * rng.uniform(0.1, 0.4), ri * 0.07)
    flash.mix(img, (1.0, 1.0, 1.0), sigma=0.8)
    lash = Layer(h, w)
    for u in rng.uniform(-0.95, 0.95, int(rng.integers(40, 90))):
        start = (cx + a * u, cy - hu * (1 - u**2) ** 0.8)
        pts = walk(
            rng,
            start,
            -np.pi / 2 + 0.9 * u + rng.normal(0, 0.2),
            h * rng.uniform(0.04, 0.09),
            2.0,
            0.5 / h,
            bend=-np.sign(u + 1e-3) * 6.0 / h,
        )
        lash.polyline(pts, max(1, h // 300), 1.0)
    lash.mix(img, (0.08, 0.06, 0.05), alpha=0.9, sigma=0.6)
    return img


# ---------------------------------------------------------------------------- paper form
def _text_line(
    layer: Layer, rng: np.random.Generator, x0: float, y: float, x1: float, size: float
) -> None:
    """A line of square 'characters' (CJK-like ink blocks) from x0 towards x1."""
    x = x0
    while x + size < x1:
        if rng.random() < 0.08:  # a space or punctuation
            x += size * rng.uniform(0.5, 1.5)
            continue
        ink = float(rng.uniform(0.45, 0.95))
        for _ in range(int(rng.integers(2, 5))):  # a few strokes per glyph
            if rng.random() < 0.5:
                yy = y + size * rng.uniform(0.1, 0.9)
                seg = np.array([[x + size * 0.1, yy], [x + size * 0.9, yy]], np.float32)
            else:
                xx = x + size * rng.uniform(0.1, 0.9)
                seg = np.array([[xx, y + size * 0.05], [xx, y + size * 0.95]], np.float32)
            layer.polyline(seg, max(1, int(size * 0.12)), ink)
        x += size * 1.08


def _paper(spec: PhotoSpec, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A photographed paper report form: text lines, a table, a thumbnail, a red seal."""
    from revision_pipeline.synth.fundus import render_fundus  # local: fundus imports us

    page = np.array([0.95, 0.94, 0.90], np.float32) * rng.uniform(0.88, 1.0)
    shade = 1.0 + 0.015 * smooth_noise(rng, h, w, 2.0)
    ang = rng.uniform(0, 2 * np.pi)
    ramp = np.linspace(-1, 1, max(h, w), dtype=np.float32)
    shade += 0.12 * (np.cos(ang) * ramp[None, :w] + np.sin(ang) * ramp[:h, None])
    img = shade[..., None] * page
    ink = Layer(h, w)
    m = w * 0.08
    size = h * rng.uniform(0.018, 0.024)
    _text_line(ink, rng, w * 0.3, h * 0.05, w * 0.7, size * 1.6)  # title
    rule = np.array([[m, h * 0.12], [w - m, h * 0.12]], np.float32)
    ink.polyline(rule, max(1, h // 400))
    y = h * 0.15
    for _ in range(3):  # patient fields, two per line
        _text_line(ink, rng, m, y, m + w * rng.uniform(0.2, 0.35), size)
        _text_line(ink, rng, w * 0.55, y, w * 0.55 + w * rng.uniform(0.15, 0.3), size)
        y += size * 1.8
    thumb = int(h * rng.uniform(0.2, 0.26))
    top = int(y + size)
    for k, eye in enumerate(("OD", "OS")):
        sub = PhotoSpec(
            seed=spec.seed + k + 1,
            state=type(spec.state)(eye=eye, codes=("normal",)),
            camera=spec.camera,
        )
        fund, _ = render_fundus(sub, thumb, rng)
        r = np.hypot(*np.meshgrid(np.arange(thumb) - thumb / 2, np.arange(thumb) - thumb / 2))
        fund *= (r < thumb * 0.49)[..., None]
        x = int(m + k * (thumb + w * 0.05))
        img[top : top + thumb, x : x + thumb] = fund * 0.92
    y = top + thumb + size * 2
    while y < h * 0.82:  # findings paragraph
        _text_line(ink, rng, m, y, w - m - rng.uniform(0, w * 0.3), size)
        y += size * 1.7
    grid = np.array([[m, h * 0.86], [w - m, h * 0.86]], np.float32)
    ink.polyline(grid, max(1, h // 500))
    _text_line(ink, rng, w * 0.55, h * 0.9, w * 0.8, size)  # signature line
    ink.multiply(img, (0.18, 0.18, 0.22), sigma=0.5)
    seal = Layer(h, w)
    sx, sy, sr = w * rng.uniform(0.6, 0.8), h * rng.uniform(0.82, 0.9), h * 0.07
    circle = cv2.ellipse2Poly((0, 0), (1000, 1000), 0, 0, 360, 6).astype(np.float32) / 1000
    seal.polyline(np.vstack([circle, circle[:1]]) * sr + (sx, sy), max(2, int(sr * 0.07)))
    star = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(-np.pi / 2, 3.5 * np.pi, 6)])
    seal.polygon((star * sr * 0.3 + (sx, sy)).astype(np.float32))
    seal.multiply(img, (0.95, 0.3, 0.3), alpha=0.8, sigma=0.8)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), rng.normal(0, 2.0), 1.0)
    table = tuple(float(v) for v in np.array([0.45, 0.36, 0.28]) * rng.uniform(0.7, 1.1))
    return cv2.warpAffine(img, rot, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=table)


def render_non_fundus(spec: PhotoSpec, rng: np.random.Generator) -> np.ndarray:
    """Render an ``external_eye`` or ``scanned_paper`` frame as (H, W, 3) uint8 RGB."""
    width, height = spec.camera.size
    h = min(height, _WORK)
    w = round(width * h / height)
    if spec.defect == "external_eye":
        img = _external_eye(h, w, rng)
    elif spec.defect == "scanned_paper":
        img = _paper(spec, h, w, rng)
    else:
        raise ValueError(
            f"defect {spec.defect!r} is not a non-fundus picture ({sorted(NON_FUNDUS)})"
        )
    img *= np.asarray(spec.camera.cast, np.float32)
    out = cv2.convertScaleAbs(np.maximum(img, 0), alpha=255.0)
    if (w, h) != (width, height):
        out = cv2.resize(out, (width, height), interpolation=cv2.INTER_CUBIC)
    return out
