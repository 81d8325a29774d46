"""Benchmark photos go through curate's own crop; results are cached."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from evaluation_helpers import TINTS, disc_photo, save_photo

from revision_pipeline.evaluation.images import (
    CropSettings,
    crops_to_tensor,
    image_transform,
    prepare_images,
)
from revision_pipeline.imaging import process_image


def test_crop_is_curates_crop(tmp_path: Path) -> None:
    photo = save_photo(disc_photo(TINTS["amd"]), tmp_path / "x.png")
    prepared = prepare_images(
        pd.DataFrame({"image_path": [str(photo)]}), CropSettings(96, 85), progress=False
    )
    assert prepared["crop"].iat[0] == process_image(photo, side=96, jpeg_quality=85).jpeg
    assert prepared["crop_status"].iat[0] == "disc"
    batch = crops_to_tensor(prepared["crop"].tolist(), image_transform(32, (0.5,) * 3, (0.25,) * 3))
    assert tuple(batch.shape) == (1, 3, 32, 32)


def test_cache_reuses_unchanged_photos_and_redoes_changed_ones(tmp_path: Path, monkeypatch) -> None:
    photos = [
        save_photo(disc_photo(TINTS["normal"], seed=s), tmp_path / f"{s}.png") for s in range(3)
    ]
    table = pd.DataFrame({"image_path": [str(p) for p in photos]})
    cache = tmp_path / "cache.parquet"
    first = prepare_images(table, CropSettings(64), cache, progress=False)
    calls = []
    import revision_pipeline.evaluation.images as images

    real = images.prepare_one
    monkeypatch.setattr(images, "prepare_one", lambda p, s: calls.append(p) or real(p, s))
    again = prepare_images(table, CropSettings(64), cache, progress=False)
    assert calls == [] and again["crop_sha256"].tolist() == first["crop_sha256"].tolist()
    save_photo(disc_photo(TINTS["amd"], seed=7), photos[1])
    prepare_images(table, CropSettings(64), cache, progress=False)
    assert calls == [str(photos[1])]


def test_unreadable_and_discless_photos_are_recorded_not_dropped(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    black = save_photo(disc_photo(TINTS["normal"]) * 0, tmp_path / "black.png")
    prepared = prepare_images(
        pd.DataFrame({"image_path": [str(bad), str(black)]}), CropSettings(64), progress=False
    )
    assert len(prepared) == 2
    assert (
        prepared["crop_status"].iat[0].startswith("unreadable") and prepared["crop"].iat[0] is None
    )
    assert prepared["crop_status"].iat[1] == "centre" and prepared["crop"].iat[1] is not None
