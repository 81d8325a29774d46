"""The retinal vessel tree of a synthetic fundus photograph.

Four arcades leave the disc (superotemporal, inferotemporal, superonasal,
inferonasal), each as an artery and a vein. The temporal ones arch around the macula.
Trunks are smoothed control-point paths with sinusoidal tortuosity; branches are
smooth random walks that taper until they vanish, and never enter the foveal avascular
zone. Everything is in working-canvas pixels.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from revision_pipeline.synth.canvas import SHIFT, Geometry, Layer, fixed, walk

# Trunk control points in disc diameters from the disc centre:
# u towards the temporal side (macula), v downwards. Superior halves; inferior ones
# are mirrored in v (and pushed down a little: the fovea lies below the disc).
_TRUNKS_SUP: dict[str, list[tuple[float, float]]] = {
    "st": [
        (0.0, 0.0),
        (0.05, -0.55),
        (0.35, -1.1),
        (0.95, -1.55),
        (1.8, -1.8),
        (2.7, -1.85),
        (3.6, -1.6),
        (4.4, -1.2),
        (5.2, -0.7),
        (6.0, -0.2),
    ],
    "sn": [
        (0.0, 0.0),
        (-0.2, -0.5),
        (-0.6, -1.1),
        (-1.05, -1.8),
        (-1.5, -2.6),
        (-1.9, -3.4),
        (-2.2, -4.2),
    ],
}
_TRUNK_W = {"a": 0.068, "v": 0.092}  # trunk calibre at the disc, in disc diameters


@dataclass
class VesselStyle:
    """How disease changes the vessels (1.0 = normal)."""

    artery_width: float = 1.0
    vein_width: float = 1.0
    artery_wiggle: float = 1.0
    vein_wiggle: float = 1.0
    reflex: float = 1.0
    av_nicking: float = 0.0  # share of artery/vein crossings that show nicking
    congested: frozenset[str] = frozenset()  # quadrants with dilated tortuous veins (RVO)
    congestion: float = 0.0  # 0..1 strength of that dilation
    cup_disc: float = 0.3  # trunks bend over the rim of a large cup


@dataclass
class Vessel:
    """One vessel segment: points (n, 2), calibre per point (pixels), kind and quadrant."""

    kind: str  # "a" artery, "v" vein
    quadrant: str  # "st", "it", "sn", "in"
    pts: np.ndarray
    width: np.ndarray
    depth: int = 0


@dataclass
class VesselTree:
    """All vessels of one eye."""

    vessels: list[Vessel] = field(default_factory=list)
    congested: frozenset[str] = frozenset()  # quadrants of an occluded vein

    def of(self, kind: str, quadrants: set[str] | frozenset[str] | None = None) -> list[Vessel]:
        """Vessels of one kind, optionally only those of some quadrants."""
        return [
            v
            for v in self.vessels
            if v.kind == kind and (quadrants is None or v.quadrant in quadrants)
        ]


def _smooth_path(ctrl: np.ndarray, step: float, sigma_pts: float) -> np.ndarray:
    """Resample a polyline every ``step`` pixels and smooth it with a Gaussian."""
    seg = np.linalg.norm(np.diff(ctrl, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.arange(0.0, s[-1], step)
    pts = np.stack([np.interp(t, s, ctrl[:, 0]), np.interp(t, s, ctrl[:, 1])], axis=1)
    k = max(1, int(sigma_pts))
    ker = np.exp(-0.5 * (np.arange(-3 * k, 3 * k + 1) / k) ** 2)
    ker /= ker.sum()
    padded = np.pad(pts, ((3 * k, 3 * k), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, i], ker, mode="valid") for i in range(2)], axis=1)


def _tortuous(
    pts: np.ndarray, rng: np.random.Generator, amp: float, wavelength: float
) -> np.ndarray:
    """Add sideways sinusoidal meanders of amplitude ``amp`` pixels."""
    d = np.gradient(pts, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True) + 1e-6
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    off = np.zeros(len(pts))
    for _ in range(3):
        lam = wavelength * rng.uniform(0.5, 1.5)
        off += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * s / lam + rng.uniform(0, 2 * np.pi))
    ramp = np.clip(s / (wavelength * 0.7), 0, 1)  # leave the disc straight
    return pts + normal * (amp * off * ramp)[:, None]


def _inside(pts: np.ndarray, geo: Geometry, margin: float = 1.0) -> int:
    """Number of leading points that stay inside the field."""
    r = np.hypot(pts[:, 0] - geo.cx, pts[:, 1] - geo.cy)
    out = np.flatnonzero(r > geo.field_r * margin)
    return int(out[0]) if len(out) else len(pts)


def _trunk_ctrl(
    name: str, geo: Geometry, rng: np.random.Generator, style: VesselStyle
) -> np.ndarray:
    base = name[0] + ("t" if name[1] == "t" else "n")
    sup = _TRUNKS_SUP["s" + base[1]]
    ctrl = np.array(sup, np.float64)
    if name[0] == "i":
        ctrl[:, 1] = -ctrl[:, 1] + np.linspace(0.0, 0.35, len(ctrl))
    ctrl[:, 0] *= rng.uniform(0.9, 1.1)
    ctrl[:, 1] *= rng.uniform(0.85, 1.12)
    ctrl[1:] += rng.normal(0, 0.08, ctrl[1:].shape)
    cd = style.cup_disc
    if cd > 0.5:  # vessels run along the cup floor to its nasal edge, then climb the rim
        sgn = -1.0 if name[0] == "s" else 1.0
        edge = 0.5 * cd
        ctrl = np.vstack(
            [[(-0.05, 0.0), (-edge * 0.9, sgn * 0.08), (-edge * 0.95, sgn * edge)], ctrl[2:]]
        )
    dd = geo.dd
    x = geo.disc[0] + geo.temporal * ctrl[:, 0] * dd
    y = geo.disc[1] + ctrl[:, 1] * dd
    return np.stack([x, y], axis=1)


def _branch(
    tree: VesselTree,
    geo: Geometry,
    rng: np.random.Generator,
    parent: Vessel,
    wiggle: float,
    max_depth: int,
) -> None:
    """Spawn tapering side branches along ``parent`` (recursively)."""
    dd = geo.dd
    pts, w = parent.pts, parent.width
    n = len(pts)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    trunk = parent.depth == 0
    u = rng.random((int(s[-1] / (0.45 * dd)) + 2, 7)).tolist()  # pre-drawn uniforms
    pos = dd * ((0.5 + 0.4 * u[0][0]) if trunk else (0.2 + 0.4 * u[0][0]))
    side = 1.0 if u[0][1] < 0.5 else -1.0
    fx, fy = geo.fovea
    cx, cy, lim = geo.cx, geo.cy, geo.field_r * 0.995
    for k in range(1, len(u)):
        if pos >= s[-1] - dd * 0.3:
            break
        r = u[k]
        i = int(np.searchsorted(s, pos))
        if i >= n - 2:
            break
        cw = float(w[i]) * (0.5 + 0.28 * r[0])
        if cw > 0.5:
            a, b = pts[min(i + 2, n - 1)], pts[max(i - 2, 0)]
            ang = math.atan2(float(a[1] - b[1]), float(a[0] - b[0])) + side * math.radians(
                30 + 45 * r[1]
            )
            x0, y0 = float(pts[i, 0]), float(pts[i, 1])
            inward = math.cos(ang) * (fx - x0) + math.sin(ang) * (fy - y0) > 0
            near = math.hypot(fx - x0, fy - y0) < 3.2 * dd
            length = dd * ((0.6 + 1.0 * r[2]) if inward and near else (1.5 + 3.0 * r[2]))
            length *= 1.0 if trunk else 0.7
            cpts = walk(rng, (x0, y0), ang, length, 2.0, wiggle / dd)
            bad = (np.hypot(cpts[:, 0] - cx, cpts[:, 1] - cy) > lim) | (
                np.hypot(cpts[:, 0] - fx, cpts[:, 1] - fy) < 0.4 * dd
            )
            keep = int(np.argmax(bad)) if bad.any() else len(cpts)
            if keep >= 4:
                cpts = cpts[:keep]
                taper = np.linspace(1.0, 0.25 + 0.25 * r[3], len(cpts), dtype=np.float32)
                child = Vessel(parent.kind, parent.quadrant, cpts, cw * taper, parent.depth + 1)
                tree.vessels.append(child)
                w[i:] *= 0.82 + 0.11 * r[4]  # the parent narrows after giving off a branch
                if child.depth < max_depth and cw > 1.2:
                    _branch(tree, geo, rng, child, wiggle, max_depth)
        side = -side if r[5] < 0.75 else side
        pos += dd * ((0.55 + 0.6 * r[6]) if trunk else (0.6 + 0.8 * r[6]))


def grow_tree(geo: Geometry, rng: np.random.Generator, style: VesselStyle) -> VesselTree:
    """Generate the vessel tree of one eye."""
    tree = VesselTree(congested=style.congested)
    dd = geo.dd
    for quadrant in ("st", "it", "sn", "in"):
        for kind in ("v", "a"):
            ctrl = _trunk_ctrl(quadrant, geo, rng, style)
            pts = _smooth_path(ctrl, 2.0, 0.18 * dd / 2.0)
            congested = kind == "v" and quadrant in style.congested
            wig = style.artery_wiggle if kind == "a" else style.vein_wiggle
            if congested:
                wig *= 1.0 + 1.5 * style.congestion
            pts = _tortuous(pts, rng, 0.05 * dd * wig, dd * rng.uniform(0.9, 1.6))
            pts = pts[: _inside(pts, geo, 0.995)]
            if len(pts) < 4:
                continue
            # smoothing pulled the start off the disc centre: join it back to the cup
            c = np.array(geo.disc) + rng.normal(0, 0.03 * dd, 2)
            gap = float(np.hypot(*(pts[0] - c)))
            lead = np.linspace(c, pts[0], max(2, int(gap / 2.0) + 1), endpoint=False)
            pts = np.vstack([lead, pts])
            w0 = _TRUNK_W[kind] * dd * rng.uniform(0.9, 1.1)
            if quadrant in ("sn", "in"):
                w0 *= 0.8
            w0 *= style.artery_width if kind == "a" else style.vein_width
            if congested:
                w0 *= 1.0 + 0.6 * style.congestion
            s = np.linspace(0.0, 1.0, len(pts))
            width = (w0 * (1.0 - 0.45 * s)).astype(np.float32)
            trunk = Vessel(kind, quadrant, pts.astype(np.float32), width)
            tree.vessels.append(trunk)
            _branch(tree, geo, rng, trunk, 1.2 * wig, max_depth=2)
    return tree


def _runs(v: Vessel, groups: dict, scale: float = 1.0, value: float = 1.0) -> None:
    """Split a vessel into runs of equal integer thickness, grouped by (thickness, level)."""
    w = v.width * scale
    thick = np.maximum(1, np.rint(w)).astype(np.int32)
    level = np.where(w < 1.0, np.round(np.clip(w, 0.2, 1.0) * 4) / 4, 1.0) * value
    key = thick * 10 + np.rint(level * 4)
    cuts = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1, [len(w)]])
    pts = fixed(v.pts)
    for a, b in itertools.pairwise(cuts):
        seg = pts[a : min(b + 1, len(w))]
        if len(seg) >= 2:
            groups.setdefault((int(thick[a]), float(level[a])), []).append(seg)


def _flush(layer: Layer, groups: dict) -> None:
    """Draw grouped runs (one OpenCV call per thickness and level)."""
    for (thick, level), segs in groups.items():
        cv2.polylines(layer.mask, segs, False, level, thick, cv2.LINE_AA, SHIFT)
    layer.box = [0, 0, layer.w, layer.h]


def _nick(
    tree: VesselTree,
    arteries: Layer,
    veins: Layer,
    geo: Geometry,
    rng: np.random.Generator,
    share: float,
) -> None:
    """Arteriovenous nicking: the vein thins out on both sides of an artery crossing it."""
    hits = []
    for v in tree.of("v"):
        p = np.rint(v.pts).astype(np.int32)
        ok = (p[:, 0] >= 0) & (p[:, 0] < geo.width) & (p[:, 1] >= 0) & (p[:, 1] < geo.height)
        idx = np.flatnonzero(ok)
        under = idx[arteries.mask[p[idx, 1], p[idx, 0]] > 0.6]
        if len(under) == 0:
            continue
        # one crossing per run of consecutive points
        starts = under[np.concatenate([[True], np.diff(under) > 3])]
        for i in starts:
            if v.width[i] > 1.2 and rng.random() < share:
                hits.append((float(v.pts[i, 0]), float(v.pts[i, 1]), float(v.width[i])))
    if not hits:
        return
    gap = Layer(geo.height, geo.width)
    for x, y, w in hits:
        gap.circle(x, y, 2.2 * w + 1.5)
    sl, m = gap.soft(1.0)
    veins.mask[sl] *= 1.0 - 0.85 * m


def draw_tree(
    tree: VesselTree, geo: Geometry, rng: np.random.Generator, style: VesselStyle
) -> tuple[Layer, Layer, Layer]:
    """Rasterise the tree into (vein, artery, arterial light reflex) masks."""
    veins, arteries, reflex = (Layer(geo.height, geo.width) for _ in range(3))
    gv: dict = {}
    ga: dict = {}
    gr: dict = {}
    for v in tree.vessels:
        if v.kind == "v":
            _runs(v, gv)
        else:
            _runs(v, ga)
            small = np.flatnonzero(v.width < 3.0)
            end = int(small[0]) if len(small) else len(v.width)
            if end >= 3:
                thin = Vessel(v.kind, v.quadrant, v.pts[:end], v.width[:end] * 0.32)
                _runs(thin, gr, value=min(1.0, style.reflex))
    _flush(veins, gv)
    _flush(arteries, ga)
    _flush(reflex, gr)
    if style.av_nicking > 0:
        _nick(tree, arteries, veins, geo, rng, style.av_nicking)
    for layer in (veins, arteries):
        np.minimum(layer.mask, 1.0, out=layer.mask)
    return veins, arteries, reflex
