"""Rendering a stand-in photo: frame, field of view cut, haze, tone curve, determinism."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from revision_pipeline.synth.spec import EyeState
from revision_pipeline.synth.standins import CameraProfile
from revision_pipeline.synth.standins.model import Frame, StandInPhoto
from revision_pipeline.synth.standins.render import add_haze, fit, render_standin, tone_curve

CAMERA = CameraProfile(heights=(128,), format="png")


def _photo(**changes) -> StandInPhoto:
    photo = StandInPhoto(
        image_id="x",
        path="x.png",
        split="",
        label="0",
        seed=3,
        state=EyeState("OD", ("normal",)),
        tone=0.5,
        frame=Frame(height=128, width=192, field_crop=1.0, cast=(1.1, 0.9, 0.8), vignetting=0.5),
    )
    return replace(photo, **changes)


def test_frame_size_and_determinism() -> None:
    image = render_standin(_photo(), CAMERA)
    assert image.shape == (128, 192, 3) and image.dtype == np.uint8
    assert np.array_equal(image, render_standin(_photo(), CAMERA))
    assert not np.array_equal(image, render_standin(_photo(seed=4), CAMERA))


def test_field_of_view_is_cut_flat_when_cropped() -> None:
    full = render_standin(_photo(), CAMERA)
    cut = render_standin(_photo(frame=replace(_photo().frame, field_crop=0.8)), CAMERA)
    # a full circle leaves the top row black; a cropped field reaches it in the middle
    assert full[0, 96].max() < 20
    assert cut[0, 96].max() > 40
    assert full[64, 0].max() < 20 and cut[64, 0].max() < 20  # pillar-boxed sides


def test_haze_lowers_detail_and_stays_inside_the_field() -> None:
    image = render_standin(_photo(), CAMERA)
    hazy = add_haze(image, 0.9)

    def detail(a):  # inside the field, away from its edge
        grey = cv2.cvtColor(a[34:94, 66:126], cv2.COLOR_RGB2GRAY)
        return cv2.Laplacian(grey, cv2.CV_32F).var()

    assert detail(hazy) < 0.5 * detail(image)
    assert hazy[0, 0].max() < 20  # the black surround stays black


def test_tone_curve_and_fit() -> None:
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (2, 1, 3))
    dark = tone_curve(ramp, 1.5, 0.9)
    assert dark[0, 0, 0] == 0 and dark[0, 128, 0] < 128 and dark[0, 255, 0] <= 230
    assert tone_curve(ramp, 1.0, 1.0) is ramp
    square = np.full((10, 10, 3), 7, np.uint8)
    assert fit(square, 6, 14).shape == (6, 14, 3)
    assert fit(square, 6, 14)[:, 0].max() == 0 and fit(square, 6, 14)[:, 5].min() == 7


def test_contact_sheet_has_a_row_per_stand_in() -> None:
    from standin_helpers import tiny_config

    from revision_pipeline.synth.standins import plan_standins
    from revision_pipeline.synth.standins.contact_sheet import pick, render_sheet

    sets = plan_standins(tiny_config())[:2]
    chosen = pick(sets[0], 3)
    assert len(chosen) == 3 and all(p.written for p in chosen)
    sheet = render_sheet(sets, columns=3)
    assert sheet.size == (3 * 300, 2 * (300 + 34))
