"""Tests of the procedural fundus renderer: geometry, lesions, defects, overlays."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from revision_pipeline.synth import overlay
from revision_pipeline.synth.fundus import field_circle, render_photo
from revision_pipeline.synth.spec import FINDINGS, IMAGE_DEFECTS, Camera, EyeState, PhotoSpec

CAM = Camera(side=320, aspect="4:3", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90)
BIG = Camera(side=512, aspect="4:3", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90)
SQUARE = Camera(side=256, aspect="1:1", cast=(1.05, 1.0, 0.9), vignetting=0.5, jpeg_quality=80)


def spec(seed: int = 1, codes=("normal",), eye="OD", camera=CAM, **kw) -> PhotoSpec:
    state_kw = {k: kw.pop(k) for k in ("severity", "cup_disc") if k in kw}
    return PhotoSpec(
        seed=seed, state=EyeState(eye=eye, codes=tuple(codes), **state_kw), camera=camera, **kw
    )


def radii(camera: Camera) -> tuple[np.ndarray, float]:
    """Distance of each frame pixel to the field centre, and the field radius."""
    cx, cy, r = field_circle(camera)
    w, h = camera.size
    yy, xx = np.mgrid[0:h, 0:w]
    return np.hypot(xx - cx, yy - cy), r


def gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def test_same_spec_same_pixels_and_seed_changes_them():
    a, b = render_photo(spec(7)), render_photo(spec(7))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, render_photo(spec(8)))


@pytest.mark.parametrize(("camera", "shape"), [(CAM, (320, 426, 3)), (SQUARE, (256, 256, 3))])
def test_frame_shape_follows_camera(camera, shape):
    img = render_photo(spec(camera=camera))
    assert img.shape == shape
    assert img.dtype == np.uint8


@pytest.mark.parametrize("camera", [CAM, SQUARE])
def test_black_outside_reddish_inside(camera):
    img = render_photo(spec(3, camera=camera))
    r, rad = radii(camera)
    outside = img[r > rad + 3]
    assert outside.max() <= 8 and outside.mean() < 2.0
    inside = img[r < 0.8 * rad].reshape(-1, 3).mean(axis=0)
    assert inside[0] > inside[1] > inside[2]
    assert inside[0] > 100


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_disc_is_nasal_right_for_od_left_for_os(seed):
    for eye, right in (("OD", True), ("OS", False)):
        g = cv2.GaussianBlur(gray(render_photo(spec(seed, eye=eye))), (0, 0), 6)
        _, _, _, (x, _) = cv2.minMaxLoc(g)
        assert (x > CAM.size[0] / 2) == right, eye


def _yellow(img: np.ndarray) -> int:
    r, g, b = (img[..., i].astype(np.int32) for i in range(3))
    return int(((r > 170) & (g > 0.8 * r) & (b < 0.65 * g)).sum())


def _dark_blobs(img: np.ndarray) -> int:
    """Small compact blobs much darker than their surroundings (haemorrhages, MAs)."""
    g = gray(img)
    bg = cv2.medianBlur(g.astype(np.uint8), 31).astype(np.float32)
    dark = ((g < 0.72 * bg) & (bg > 40)).astype(np.uint8)
    _n, _, stats, _ = cv2.connectedComponentsWithStats(dark)
    w, h, area = stats[1:, 2], stats[1:, 3], stats[1:, 4]
    compact = (area >= 2) & (area <= 600) & (np.maximum(w, h) <= 3 * np.minimum(w, h) + 2)
    return int(compact.sum())


def test_proliferative_dr_has_red_blobs_and_exudates():

    for seed in (1, 2):
        normal = render_photo(spec(seed, camera=BIG))
        dr4 = render_photo(spec(seed, ("dr4",), camera=BIG))
        assert _dark_blobs(dr4) > _dark_blobs(normal) + 10
        assert _yellow(dr4) > _yellow(normal) + 20


def test_dr_grades_scale_the_blot_count():

    counts = [
        np.mean(
            [
                _dark_blobs(render_photo(spec(s, (f"dr{g}",) if g else ("normal",), camera=BIG)))
                for s in (1, 2)
            ]
        )
        for g in (0, 1, 3)
    ]
    assert counts[0] < counts[1] < counts[2]


def test_amd_adds_yellow_drusen():
    assert (
        _yellow(render_photo(spec(4, ("amd",), severity=0.8))) > _yellow(render_photo(spec(4))) + 30
    )


def _cup_area(img: np.ndarray) -> int:
    """Pixels of the pale cup: the only region with a high blue channel."""
    return int((img[..., 2] > 140).sum())


def test_glaucoma_enlarges_the_cup():
    normal = render_photo(spec(5, cup_disc=0.3))
    glaucoma = render_photo(spec(5, ("glaucoma",), cup_disc=0.8, severity=0.7))
    assert _cup_area(glaucoma) > 2.5 * max(1, _cup_area(normal))


@pytest.mark.parametrize("code", [c for c in FINDINGS if c != "normal"])
def test_every_finding_changes_the_picture(code):
    normal = render_photo(spec(11, severity=0.8, camera=BIG))
    sick = render_photo(spec(11, (code,), severity=0.8, camera=BIG))
    assert sick.shape == normal.shape
    changed = int((np.abs(sick.astype(np.int16) - normal).max(axis=2) > 25).sum())
    assert changed > 20, changed


def test_findings_can_co_occur():
    img = render_photo(spec(12, ("dr3", "hypertensive_retinopathy", "glaucoma"), severity=0.9))
    assert _yellow(img) > 0


def _laplacian_var(img: np.ndarray, camera: Camera) -> float:
    r, rad = radii(camera)
    return float(cv2.Laplacian(gray(img), cv2.CV_32F)[r < 0.7 * rad].var())


def _inside_mean(img: np.ndarray, camera: Camera) -> float:
    r, rad = radii(camera)
    return float(img[r < 0.9 * rad].mean())


def test_blur_defect_kills_sharpness():
    sharp = render_photo(spec(2))
    blurred = render_photo(spec(2, defect="blur"))
    assert _laplacian_var(blurred, CAM) < 0.35 * _laplacian_var(sharp, CAM)


def test_exposure_defects():
    normal = _inside_mean(render_photo(spec(2)), CAM)
    under = _inside_mean(render_photo(spec(2, defect="underexposed")), CAM)
    over = _inside_mean(render_photo(spec(2, defect="overexposed")), CAM)
    assert under < 30 < normal < over
    assert over > 170


def test_small_pupil_shrinks_the_lit_field():
    r, rad = radii(CAM)
    lit = [
        (gray(render_photo(spec(s, defect="small_pupil")))[r < rad] > 20).mean() for s in (1, 2, 3)
    ]
    normal = (gray(render_photo(spec(1)))[r < rad] > 20).mean()
    assert normal > 0.95
    assert max(lit) < 0.75


def test_lid_artefact_darkens_the_top_of_the_field():
    r, rad = radii(CAM)
    _, cy, _ = field_circle(CAM)
    top = (r < rad) & (np.arange(CAM.side)[:, None] < cy - 0.6 * rad)
    for seed in (1, 2):
        normal = gray(render_photo(spec(seed)))[top].mean()
        lid = gray(render_photo(spec(seed, defect="lid_artefact")))[top].mean()
        assert lid < 0.5 * normal


@pytest.mark.parametrize("defect", ["external_eye", "scanned_paper"])
def test_non_fundus_pictures_have_no_black_border(defect):
    for camera in (CAM, SQUARE):
        img = render_photo(spec(3, defect=defect, camera=camera))
        assert img.shape[:2] == (camera.side, camera.size[0])
        r, rad = radii(camera)
        assert img[r > rad + 3].mean() > 60  # corners are skin or paper, not black
        assert (gray(img) < 15).mean() < 0.05


@pytest.mark.parametrize("defect", IMAGE_DEFECTS)
def test_every_defect_changes_the_picture(defect):
    good = render_photo(spec(9))
    bad = render_photo(spec(9, defect=defect))
    diff = float(np.abs(bad.astype(np.int16) - good).mean())
    assert diff > 1.5, diff


def test_unknown_defect_is_refused():
    with pytest.raises(ValueError, match="unknown image defect 'smudge'"):
        render_photo(spec(defect="smudge"))


def test_overlay_text_goes_into_the_corners_outside_the_field():
    camera = Camera(side=512, aspect="4:3", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90)
    plain = render_photo(spec(4, camera=camera))
    texts = ("ZHANG SAN 2023-05-01", "ID 00012345", "NIDEK", "OD")
    marked = render_photo(spec(4, camera=camera, overlay=texts))
    changed = np.abs(marked.astype(np.int16) - plain).max(axis=2) > 30
    r, rad = radii(camera)
    assert changed.sum() > 200
    assert not changed[r < rad].any()
    h, w = changed.shape
    for ys, xs in (
        (slice(0, h // 4), slice(0, w // 4)),
        (slice(0, h // 4), slice(3 * w // 4, w)),
        (slice(3 * h // 4, h), slice(0, w // 4)),
        (slice(3 * h // 4, h), slice(3 * w // 4, w)),
    ):
        assert changed[ys, xs].sum() > 10


def test_overlay_fits_outside_the_field_of_a_square_frame():
    camera = Camera(side=512, aspect="1:1", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90)
    plain = render_photo(spec(4, camera=camera))
    marked = render_photo(spec(4, camera=camera, overlay=("2023-05-01", "ID 12345678")))
    changed = np.abs(marked.astype(np.int16) - plain).max(axis=2) > 30
    r, rad = radii(camera)
    assert changed.sum() > 50
    assert not changed[r < rad].any()


def test_chinese_overlay_uses_a_cjk_font_or_drops_to_ascii(monkeypatch, caplog):
    frame = np.zeros((256, 342, 3), np.uint8)
    circle = (170.5, 127.5, 110.0)
    rng = np.random.default_rng(0)
    overlay.burn_overlay(frame, ("张三",), circle, rng)
    if overlay.find_cjk_font() is not None:
        assert frame.max() > 100
    monkeypatch.setattr(overlay, "find_cjk_font", lambda: None)
    overlay._font.cache_clear()
    overlay._warn_no_cjk.cache_clear()
    with caplog.at_level(logging.WARNING, logger=overlay.__name__):
        chinese_only = np.zeros_like(frame)
        overlay.burn_overlay(chinese_only, ("张三",), circle, rng)
        mixed = np.zeros_like(frame)
        overlay.burn_overlay(mixed, ("张三 2023",), circle, rng)
    overlay._font.cache_clear()
    assert chinese_only.max() == 0
    assert mixed.max() > 100
    assert "no CJK font" in caplog.text
