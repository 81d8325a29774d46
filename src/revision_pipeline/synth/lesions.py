"""Disease signs painted onto a synthetic fundus, in proportion to severity.

Two passes: `paint_deep` runs before the vessels are drawn (choroid, RPE and
peripapillary changes: drusen, atrophy, pigment), `paint_retinal` after them (lesions
in or in front of the retina: haemorrhages, exudates, cotton-wool spots, new vessels).
`disc_style`, `vessel_style` and `tessellation` tell the renderer how a finding
changes the disc, the vessels and the choroid. Diabetic retinopathy follows the grade
(`EyeState.dr_grade`); every other finding follows `EyeState.severity`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revision_pipeline.synth.canvas import Geometry, Layer, walk
from revision_pipeline.synth.spec import EyeState
from revision_pipeline.synth.vessels import VesselStyle, VesselTree

_HAEM = (0.60, 0.22, 0.26)  # multiplicative gain of a dark red blot
_FLAME = (0.72, 0.26, 0.30)
_EXUDATE = (1.0, 0.92, 0.52)
_CWS = (0.97, 0.94, 0.88)
_DRUSEN = (1.0, 0.88, 0.55)


@dataclass
class DiscStyle:
    """How the optic disc looks."""

    cup_disc: float = 0.3
    squeeze: float = 1.0  # horizontal compression (tilted myopic disc < 1)
    tilt_deg: float = 0.0
    pallor: float = 0.0  # 0..1
    swelling: float = 0.0  # 0..1 blurred margins (central vein occlusion, malignant hypertension)
    ring: float = 0.0  # 0..1 pale scleral ring


def _has(state: EyeState, code: str) -> bool:
    return code in state.codes


def _sev(state: EyeState) -> float:
    return float(np.clip(state.severity, 0.0, 1.0))


def disc_style(state: EyeState, rng: np.random.Generator) -> DiscStyle:
    """Disc appearance for an eye (cup, tilt, pallor, swelling)."""
    s = _sev(state)
    ds = DiscStyle(cup_disc=float(np.clip(state.cup_disc, 0.05, 0.95)))
    if _has(state, "glaucoma"):
        ds.cup_disc = max(ds.cup_disc, 0.6 + 0.3 * s)
        ds.pallor = 0.25 * s
    if _has(state, "pathologic_myopia"):
        ds.squeeze = 1.0 - 0.25 * s * rng.uniform(0.6, 1.0)
        ds.tilt_deg = rng.normal(0, 12)
        ds.ring = 0.5
    if _has(state, "rvo"):
        ds.swelling = max(ds.swelling, 0.3 * s)
    if _has(state, "hypertensive_retinopathy") and s > 0.85:
        ds.swelling = max(ds.swelling, 0.6)
    return ds


def rvo_quadrants(state: EyeState, seed_rng: np.random.Generator) -> frozenset[str]:
    """Quadrants drained by the occluded vein: all four (central) or one branch."""
    u = seed_rng.random()
    if u < 0.35:
        return frozenset({"st", "it", "sn", "in"})
    return frozenset({"st"}) if u < 0.8 else frozenset({"it"})


def vessel_style(state: EyeState, rng: np.random.Generator) -> VesselStyle:
    """Vessel calibre, tortuosity and crossing changes for an eye."""
    s = _sev(state)
    vs = VesselStyle(cup_disc=disc_cup(state))
    if _has(state, "hypertensive_retinopathy"):
        vs.artery_width = 1.0 - 0.35 * s
        vs.artery_wiggle = 0.35
        vs.reflex = 1.0 + 1.5 * s
        vs.av_nicking = 0.35 + 0.6 * s
    if _has(state, "rvo"):
        vs.congested = rvo_quadrants(state, rng)
        vs.congestion = 0.4 + 0.6 * s
    if state.dr_grade >= 3:
        vs.vein_wiggle = 1.4
        vs.vein_width = 1.12
    return vs


def disc_cup(state: EyeState) -> float:
    """Vertical cup/disc ratio actually drawn (glaucoma raises a too-small value)."""
    cd = float(np.clip(state.cup_disc, 0.05, 0.95))
    return max(cd, 0.6 + 0.3 * _sev(state)) if _has(state, "glaucoma") else cd


def tessellation(state: EyeState, tone: float) -> float:
    """Visibility 0..1 of the choroidal vessel pattern."""
    t = 0.3 * (1.0 - float(np.clip(tone, 0, 1))) ** 2
    if _has(state, "pathologic_myopia"):
        t = max(t, 0.45 + 0.55 * _sev(state))
    return t


def _points(
    geo: Geometry,
    rng: np.random.Generator,
    n: int,
    centre: tuple[float, float],
    spread_dd: float,
    min_disc_dd: float = 0.6,
    min_fovea_dd: float = 0.0,
) -> np.ndarray:
    """``n`` points scattered around ``centre`` (Gaussian, in disc diameters), in the field."""
    if n <= 0:
        return np.zeros((0, 2), np.float32)
    dd = geo.dd
    p = rng.normal(0, spread_dd * dd, size=(4 * n + 8, 2)) + np.asarray(centre)
    ok = np.hypot(p[:, 0] - geo.cx, p[:, 1] - geo.cy) < geo.field_r * 0.93
    ok &= np.hypot(p[:, 0] - geo.disc[0], p[:, 1] - geo.disc[1]) > min_disc_dd * dd
    ok &= np.hypot(p[:, 0] - geo.fovea[0], p[:, 1] - geo.fovea[1]) >= min_fovea_dd * dd
    return p[ok][:n].astype(np.float32)


def _pole(geo: Geometry) -> tuple[float, float]:
    """Centre of the posterior pole, between disc and fovea."""
    return (0.35 * geo.disc[0] + 0.65 * geo.fovea[0], 0.35 * geo.disc[1] + 0.65 * geo.fovea[1])


# ---------------------------------------------------------------------------- primitives
def _blots(img, geo, rng, pts, r_dd: tuple[float, float], gain, sigma_dd=0.01) -> None:
    """Dark red round haemorrhages (or microaneurysms for tiny radii)."""
    if len(pts) == 0:
        return
    layer = Layer(geo.height, geo.width)
    dd = geo.dd
    for x, y in pts:
        r = dd * rng.uniform(*r_dd)
        layer.circle(x, y, max(0.7, r))
        if r > 1.5:  # irregular blot: a lobe or two
            for _ in range(int(rng.integers(1, 4))):
                a = rng.uniform(0, 2 * np.pi)
                rr = r * rng.uniform(0.5, 0.8)
                layer.circle(x + 0.6 * r * np.cos(a), y + 0.6 * r * np.sin(a), rr)
    layer.multiply(img, gain, alpha=0.95, sigma=max(0.4, sigma_dd * dd))


def _flames(img, geo, rng, pts, dirs, size_dd=(0.08, 0.24), gain=_FLAME) -> None:
    """Splinter/flame haemorrhages: feathered, striated streaks along the nerve fibres."""
    if len(pts) == 0:
        return
    layer = Layer(geo.height, geo.width)
    dd = geo.dd
    for (x, y), a in zip(pts, dirs, strict=True):
        rx = dd * rng.uniform(*size_dd)
        ry = max(0.7, rx * rng.uniform(0.12, 0.22))
        ca, sa = np.cos(a), np.sin(a)
        for k in range(int(rng.integers(2, 5))):  # a few parallel fibres of blood
            off = (k - 1) * ry * 1.1 + rng.normal(0, ry * 0.3)
            along = rng.normal(0, rx * 0.25)
            cx, cy = x - sa * off + ca * along, y + ca * off + sa * along
            rk = rx * rng.uniform(0.6, 1.0)
            layer.ellipse(cx, cy, rk, ry, np.rad2deg(a), float(rng.uniform(0.6, 1.0)))
    layer.multiply(img, gain, alpha=0.92, sigma=max(0.5, 0.01 * dd))


def _cotton_wool(img, geo, rng, n: int) -> None:
    """Fluffy white nerve-fibre infarcts near the arcades, within ~3 DD of the disc."""
    if n <= 0:
        return
    dd = geo.dd
    layer = Layer(geo.height, geo.width)
    t = geo.temporal
    for _ in range(n):
        a = rng.uniform(-1.3, 1.3) + (0 if rng.random() < 0.75 else np.pi)
        d = dd * rng.uniform(0.9, 2.8)
        x = geo.disc[0] + t * d * np.cos(a) * (1 if rng.random() < 0.8 else -1)
        y = geo.disc[1] + d * np.sin(a) * 1.2
        if np.hypot(x - geo.cx, y - geo.cy) > 0.85 * geo.field_r:  # keep to the posterior pole
            x, y = 0.5 * (x + geo.fovea[0]), 0.5 * (y + geo.fovea[1])
        rx = dd * rng.uniform(0.1, 0.22)
        ang = np.rad2deg(np.arctan2(y - geo.disc[1], x - geo.disc[0])) + 90
        for _ in range(3):
            layer.ellipse(
                x + rng.normal(0, rx * 0.3),
                y + rng.normal(0, rx * 0.3),
                rx * rng.uniform(0.6, 1.0),
                rx * rng.uniform(0.4, 0.7),
                ang,
                float(rng.uniform(0.6, 1.0)),
            )
    layer.mix(img, _CWS, alpha=0.78, sigma=dd * 0.035)


def _exudate_ring(img, geo, rng, layer: Layer, centre, ring_dd: float, n: int) -> None:
    """Hard exudates in a circinate ring (drawn into ``layer``)."""
    dd = geo.dd
    ang = rng.uniform(0, 2 * np.pi, n)
    keep = rng.random(n) < 0.8  # an incomplete ring
    rr = ring_dd * dd * (1 + rng.normal(0, 0.12, n))
    for a, r, k in zip(ang, rr, keep, strict=True):
        if not k:
            continue
        x, y = centre[0] + r * np.cos(a), centre[1] + r * np.sin(a)
        rad = dd * rng.uniform(0.01, 0.032)
        layer.circle(x, y, max(0.7, rad))
        if rng.random() < 0.2:
            layer.ellipse(x, y, rad * 2.5, rad, np.rad2deg(a) + 90)


def _new_vessels(img, geo, rng, centre, radius_dd: float, n: int) -> None:
    """A tangle of fine looping new vessels."""
    dd = geo.dd
    layer = Layer(geo.height, geo.width)
    for _ in range(n):
        a = rng.uniform(0, 2 * np.pi)
        r = radius_dd * dd * np.sqrt(rng.random())
        start = (centre[0] + r * np.cos(a), centre[1] + r * np.sin(a))
        pts = walk(
            rng, start, rng.uniform(0, 2 * np.pi), dd * rng.uniform(0.25, 0.7), 1.0, 14.0 / dd
        )
        layer.polyline(pts, 1, float(rng.uniform(0.5, 0.9)))
    layer.multiply(img, (0.55, 0.28, 0.34), alpha=0.9, sigma=0.4)


# ---------------------------------------------------------------------------- findings
def _paint_dr(img, geo, rng, grade: int, tree: VesselTree) -> None:
    dd = geo.dd
    pole = _pole(geo)
    ma_n = {1: (4, 12), 2: (10, 30), 3: (20, 45), 4: (15, 40)}[grade]
    _blots(
        img,
        geo,
        rng,
        _points(geo, rng, int(rng.integers(*ma_n)), pole, 1.4, 0.6, 0.25),
        (0.012, 0.026),
        (0.50, 0.22, 0.28),
        sigma_dd=0.003,
    )
    if grade >= 2:
        bl_n = {2: (3, 10), 3: (18, 38), 4: (8, 24)}[grade]
        pts = _points(
            geo, rng, int(rng.integers(*bl_n)), pole, 1.8 if grade == 2 else 2.6, 0.7, 0.3
        )
        _blots(img, geo, rng, pts, (0.035, 0.09), _HAEM)
    exu_clusters = 0
    if grade == 2 and rng.random() < 0.6:
        exu_clusters = int(rng.integers(1, 3))
    elif grade >= 3:
        exu_clusters = int(rng.integers(1, 4))
    if exu_clusters:
        layer = Layer(geo.height, geo.width)
        for c in _points(geo, rng, exu_clusters, geo.fovea, 1.1, 0.9, 0.5):
            _exudate_ring(img, geo, rng, layer, c, rng.uniform(0.2, 0.6), int(rng.integers(15, 60)))
        layer.mix(img, _EXUDATE, alpha=0.92, sigma=0.45)
    cws = int(rng.integers(2, 7)) if grade >= 3 else int(grade == 2 and rng.random() < 0.3)
    _cotton_wool(img, geo, rng, cws)
    if grade >= 3:  # a few flame haemorrhages
        veins = tree.of("v")
        _flames_along(img, geo, rng, veins, int(rng.integers(2, 7)), 0.7)
    if grade == 4:
        nvd = rng.random() < 0.7
        if nvd:
            _new_vessels(img, geo, rng, geo.disc, 0.7, int(rng.integers(14, 30)))
        if not nvd or rng.random() < 0.5:
            trunks = [v for v in tree.vessels if v.depth == 0 and len(v.pts) > dd * 1.5]
            v = trunks[int(rng.integers(len(trunks)))]
            p = v.pts[int(rng.integers(int(dd * 0.6), len(v.pts)))]
            _new_vessels(img, geo, rng, (float(p[0]), float(p[1])), 0.45, int(rng.integers(12, 26)))
        if rng.random() < 0.4:  # boat-shaped preretinal haemorrhage with a flat upper level
            c = _points(geo, rng, 1, geo.fovea, 1.2, 1.0, 0.8)
            if len(c):
                rx, ry = dd * rng.uniform(0.4, 1.0), dd * rng.uniform(0.35, 0.7)
                t = np.linspace(0, np.pi, 40)
                wob = 1.0 + 0.08 * np.sin(t * rng.uniform(3, 7) + rng.uniform(0, 6))
                poly = np.stack([c[0, 0] + rx * np.cos(t), c[0, 1] + ry * wob * np.sin(t)], axis=1)
                layer = Layer(geo.height, geo.width)
                layer.polygon(poly.astype(np.float32))
                layer.mix(img, (0.62, 0.10, 0.07), alpha=0.85, sigma=dd * 0.015)
                low = Layer(geo.height, geo.width)  # settled blood: darker below
                low.ellipse(c[0, 0], c[0, 1] + ry * 0.65, rx * 0.75, ry * 0.35)
                low.multiply(img, (0.7, 0.6, 0.6), alpha=0.8, sigma=dd * 0.08)


def _flames_along(img, geo, rng, veins, n: int, min_dd: float, max_dd: float = 9.0) -> None:
    """``n`` flame haemorrhages beside the given veins, ``min_dd``..``max_dd`` from the disc."""
    cand_p, cand_d = [], []
    for v in veins:
        if len(v.pts) < 3 or v.depth > 2:
            continue
        d = np.gradient(v.pts, axis=0)
        cand_p.append(v.pts)
        cand_d.append(np.arctan2(d[:, 1], d[:, 0]))
    if not cand_p or n <= 0:
        return
    p = np.concatenate(cand_p)
    a = np.concatenate(cand_d)
    dist = np.hypot(p[:, 0] - geo.disc[0], p[:, 1] - geo.disc[1])
    ok = np.flatnonzero((dist > min_dd * geo.dd) & (dist < max_dd * geo.dd))
    if len(ok) == 0:
        return
    idx = rng.choice(ok, size=n)
    off = rng.normal(0, 0.18 * geo.dd, size=(n, 1))
    normal = np.stack([-np.sin(a[idx]), np.cos(a[idx])], axis=1)
    pts = p[idx] + normal * off
    _flames(img, geo, rng, pts, a[idx] + rng.normal(0, 0.25, n))


def _paint_rvo(img, geo, rng, s: float, tree: VesselTree) -> None:
    congested = tree.congested or frozenset({"st"})
    central = len(congested) >= 3
    n = int((40 + 90 * s) if central else (15 + 40 * s))
    start = 0.3 if central else rng.uniform(0.9, 1.6)
    _flames_along(img, geo, rng, tree.of("v", congested), n, start)
    if central:  # haemorrhages crowd around the disc
        a = rng.uniform(0, 2 * np.pi, int(10 + 20 * s))
        r = geo.disc_r * rng.uniform(1.0, 2.2, len(a))
        pts = np.stack([geo.disc[0] + r * np.cos(a), geo.disc[1] + r * np.sin(a)], 1)
        _flames(img, geo, rng, pts, a + rng.normal(0, 0.2, len(a)))
    blots = _points(geo, rng, int(n * 0.2), _pole(geo), 2.5, 0.6, 0.3)
    if not central and len(blots):  # keep branch occlusion blots on the affected side
        up = next(iter(congested)).startswith("s")
        blots = blots[(blots[:, 1] < geo.disc[1] + 0.2 * geo.dd) == up]
    _blots(img, geo, rng, blots, (0.03, 0.07), _HAEM)
    if s > 0.3:
        _cotton_wool(img, geo, rng, int(rng.integers(1, 4 if not central else 8)))


def _paint_htn(img, geo, rng, s: float, tree: VesselTree) -> None:
    if s > 0.4:
        _flames_along(img, geo, rng, tree.of("v"), int(2 + 10 * s), 0.5, 3.0)
    if s > 0.55:
        _cotton_wool(img, geo, rng, int(rng.integers(1, 2 + int(5 * s))))
    if s > 0.85:  # macular star of exudates
        layer = Layer(geo.height, geo.width)
        dd = geo.dd
        fx, fy = geo.fovea
        for a in rng.uniform(0, 2 * np.pi, int(rng.integers(8, 16))):
            for r in np.sort(rng.uniform(0.25, 1.0, int(rng.integers(2, 7)))) * dd:
                a += rng.normal(0, 0.05)
                rad = max(0.7, dd * rng.uniform(0.01, 0.025))
                layer.circle(fx + r * np.cos(a), fy + r * np.sin(a), rad)
        layer.mix(img, _EXUDATE, alpha=0.9, sigma=0.45)


def _paint_glaucoma_retina(img, geo, rng, s: float) -> None:
    dd = geo.dd
    t = geo.temporal
    if s > 0.4 and rng.random() < 0.6:  # wedge-shaped nerve-fibre layer defect
        sign = 1 if rng.random() < 0.6 else -1  # inferotemporal more often
        a0 = np.arctan2(sign * 0.9, t * 1.0)
        ang = np.linspace(a0 - 0.12, a0 + 0.12, 8)
        far = np.stack(
            [geo.disc[0] + 3.5 * dd * np.cos(ang), geo.disc[1] + 3.5 * dd * np.sin(ang)], 1
        )
        poly = np.vstack([[geo.disc], far]).astype(np.float32)
        layer = Layer(geo.height, geo.width)
        layer.polygon(poly)
        layer.multiply(img, (0.9, 0.85, 0.85), alpha=0.9, sigma=dd * 0.08)
    if rng.random() < 0.25:  # splinter haemorrhage at the disc margin
        a = np.arctan2(0.8, t * 0.6)
        x = geo.disc[0] + geo.disc_r * 1.0 * np.cos(a)
        y = geo.disc[1] + geo.disc_r * 1.05 * np.sin(a)
        _flames(img, geo, rng, np.array([[x, y]]), np.array([a]), (0.12, 0.2))


def _paint_amd(img, geo, rng, s: float) -> None:
    dd = geo.dd
    f = geo.fovea
    soft = Layer(geo.height, geo.width)
    hard = Layer(geo.height, geo.width)
    for x, y in _points(geo, rng, int(25 + 150 * s), f, 0.6, 1.0):
        if rng.random() < 0.3 + 0.5 * s:
            soft.circle(x, y, dd * rng.uniform(0.03, 0.05 + 0.05 * s), float(rng.uniform(0.6, 1)))
        else:
            hard.circle(x, y, max(0.7, dd * rng.uniform(0.01, 0.025)))
    soft.mix(img, _DRUSEN, alpha=0.8, sigma=dd * 0.022)
    hard.mix(img, _DRUSEN, alpha=0.92, sigma=0.5)
    if s > 0.35:
        pig = Layer(geo.height, geo.width)
        for x, y in _points(geo, rng, int(3 + 14 * s), f, 0.4, 1.0):
            for _ in range(int(rng.integers(1, 4))):
                pig.circle(
                    x + rng.normal(0, 2),
                    y + rng.normal(0, 2),
                    max(0.8, dd * rng.uniform(0.012, 0.035)),
                )
        pig.multiply(img, (0.35, 0.3, 0.32), alpha=0.9, sigma=0.6)
    if s > 0.7:  # geographic atrophy: sharply demarcated pale area showing choroidal vessels
        rad = dd * (0.25 + 0.45 * (s - 0.7) / 0.3)
        ga = Layer(geo.height, geo.width)
        for _ in range(int(rng.integers(2, 5))):
            ga.ellipse(
                f[0] + rng.normal(0, rad * 0.3),
                f[1] + rng.normal(0, rad * 0.3),
                rad * rng.uniform(0.5, 0.9),
                rad * rng.uniform(0.45, 0.8),
                rng.uniform(0, 180),
            )
        ga.mix(img, (0.92, 0.70, 0.48), alpha=0.7, sigma=0.8)
        ch = Layer(geo.height, geo.width)
        for _ in range(int(rng.integers(3, 7))):
            pts = walk(
                rng,
                (f[0] + rng.normal(0, rad * 0.4), f[1] + rng.normal(0, rad * 0.4)),
                rng.uniform(0, 2 * np.pi),
                rad * 1.2,
                2.0,
                2.0 / dd,
            )
            ch.polyline(pts, max(2, int(dd * 0.07)))
        sl, chm = ch.soft(1.0)
        gsl, gam = ga.soft(0.8)
        both = np.zeros_like(ga.mask)
        both[sl] = chm
        both[gsl] *= gam
        img[gsl] += both[gsl][..., None] * np.array([0.02, -0.07, -0.05], np.float32)


def _paint_myopia(img, geo, rng, s: float) -> None:
    dd = geo.dd
    t = geo.temporal
    x, y = geo.disc
    w = dd * (0.15 + 0.65 * s) * rng.uniform(0.8, 1.2)  # peripapillary atrophy crescent
    ppa = Layer(geo.height, geo.width)
    for _ in range(3):
        px = x + t * w * rng.uniform(0.3, 0.6)
        py = y + rng.normal(0, 0.08 * dd)
        ry = geo.disc_r * (1.0 + 0.25 * s) * rng.uniform(0.9, 1.1)
        ppa.ellipse(px, py, geo.disc_r + w * rng.uniform(0.4, 0.6), ry, rng.normal(0, 8))
    ppa.mix(img, (0.92, 0.80, 0.68), alpha=0.75, sigma=1.2)
    pig = Layer(geo.height, geo.width)
    for a in rng.uniform(-1.2, 1.2, int(rng.integers(4, 12))):
        rr = geo.disc_r + w * rng.uniform(0.7, 1.0)
        pr = max(0.8, dd * rng.uniform(0.01, 0.03))
        pig.circle(x + t * (rr * np.cos(a) + w * 0.3), y + rr * np.sin(a), pr)
    pig.multiply(img, (0.4, 0.35, 0.35), alpha=0.8, sigma=0.6)
    if s > 0.55:  # patchy chorioretinal atrophy with pigmented borders
        patches = Layer(geo.height, geo.width)
        n = int(rng.integers(1, 2 + int(4 * s)))
        for px, py in _points(geo, rng, n, _pole(geo), 0.9, 0.9, 0.5):
            for _ in range(int(rng.integers(2, 5))):
                qx, qy = px + rng.normal(0, 0.1 * dd), py + rng.normal(0, 0.1 * dd)
                ax, ay = dd * rng.uniform(0.08, 0.25), dd * rng.uniform(0.06, 0.18)
                patches.ellipse(qx, qy, ax, ay, rng.uniform(0, 180))
        edge = Layer(geo.height, geo.width)
        edge.mask[:] = patches.mask
        edge.box = list(patches.box)
        edge.multiply(img, (0.5, 0.45, 0.45), alpha=0.8, sigma=dd * 0.03)
        patches.mix(img, (0.95, 0.86, 0.70), alpha=0.8, sigma=1.2)
    if s > 0.7 and rng.random() < 0.6:  # lacquer cracks
        cracks = Layer(geo.height, geo.width)
        for _ in range(int(rng.integers(1, 4))):
            p0 = _points(geo, rng, 1, geo.fovea, 0.5, 0.8)
            if len(p0):
                start = (float(p0[0, 0]), float(p0[0, 1]))
                pts = walk(rng, start, rng.uniform(0, 2 * np.pi), dd * 0.8, 1.5, 3.0 / dd)
                cracks.polyline(pts, 1)
        cracks.mix(img, (0.95, 0.85, 0.65), alpha=0.7, sigma=0.4)
    if s > 0.8 and rng.random() < 0.4:  # Fuchs spot
        spot = Layer(geo.height, geo.width)
        spot.circle(geo.fovea[0], geo.fovea[1], dd * 0.12)
        spot.multiply(img, (0.3, 0.3, 0.35), alpha=0.8, sigma=dd * 0.04)


def paint_deep(img: np.ndarray, geo: Geometry, state: EyeState, rng: np.random.Generator) -> None:
    """Signs below the retinal vessels (drusen, atrophy, pigment, PPA), in place."""
    s = _sev(state)
    if _has(state, "pathologic_myopia"):
        _paint_myopia(img, geo, rng, s)
    if _has(state, "glaucoma") and s > 0.5 and rng.random() < 0.6:  # beta-zone atrophy
        t = geo.temporal
        ppa = Layer(geo.height, geo.width)
        ppa.ellipse(
            geo.disc[0] + t * geo.disc_r * 0.25, geo.disc[1], geo.disc_r * 1.3, geo.disc_r * 1.15
        )
        ppa.mix(img, (0.92, 0.78, 0.62), alpha=0.35, sigma=1.5)
    if _has(state, "amd"):
        _paint_amd(img, geo, rng, s)


def paint_retinal(
    img: np.ndarray, geo: Geometry, state: EyeState, rng: np.random.Generator, tree: VesselTree
) -> None:
    """Signs in or in front of the retina (haemorrhages, exudates, new vessels), in place."""
    s = _sev(state)
    if state.dr_grade > 0:
        _paint_dr(img, geo, rng, state.dr_grade, tree)
    if _has(state, "rvo"):
        _paint_rvo(img, geo, rng, s, tree)
    if _has(state, "hypertensive_retinopathy"):
        _paint_htn(img, geo, rng, s, tree)
    if _has(state, "glaucoma"):
        _paint_glaucoma_retina(img, geo, rng, s)
