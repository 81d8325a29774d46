"""process_image end to end on one file, and its handling of unreadable files."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
from imaging_helpers import burn_text, camera_frame, jpeg_bytes
from PIL import Image

from revision_pipeline.imaging import ProcessedImage, QualityThresholds, process_image


def test_process_camera_jpeg(small_retina: np.ndarray, tmp_path: Path) -> None:
    frame = burn_text(camera_frame(small_retina, (2048, 1536)))
    data = jpeg_bytes(frame, 92)
    path = tmp_path / "E1_OD.jpg"
    path.write_bytes(data)
    out = process_image(path, side=256)
    assert isinstance(out, ProcessedImage)
    assert out.passed and out.reasons == [] and 0.5 <= out.score <= 1
    assert out.sha256 == hashlib.sha256(data).hexdigest()
    assert isinstance(out.phash, int)
    assert out.original_size == (2048, 1536)
    assert out.decoded_size is not None and out.decoded_size[0] < 2048  # DCT-scaled
    crop = np.asarray(Image.open(io.BytesIO(out.jpeg)))
    assert crop.shape == (256, 256, 3)
    assert crop[:12, :12].max() < 10 and crop[-12:, -12:].max() < 10  # black corners
    assert crop[100:156, 100:156].mean() > 60
    # no big arrays held by the result
    assert not any(isinstance(v, np.ndarray) for v in vars(out).values())


def test_process_bytes_side_512_and_thresholds(small_retina: np.ndarray) -> None:
    data = jpeg_bytes(camera_frame(small_retina, (1024, 768)))
    out = process_image(data, side=512, jpeg_quality=80)
    assert out.passed
    assert Image.open(io.BytesIO(out.jpeg)).size == (512, 512)
    strict = process_image(data, thresholds=QualityThresholds(min_brightness=250))
    assert not strict.passed and strict.reasons == ["underexposed"]
    assert strict.jpeg is not None  # rejects still get a crop for inspection
    assert strict.phash == out.phash


def test_process_unreadable(small_retina: np.ndarray, tmp_path: Path) -> None:
    data = jpeg_bytes(camera_frame(small_retina, (1024, 768)))
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "empty.png").write_bytes(b"")
    cut = process_image(tmp_path / "cut.jpg")
    assert not cut.passed and cut.reasons == ["unreadable: truncated"]
    assert cut.jpeg is None and cut.sha256 is not None and cut.score == 0.0
    assert process_image(tmp_path / "empty.png").reasons == ["unreadable: zero_byte"]
    missing = process_image(tmp_path / "nope.jpg")
    assert missing.reasons[0].startswith("unreadable") and missing.sha256 is None


def test_process_non_fundus_has_no_crop() -> None:
    page = np.full((600, 800, 3), 230, np.uint8)
    out = process_image(jpeg_bytes(page))
    assert not out.passed and "no_fundus" in out.reasons
    assert out.jpeg is None and out.phash is None and out.fov is None
