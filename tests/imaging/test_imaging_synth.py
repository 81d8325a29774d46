"""Quality checks and hashes against the synthetic renderer's planted defects.

Targets from the curate issue: >= 0.95 of planted defects rejected, >= 0.97 of good
photos kept (diseased eyes are good photos), each defect with its matching reason.
"""

from __future__ import annotations

import numpy as np
import pytest

fundus = pytest.importorskip("revision_pipeline.synth.fundus")
from revision_pipeline.imaging import (  # noqa: E402
    NEAR_DUPLICATE_MAX_DISTANCE,
    encode_jpeg,
    hamming,
    process_image,
)
from revision_pipeline.synth.spec import (  # noqa: E402
    FINDINGS,
    IMAGE_DEFECTS,
    Camera,
    EyeState,
    PhotoSpec,
)

#: The reason each planted defect must be rejected with.
EXPECTED_REASON = {
    "blur": {"blurred"},
    "underexposed": {"underexposed"},
    "overexposed": {"overexposed"},
    "small_pupil": {"small_field", "uneven_illumination"},
    "lid_artefact": {"occluded"},
    "external_eye": {"no_fundus"},
    "scanned_paper": {"no_fundus"},
}


def _spec(seed: int, defect: str | None = None, state: EyeState | None = None) -> PhotoSpec:
    rng = np.random.default_rng(seed)
    if state is None:
        n = int(rng.integers(0, 3))
        codes = tuple(rng.choice(FINDINGS[1:], size=n, replace=False)) if n else ("normal",)
        state = EyeState(
            eye=str(rng.choice(["OD", "OS"])),
            codes=tuple(str(c) for c in codes),
            severity=float(rng.uniform(0, 1)),
            cup_disc=float(rng.uniform(0.2, 0.9)),
        )
    camera = Camera(
        side=int(rng.choice([512, 640, 768])),
        aspect=str(rng.choice(["4:3", "1:1"])),
        cast=tuple(float(c) for c in np.clip(rng.normal(1.0, 0.06, 3), 0.85, 1.15)),
        vignetting=float(rng.uniform(0.05, 0.5)),
        jpeg_quality=int(rng.integers(60, 98)),
        field_fraction=float(rng.uniform(0.86, 0.98)),
    )
    overlay = ("张三 2023-05-01", "ID 0012345") if rng.random() < 0.5 else ()
    return PhotoSpec(
        seed=seed,
        state=state,
        camera=camera,
        fundus_tone=float(rng.uniform(0, 1)),
        defect=defect,
        overlay=overlay,
    )


def _process(spec: PhotoSpec):
    img = fundus.render_photo(spec)
    return process_image(encode_jpeg(img, spec.camera.jpeg_quality), side=512)


@pytest.mark.slow
def test_good_photos_kept_and_defects_rejected() -> None:
    good = [_process(_spec(100 + i)) for i in range(20)]
    kept = sum(p.passed for p in good)
    assert kept / len(good) >= 0.95, [p.reasons for p in good if not p.passed]
    rejected, total, wrong = 0, 0, []
    for j, defect in enumerate(IMAGE_DEFECTS):
        for k in range(3):
            p = _process(_spec(1000 + 10 * j + k, defect))
            total += 1
            rejected += not p.passed
            if not EXPECTED_REASON[defect] & set(p.reasons):
                wrong.append((defect, p.reasons))
    assert rejected / total >= 0.95
    assert not wrong


@pytest.mark.slow
def test_renderer_duplicates() -> None:
    spec = _spec(7)
    img = fundus.render_photo(spec)
    a = process_image(encode_jpeg(img, 95))
    b = process_image(encode_jpeg(img, 60))
    assert a.sha256 != b.sha256
    assert hamming(a.phash, b.phash) <= NEAR_DUPLICATE_MAX_DISTANCE
    # the same eye photographed again (another seed) is not a duplicate
    for seed in (8, 9, 10):
        other = _process(_spec(seed, state=spec.state))
        assert hamming(a.phash, other.phash) > NEAR_DUPLICATE_MAX_DISTANCE
