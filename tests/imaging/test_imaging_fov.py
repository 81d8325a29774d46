"""detect_fov and crop_to_fov on the retina photo and its variants."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from imaging_helpers import burn_text, camera_frame

from revision_pipeline.imaging.fov import (
    Fov,
    blackout_outside_disc,
    circle_coverage,
    crop_to_fov,
    detect_fov,
    disc_mask,
    percentiles_u8,
)


def _close(fov: Fov | None, cx: float, cy: float, r: float, tol: float = 0.02) -> bool:
    assert fov is not None
    scale = tol * r
    return abs(fov.cx - cx) < scale and abs(fov.cy - cy) < scale and abs(fov.radius - r) < scale


def test_retina_disc(retina: np.ndarray) -> None:
    fov = detect_fov(retina)
    assert _close(fov, 705, 705, 694)
    assert fov.coverage == pytest.approx(1.0)
    assert fov.frame == (1411, 1411)


def test_frame_with_overlay_text_does_not_enlarge_disc(small_retina: np.ndarray) -> None:
    frame = camera_frame(small_retina, (1024, 768), dx=60)
    clean = detect_fov(frame)
    assert _close(clean, 512 + 60, 384, 0.92 * 768 / 2 * 0.985)
    texted = burn_text(frame)
    assert (texted != frame).any()
    fov = detect_fov(texted)
    assert _close(fov, clean.cx, clean.cy, clean.radius, tol=0.01)


@pytest.mark.parametrize(
    "variant",
    ["dark", "cast", "vignette", "noisy", "lid"],
)
def test_robust_to_exposure_cast_vignetting_noise_and_lid(
    small_retina: np.ndarray, variant: str
) -> None:
    img = small_retina.astype(np.float32)
    yy, xx = np.mgrid[0:600, 0:600].astype(np.float32)
    if variant == "dark":
        img *= 0.2
    elif variant == "cast":
        img *= np.array([0.7, 1.3, 1.6], np.float32)
    elif variant == "vignette":
        rr = np.hypot(xx - 300, yy - 300) / 300
        img *= np.clip(1 - 0.75 * rr**2, 0, 1)[..., None]
    elif variant == "noisy":
        img += np.random.default_rng(1).normal(0, 12, img.shape)
    elif variant == "lid":  # a dark eyelid shadow over the top third of the field
        img[yy < 180 + 0.0008 * (xx - 300) ** 2] *= 0.1
    out = np.clip(img, 0, 255).astype(np.uint8)
    assert _close(detect_fov(out), 300, 300, 295, tol=0.03)


def test_partial_field_keeps_full_circle(retina: np.ndarray) -> None:
    quarter = np.ascontiguousarray(retina[:705, :705])
    fov = detect_fov(quarter)
    assert _close(fov, 705, 705, 694, tol=0.03)
    assert fov.coverage == pytest.approx(0.25, abs=0.02)
    cut = np.ascontiguousarray(retina[150:1261])  # top and bottom cut, like some cameras
    fov = detect_fov(cut)
    assert _close(fov, 705, 555, 694, tol=0.02)
    assert 0.75 < fov.coverage < 0.9


def test_no_disc(small_retina: np.ndarray) -> None:
    assert detect_fov(np.zeros((300, 400, 3), np.uint8)) is None
    assert detect_fov(np.full((300, 400, 3), 200, np.uint8)) is None
    rng = np.random.default_rng(0)
    page = np.clip(rng.normal(225, 12, (300, 400, 3)), 0, 255).astype(np.uint8)
    assert detect_fov(page) is None
    # a centre crop of the fundus only: no rim visible, nothing to fit
    assert detect_fov(np.ascontiguousarray(small_retina[200:400, 200:400])) is None


def test_circle_coverage() -> None:
    assert circle_coverage(50, 50, 40, 100, 100) == pytest.approx(1.0)
    assert circle_coverage(0, 0, 40, 100, 100) == pytest.approx(0.25, abs=0.01)
    assert circle_coverage(50, 0, 40, 100, 100) == pytest.approx(0.5, abs=0.01)


def test_crop_blackens_outside_disc_and_removes_text(small_retina: np.ndarray) -> None:
    frame = burn_text(camera_frame(small_retina, (1024, 768)))
    fov = detect_fov(frame)
    crop = crop_to_fov(frame, fov, 256)
    assert crop.shape == (256, 256, 3) and crop.dtype == np.uint8
    yy, xx = np.mgrid[0:256, 0:256]
    outside = np.hypot(xx - 127.5, yy - 127.5) > 128
    assert crop[outside].max() == 0
    assert crop[np.hypot(xx - 127.5, yy - 127.5) < 100].mean() > 60
    # no white text pixels survive anywhere
    assert (crop.min(axis=2) > 240).sum() == 0
    # the crop is the disc: compare with a direct resize of the retina
    ref = cv2.resize(small_retina, (256, 256), interpolation=cv2.INTER_AREA)
    inside = ~outside & (np.hypot(xx - 127.5, yy - 127.5) < 120)
    assert np.abs(crop[inside].astype(int) - ref[inside].astype(int)).mean() < 12


def test_crop_partial_field_pads_black(retina: np.ndarray) -> None:
    quarter = np.ascontiguousarray(retina[:705, :705])
    crop = crop_to_fov(quarter, detect_fov(quarter), 128)
    assert crop.shape == (128, 128, 3)
    assert crop[70:, :].max() == 0 and crop[:, 70:].max() == 0
    assert crop[30:60, 30:60].mean() > 80


def test_crop_rejects_fov_from_another_frame(small_retina: np.ndarray, retina: np.ndarray) -> None:
    with pytest.raises(ValueError, match="frame"):
        crop_to_fov(small_retina, detect_fov(retina), 64)


@pytest.mark.parametrize("strided", [False, True])
def test_blackout_outside_disc_in_place(strided: bool) -> None:
    rng = np.random.default_rng(3)
    crop = rng.integers(1, 256, (96, 96, 3)).astype(np.uint8)
    if strided:
        crop = crop[:, ::-1]
    expected = crop.copy()
    expected[~disc_mask(96)] = 0
    out = blackout_outside_disc(crop)
    assert np.shares_memory(out, crop) and np.array_equal(out, expected)
    assert out[48, 48].min() > 0 and out[0, 0].max() == 0


def test_percentiles_u8_equal_numpy() -> None:
    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 1000):
        values = rng.integers(0, 256, (n, 3)).astype(np.uint8)
        for qs in ((1, 99), (0, 50, 100), (12.5,)):
            assert np.allclose(percentiles_u8(values, qs), np.percentile(values, qs))
    img = rng.integers(0, 256, (40, 30)).astype(np.uint8)
    mask = rng.random((40, 30)) > 0.6
    assert np.allclose(percentiles_u8(img, (1, 99), mask), np.percentile(img[mask], (1, 99)))
    assert np.isnan(percentiles_u8(img, (5,), np.zeros_like(mask))[0])
