"""assess_quality on skimage's retina and exactly the degraded versions the brief names."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from imaging_helpers import camera_frame

from revision_pipeline.imaging.fov import crop_with_valid, detect_fov, disc_mask
from revision_pipeline.imaging.quality import (
    ANALYSIS_SIDE,
    CHECKS,
    REASONS,
    QualityThresholds,
    assess_quality,
    judge,
    measure_crop,
    thresholds_for,
)


def _judge(img: np.ndarray, thresholds: QualityThresholds | None = None):
    return assess_quality(img, detect_fov(img), thresholds)


def test_retina_passes(retina: np.ndarray) -> None:
    result = _judge(retina)
    assert result.passed, result
    assert result.reasons == []
    assert 0.5 <= result.score <= 1.0
    assert {"focus", "brightness", "coverage", "occluded_fraction"} <= set(result.metrics)


def _washed_out(img: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    return (img.astype(np.float32) * (1 - alpha) + 255 * alpha).astype(np.uint8)


@pytest.mark.parametrize(
    ("name", "degrade", "reason"),
    [
        ("blurred", lambda r: cv2.GaussianBlur(r, (0, 0), 8), "blurred"),
        ("darkened", lambda r: (r.astype(np.float32) * 0.25).astype(np.uint8), "underexposed"),
        ("washed_out", _washed_out, "overexposed"),
        ("quarter", lambda r: np.ascontiguousarray(r[:705, :705]), "partial_field"),
    ],
)
def test_degraded_retina_fails_with_matching_reason(
    retina: np.ndarray, name: str, degrade, reason: str
) -> None:
    result = _judge(degrade(retina))
    assert not result.passed, name
    assert reason in result.reasons, (name, result.reasons, result.metrics)
    assert result.score < 0.5


@pytest.mark.parametrize(
    "variant", ["jpeg50", "noise", "cast", "downscaled", "mild_blur", "camera_frame"]
)
def test_benign_variants_of_retina_pass(retina: np.ndarray, variant: str) -> None:
    img = retina
    if variant == "jpeg50":
        _ok, buf = cv2.imencode(".jpg", retina, [cv2.IMWRITE_JPEG_QUALITY, 50])
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)  # channel order kept as given
    elif variant == "noise":
        noise = np.random.default_rng(0).normal(0, 6, retina.shape)
        img = np.clip(retina + noise, 0, 255).astype(np.uint8)
    elif variant == "cast":
        img = np.clip(retina * np.array([0.85, 1.15, 1.15]), 0, 255).astype(np.uint8)
    elif variant == "downscaled":
        img = cv2.resize(retina, (500, 500), interpolation=cv2.INTER_AREA)
    elif variant == "mild_blur":
        img = cv2.GaussianBlur(retina, (0, 0), 2)
    elif variant == "camera_frame":
        img = camera_frame(retina, (1024, 768), dx=40)
    result = _judge(img)
    assert result.passed, (variant, result.reasons, result.metrics)


def test_lid_shadow_is_occluded(small_retina: np.ndarray) -> None:
    img = small_retina.astype(np.float32)
    yy, xx = np.mgrid[0:600, 0:600]
    img[yy < 200 + 0.0008 * (xx - 300) ** 2] *= 0.1
    result = _judge(img.astype(np.uint8))
    assert "occluded" in result.reasons


def test_one_sided_darkening_is_uneven(small_retina: np.ndarray) -> None:
    ramp = np.linspace(0.3, 1.0, 600, dtype=np.float32)[None, :, None]
    result = _judge((small_retina * ramp).astype(np.uint8))
    assert "uneven_illumination" in result.reasons
    assert "occluded" not in result.reasons


def test_small_field(small_retina: np.ndarray) -> None:
    frame = camera_frame(small_retina, (1024, 768), fraction=0.33)
    result = _judge(frame)
    assert "small_field" in result.reasons


def test_no_fov_reasons() -> None:
    black = np.zeros((200, 300, 3), np.uint8)
    assert _judge(black).reasons == ["no_fov", "underexposed"]
    rng = np.random.default_rng(0)
    paper = np.clip(rng.normal(220, 15, (300, 400, 3)), 0, 255).astype(np.uint8)
    result = _judge(paper)
    assert result.reasons == ["no_fov", "no_fundus"] and result.score == 0.0


def test_grey_disc_is_not_a_fundus(small_retina: np.ndarray) -> None:
    gray = cv2.cvtColor(cv2.cvtColor(small_retina, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    assert "no_fundus" in _judge(gray).reasons


def test_reasons_are_known_and_ordered(retina: np.ndarray) -> None:
    result = _judge(_washed_out(cv2.GaussianBlur(retina, (0, 0), 8), 0.6))
    assert result.reasons and set(result.reasons) <= set(REASONS)
    assert result.reasons == sorted(result.reasons, key=REASONS.index)


def test_thresholds_from_dict() -> None:
    t = QualityThresholds.from_dict({"min_focus": 0.5, "max_luminance": "140"})
    assert t.min_focus == 0.5 and t.max_luminance == 140.0
    assert QualityThresholds.from_dict(None) == QualityThresholds()
    with pytest.raises(ValueError, match="min_focuss"):
        QualityThresholds.from_dict({"min_focuss": 0.5})
    with pytest.raises(ValueError, match="max_luminance"):
        QualityThresholds.from_dict({"max_luminance": "bright"})


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"min_focus": -0.1}, r"'min_focus' must lie between 0 and a finite number, got -0\.1"),
        ({"max_dark_fraction": 1.5}, r"'max_dark_fraction' must lie between 0 and 1, got 1\.5"),
        ({"min_brightness": 300}, r"'min_brightness' must lie between 0 and 255"),
        ({"min_contrast": float("nan")}, r"'min_contrast' must lie between"),
    ],
)
def test_thresholds_out_of_range_are_named(values: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        QualityThresholds.from_dict(values)
    with pytest.raises(ValueError, match=named):
        QualityThresholds(**values)


def test_a_zero_minimum_turns_its_check_off_and_a_zero_maximum_allows_none(
    retina: np.ndarray,
) -> None:
    metrics = _judge(retina).metrics
    blurred = {**metrics, "focus": 0.01, "sharpness": 0.01}
    assert judge(blurred).reasons == ["blurred"]
    off = judge(blurred, QualityThresholds(min_focus=0, min_sharpness=0))  # no ZeroDivisionError
    assert off.passed and off.score >= 0.5
    none_dark = judge({**metrics, "dark_fraction": 0.0}, QualityThresholds(max_dark_fraction=0))
    assert "underexposed" not in none_dark.reasons
    some_dark = judge({**metrics, "dark_fraction": 0.01}, QualityThresholds(max_dark_fraction=0))
    assert some_dark.reasons == ["underexposed"] and some_dark.score < 0.5


def test_thresholds_change_the_verdict(retina: np.ndarray) -> None:
    strict = QualityThresholds.from_dict({"min_brightness": 250.0})
    result = _judge(retina, strict)
    assert not result.passed and result.reasons == ["underexposed"]


@pytest.mark.parametrize("cut", [0, 90])
def test_histogram_metrics_match_direct_numpy(small_retina: np.ndarray, cut: int) -> None:
    """The histogram shortcuts of ``measure_crop`` equal the plain definitions, for a
    field inside the frame (cached masks) and one cut by the frame (masks built)."""
    img = small_retina[cut:]
    fov = detect_fov(img)
    assert fov is not None
    crop, valid = crop_with_valid(img, fov, ANALYSIS_SIDE)
    assert valid.all() == (cut == 0)
    m = measure_crop(crop, valid, fov)
    side = crop.shape[0]
    mask = valid & disc_mask(side, 0.06)
    inner = valid & disc_mask(side, 0.12)
    bright, g = crop.max(axis=2), crop[..., 1].astype(np.float64)
    lum = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    assert m["brightness"] == pytest.approx(bright[mask].mean(), rel=1e-9)
    assert m["luminance"] == pytest.approx(lum[mask].mean(), rel=1e-9)
    assert m["dark_fraction"] == pytest.approx((bright[mask] < 30).mean(), abs=1e-12)
    assert m["clipped_fraction"] == pytest.approx((lum[mask] >= 250).mean(), abs=1e-12)
    assert m["contrast"] == pytest.approx(g[mask].std() / g[mask].mean(), rel=1e-6)
    # sharpness and focus share the fine-detail energy: their ratio is coarse / span
    span = g[inner].mean() - np.percentile(g[inner], 1) + 1.0
    coarse = m["sharpness"] * span / m["focus"]
    assert 0 < coarse < span


def test_every_check_names_a_known_reason_metric_and_threshold(retina: np.ndarray) -> None:
    fields = set(QualityThresholds.__dataclass_fields__)
    metrics = set(_judge(retina).metrics)
    for reason, metric, limit, _higher in CHECKS:
        assert reason in REASONS and metric in metrics and limit in fields
    assert {limit for *_rest, limit, _h in CHECKS} == fields  # no threshold left unused
    assert thresholds_for("blurred") == ("min_focus", "min_sharpness")
    assert thresholds_for("no_fov") == ()
