"""Procedural colour fundus photographs.

`render_photo` draws one photograph from a `PhotoSpec`, deterministically from its
seed. The structure (fundus, disc, macula, vessels, lesions, optical defects) is
painted on a square float32 canvas at a working resolution of at most `WORK_SIDE`
pixels that covers the circular field; the canvas is then upscaled to the camera's
frame, centred on black, and fine sensor noise is added at full resolution. That
keeps a 1536-pixel frame at a few tens of milliseconds on one core.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import cv2
import numpy as np

from revision_pipeline.synth import defects, lesions
from revision_pipeline.synth.canvas import (
    SHIFT,
    Geometry,
    Layer,
    fixed,
    gaussian_patch,
    smooth_noise,
    walk,
)
from revision_pipeline.synth.spec import Camera, PhotoSpec
from revision_pipeline.synth.vessels import VesselStyle, draw_tree, grow_tree

logger = logging.getLogger(__name__)

#: Largest side of the working canvas (pixels).
WORK_SIDE = 512
#: Sensor noise amplitude at full resolution (uint8 levels, uniform +-).
NOISE_LEVELS = 2

# Fundus colour for a lightly (tone 0), medium (0.5) and darkly (1) pigmented eye.
_TONES = np.array([[0.94, 0.50, 0.27], [0.86, 0.37, 0.15], [0.60, 0.22, 0.09]], np.float32)
_VEIN_GAIN = (0.60, 0.40, 0.50)
_ARTERY_GAIN = (0.86, 0.66, 0.70)


def base_colour(tone: float) -> np.ndarray:
    """RGB fundus colour for a pigmentation ``tone`` in 0..1."""
    t = float(np.clip(tone, 0.0, 1.0)) * 2
    i = min(int(t), 1)
    return _TONES[i] + (t - i) * (_TONES[i + 1] - _TONES[i])


def make_geometry(spec: PhotoSpec, side: int, rng: np.random.Generator) -> Geometry:
    """Place the field, disc and fovea on a square working canvas of ``side`` pixels."""
    c = (side - 1) / 2.0
    field_r = side * 0.5 * 0.985  # the canvas is the field's bounding square
    d = 2 * field_r
    temporal = -1 if spec.state.eye == "OD" else 1
    disc_r = d / 6.6 / 2 * rng.uniform(0.92, 1.08)
    fovea = (c + temporal * d * rng.uniform(0.08, 0.14), c + d * rng.normal(0.0, 0.015))
    dist = 2.0 * disc_r * rng.uniform(2.35, 2.65)
    drop = 2.0 * disc_r * rng.uniform(0.1, 0.35)  # the fovea sits a little below the disc
    disc = (fovea[0] - temporal * np.sqrt(dist**2 - drop**2), fovea[1] - drop)
    return Geometry(
        width=side,
        height=side,
        cx=c,
        cy=c,
        field_r=field_r,
        disc=(float(disc[0]), float(disc[1])),
        disc_r=float(disc_r),
        fovea=(float(fovea[0]), float(fovea[1])),
        temporal=temporal,
        lit_c=(c, c),
        lit_r=field_r,
    )


@lru_cache(maxsize=8)
def _rn2(side: int) -> np.ndarray:
    """Squared distance to the canvas centre over the squared field radius (read-only)."""
    c = (side - 1) / 2.0
    r2 = ((np.arange(side, dtype=np.float32) - c) ** 2)[:, None] + (
        (np.arange(side, dtype=np.float32) - c) ** 2
    )[None, :]
    out = r2 / np.float32((side * 0.5 * 0.985) ** 2)
    out.setflags(write=False)
    return out


def choroid_pattern(geo: Geometry, rng: np.random.Generator, density: float) -> np.ndarray:
    """Mask (full canvas, 0..1) of large choroidal vessels radiating from the posterior pole.

    Drawn at half resolution (the vessels are broad) and blurred while upscaling.
    """
    half = Layer(geo.height // 2, geo.width // 2)
    n = int(60 + 120 * density)
    hd = geo.dd / 2
    mx = 0.25 * (geo.disc[0] + geo.fovea[0])
    my = 0.25 * (geo.disc[1] + geo.fovea[1])
    u = rng.random((n, 5))
    groups: dict[int, list[np.ndarray]] = {}
    for a, r0, turn, length, width in u:
        a *= 2 * np.pi
        r0 *= geo.field_r * 0.4
        start = (mx + r0 * np.cos(a), my + r0 * np.sin(a))
        pts = walk(rng, start, a + (turn - 0.5), (2.0 + 3.0 * length) * hd, 2.0, 1.0 / hd)
        groups.setdefault(int(max(1, hd * (0.10 + 0.10 * width))), []).append(fixed(pts))
    for thick, segs in groups.items():
        cv2.polylines(half.mask, segs, False, 1.0, thick, cv2.LINE_AA, SHIFT)
    m = cv2.GaussianBlur(half.mask, (0, 0), max(0.6, hd * 0.03))
    return np.minimum(cv2.resize(m, (geo.width, geo.height), interpolation=cv2.INTER_LINEAR), 1.0)


@lru_cache(maxsize=8)
def _falloff(side: int) -> np.ndarray:
    """Per-channel illumination falloff: the periphery darker and redder (read-only)."""
    rn2 = _rn2(side)
    out = np.stack([1.0 - k * rn2 for k in (0.30, 0.50, 0.55)], axis=-1).astype(np.float32)
    out.setflags(write=False)
    return out


def _background(
    geo: Geometry, spec: PhotoSpec, rng: np.random.Generator, tessellation: float
) -> np.ndarray:
    """Fundus colour with illumination falloff, choroidal mottling and tessellation."""
    side = geo.height
    base = base_colour(spec.fundus_tone)
    ang = rng.uniform(0, 2 * np.pi)  # a random tilt of the illumination
    tilt = np.float32(rng.uniform(0.0, 0.12))
    ramp = np.linspace(-1, 1, side, dtype=np.float32)
    lum = (tilt * np.float32(np.cos(ang)) * ramp)[None, :] + (
        tilt * np.float32(np.sin(ang)) * ramp
    )[:, None]
    lum += 1.0
    lum += 0.03 * smooth_noise(rng, side, side, geo.dd * 0.5)
    lum += 0.022 * smooth_noise(rng, side, side, 2.0)
    fx, fy = geo.fovea  # the macula: darker, and darker still at the fovea
    for sigma, k in (
        (geo.dd * rng.uniform(0.75, 0.95), 0.2 + 0.1 * spec.fundus_tone),
        (geo.dd * 0.16, 0.18),
    ):
        sl, g = gaussian_patch(geo, fx, fy, sigma)
        lum[sl] *= 1.0 - k * g
    img = cv2.merge([lum * np.float32(b) for b in base])
    img *= _falloff(side)
    if tessellation > 0.1:
        m = choroid_pattern(geo, rng, tessellation)
        # Interspaces between choroidal vessels are pigmented (dark); vessels orange.
        strength = np.float32(min(1.0, tessellation))
        gain = np.array([0.25, 0.45, 0.45], np.float32) * strength
        lift = np.array([1.0, 0.55, 0.35], np.float32) * (strength * 0.08)
        mm = m[..., None]
        img *= 1.0 - gain * (1.0 - mm)
        img += lift * mm
    return img


def _macula(img: np.ndarray, geo: Geometry, rng: np.random.Generator) -> None:
    """Foveal light reflex and, in young eyes, the annular macular reflex."""
    fx, fy = geo.fovea
    dd = geo.dd
    reflex = Layer(geo.height, geo.width)
    reflex.circle(fx, fy, max(0.6, dd * 0.012))
    reflex.add(img, (0.25, 0.22, 0.18), alpha=0.7, sigma=0.5)
    if rng.random() < 0.45:  # annular macular reflex of young eyes
        ring = Layer(geo.height, geo.width)
        rr = dd * rng.uniform(0.9, 1.3)
        pts = cv2.ellipse2Poly((0, 0), (1000, 1000), 0, 0, 360, 8).astype(np.float32) / 1000
        ring.polyline(np.vstack([pts * rr + (fx, fy), pts[:1] * rr + (fx, fy)]), 1)
        ring.add(img, (0.10, 0.10, 0.10), alpha=rng.uniform(0.2, 0.7), sigma=dd * 0.05)


def _disc(img: np.ndarray, geo: Geometry, rng: np.random.Generator, ds: lesions.DiscStyle) -> None:
    """Optic disc: yellow-pink rim, pale cup, optional scleral ring."""
    x, y = geo.disc
    r = geo.disc_r
    t = geo.temporal
    rx, ry = r * rng.uniform(0.94, 1.0) * ds.squeeze, r * rng.uniform(1.03, 1.09)
    rot = rng.normal(0, 6) + ds.tilt_deg
    if rng.random() < 0.5 or ds.ring > 0:
        ring = Layer(geo.height, geo.width)
        ring.ellipse(x, y, rx * 1.07, ry * 1.05, rot)
        ring.mix(img, (0.95, 0.72, 0.5), alpha=0.25 + 0.35 * ds.ring, sigma=r * 0.04)
    disc = Layer(geo.height, geo.width)
    disc.ellipse(x, y, rx, ry, rot)
    pallor = ds.pallor
    rim = np.array([0.98, 0.64 + 0.15 * pallor, 0.46 + 0.18 * pallor], np.float32)
    disc.mix(img, rim, alpha=0.85, sigma=r * (0.03 + 0.25 * ds.swelling))
    # Temporal rim a little paler than the nasal rim.
    sl, g = gaussian_patch(geo, x + t * rx * 0.45, y, rx * 0.45, ry * 0.7)
    img[sl] += g[..., None] * np.array([0.0, 0.06, 0.05], np.float32)
    sl, g = gaussian_patch(geo, x - t * rx * 0.6, y, rx * 0.35, ry * 0.8)  # redder nasal rim
    img[sl] *= 1.0 - g[..., None] * np.array([0.02, 0.10, 0.12], np.float32)
    cd = ds.cup_disc
    cup = Layer(geo.height, geo.width)
    cup.ellipse(
        x + t * rx * (0.1 - 0.08 * cd),
        y - ry * 0.03,
        rx * cd * rng.uniform(0.82, 0.95),
        ry * cd,
        rot,
    )
    sharp = 0.03 if cd > 0.55 else 0.08
    cup.mix(img, (1.0, 0.92, 0.76), alpha=0.78, sigma=r * sharp)


def _vessels(
    img: np.ndarray, geo: Geometry, rng: np.random.Generator, style: VesselStyle, cup_disc: float
):
    """Grow, draw and composite the vessel tree; returns the tree for the lesions."""
    tree = grow_tree(geo, rng, style)
    veins, arteries, reflex = draw_tree(tree, geo, rng, style)
    if cup_disc > 0.5:  # vessels dip out of sight into a deep cup
        fade = Layer(geo.height, geo.width)
        fade.ellipse(geo.disc[0], geo.disc[1], geo.disc_r * cup_disc * 0.85, geo.disc_r * cup_disc)
        sl, m = fade.soft(geo.disc_r * 0.05)
        for lay in (veins, arteries, reflex):
            lay.mask[sl] *= 1.0 - 0.6 * m
    masks = cv2.merge([veins.mask, arteries.mask, reflex.mask])
    cv2.GaussianBlur(masks, (0, 0), 0.7, dst=masks)
    # factor = 1 - mv * (1 - vein gain) - ma * (1 - artery gain) + reflex * lift
    lift = np.array([0.10, 0.09, 0.08], np.float32) * style.reflex
    mat = np.column_stack(
        [
            np.float32(1.0) - np.array(_VEIN_GAIN, np.float32),
            np.float32(1.0) - np.array(_ARTERY_GAIN, np.float32),
            -lift,
        ]
    ).astype(np.float32)
    factor = cv2.transform(masks, np.hstack([-mat, np.ones((3, 1), np.float32)]))
    cv2.max(factor, 0.2, dst=factor)
    cv2.multiply(img, factor, dst=img)
    return tree


@lru_cache(maxsize=16)
def _camera_gain(side: int, vignetting: float, cast: tuple[float, float, float]) -> np.ndarray:
    """Vignetting x colour cast x circular field stop, as one (side, side, 3) map."""
    rn2 = _rn2(side)
    field_r = side * 0.5 * 0.985
    shade = (1.0 - 0.55 * vignetting * rn2 * rn2) * np.clip((1.0 - rn2) * field_r * 0.5 + 0.5, 0, 1)
    out = (shade[..., None] * np.asarray(cast, np.float32)).astype(np.float32)
    out.setflags(write=False)
    return out


def _camera(img: np.ndarray, geo: Geometry, camera: Camera) -> np.ndarray:
    """Colour cast, vignetting and the circular field stop; returns uint8 (side, side, 3)."""
    cast = tuple(round(float(c), 3) for c in camera.cast)
    img *= _camera_gain(geo.height, round(float(camera.vignetting), 3), cast)
    if geo.lit_r < geo.field_r - 0.5 or geo.lit_c != (geo.cx, geo.cy):
        ys = np.arange(geo.height, dtype=np.float32)[:, None] - geo.lit_c[1]
        xs = np.arange(geo.width, dtype=np.float32)[None, :] - geo.lit_c[0]
        img *= np.clip(geo.lit_r - np.sqrt(xs * xs + ys * ys) + 0.5, 0.0, 1.0)[..., None]
    return cv2.convertScaleAbs(img, alpha=255.0)


@lru_cache(maxsize=4)
def _noise_tile(side: int) -> np.ndarray:
    """A fixed uniform noise tile in 0..2*NOISE_LEVELS, a little larger than the field square.

    Photos take it at a seed-dependent offset: cheap, and deterministic from the seed.
    """
    tile = np.random.default_rng(12345).integers(
        0, 2 * NOISE_LEVELS + 1, size=(side + 64, side + 64, 3), dtype=np.uint8
    )
    tile.setflags(write=False)
    return tile


def to_frame(square: np.ndarray, camera: Camera, rng: np.random.Generator) -> np.ndarray:
    """Upscale the square canvas to the camera frame, centre it on black, add noise."""
    width, height = camera.size
    side = square_side(camera)
    if square.shape[0] != side:
        interp = cv2.INTER_CUBIC if side > square.shape[0] else cv2.INTER_AREA
        square = cv2.resize(square, (side, side), interpolation=interp)
    tile = _noise_tile(side)
    oy, ox = (int(v) for v in rng.integers(0, 64, size=2))
    square = cv2.add(square, tile[oy : oy + side, ox : ox + side])
    cv2.subtract(square, (NOISE_LEVELS, NOISE_LEVELS, NOISE_LEVELS, 0), dst=square)
    y0, x0 = (height - side) // 2, (width - side) // 2
    return cv2.copyMakeBorder(
        square, y0, height - side - y0, x0, width - side - x0, cv2.BORDER_CONSTANT, value=0
    )


def field_circle(camera: Camera) -> tuple[float, float, float]:
    """Centre x, centre y and radius of the nominal circular field in frame pixels."""
    width, height = camera.size
    return (width - 1) / 2.0, (height - 1) / 2.0, square_side(camera) * 0.985 / 2.0


def square_side(camera: Camera) -> int:
    """Side (frame pixels) of the square that holds the circular field and its margin."""
    return min(camera.side, round(camera.side * min(camera.field_fraction, 1.0) / 0.985 / 2) * 2)


def work_side(camera: Camera) -> int:
    """Side of the square working canvas for a camera."""
    return min(WORK_SIDE, square_side(camera))


def render_fundus(
    spec: PhotoSpec, side: int, rng: np.random.Generator
) -> tuple[np.ndarray, Geometry]:
    """Paint the eye (before camera effects) on a float32 canvas of ``side`` pixels."""
    geo = make_geometry(spec, side, rng)
    state = spec.state
    ds = lesions.disc_style(state, rng)
    style = lesions.vessel_style(state, rng)
    img = _background(geo, spec, rng, lesions.tessellation(state, spec.fundus_tone))
    lesions.paint_deep(img, geo, state, rng)
    _macula(img, geo, rng)
    _disc(img, geo, rng, ds)
    tree = _vessels(img, geo, rng, style, ds.cup_disc)
    lesions.paint_retinal(img, geo, state, rng, tree)
    return img, geo


def render_photo(spec: PhotoSpec) -> np.ndarray:
    """Render one colour fundus photograph (or a defective picture) for ``spec``.

    Args:
        spec: what to draw; the same spec always gives the same pixels.

    Returns:
        (H, W, 3) uint8 RGB array; H is ``spec.camera.side``, W follows its aspect.
    """
    rng = np.random.default_rng(spec.seed)
    if spec.defect is not None and spec.defect not in defects.KNOWN:
        raise ValueError(f"unknown image defect {spec.defect!r}; expected one of {defects.KNOWN}")
    if spec.defect in defects.NON_FUNDUS:
        frame = defects.render_non_fundus(spec, rng)
    else:
        img, geo = render_fundus(spec, work_side(spec.camera), rng)
        img = defects.apply_optical(img, geo, spec.defect, rng)
        frame = to_frame(_camera(img, geo, spec.camera), spec.camera, rng)
    if spec.overlay:
        defects.burn_overlay(frame, spec.overlay, field_circle(spec.camera), rng)
    return frame
