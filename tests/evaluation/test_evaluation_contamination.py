"""Contamination: a pretraining photo planted into a benchmark is found and excluded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from evaluation_helpers import TINTS, disc_photo, save_photo
from PIL import Image
from skimage import data as skdata

from revision_pipeline.evaluation.contamination import find_contamination, near_matches, pair_hashes
from revision_pipeline.evaluation.images import CropSettings, prepare_images, prepare_one


def test_near_matches_agree_with_a_plain_loop() -> None:
    rng = np.random.default_rng(0)
    ref = [int(v) for v in rng.integers(0, 2**63, 300, dtype=np.int64)]
    query = [r ^ (1 << int(rng.integers(64))) ^ (1 << int(rng.integers(64))) for r in ref[:50]]
    query += [int(v) for v in rng.integers(0, 2**63, 50, dtype=np.int64)]
    fast = sorted(near_matches(query, ref, 3))
    brute = sorted(
        (i, j, (q ^ r).bit_count())
        for i, q in enumerate(query)
        for j, r in enumerate(ref)
        if (q ^ r).bit_count() <= 3
    )
    assert fast == brute and len(fast) >= 50


def _pairs_from(photos: list[Path], tmp: Path, settings: CropSettings) -> Path:
    crops = [prepare_one(str(p), settings)["crop"] for p in photos]
    table = pa.table(
        {
            "pair_id": [f"p{i}" for i in range(len(crops))],
            "split": ["train"] * len(crops),
            "image": crops,
        }
    )
    out = tmp / "pairs"
    out.mkdir()
    pq.write_table(table, out / "part-000.parquet")
    return out


def test_planted_pair_photo_is_found_by_crop_and_phash(tmp_path: Path) -> None:
    settings = CropSettings(128, 90)
    archive = [
        save_photo(disc_photo(TINTS["normal"], seed=s), tmp_path / "archive" / f"{s}.png")
        for s in range(3)
    ]
    retina = cv2.resize(skdata.retina(), (480, 480), interpolation=cv2.INTER_AREA)
    archive += [
        save_photo(retina, tmp_path / "archive" / "3.png"),
        save_photo(retina[:, ::-1].copy(), tmp_path / "archive" / "4.png"),
    ]
    pairs = pair_hashes(_pairs_from(archive, tmp_path, settings), progress=False)
    bench = [
        save_photo(disc_photo(TINTS["amd"], seed=100 + s), tmp_path / "bench" / f"{s}.png")
        for s in range(4)
    ]
    planted = tmp_path / "bench" / "planted.png"
    planted.write_bytes(archive[2].read_bytes())  # the same file
    reexported = tmp_path / "bench" / "copy.jpg"  # archive photo 3 exported again, smaller, as JPEG
    Image.fromarray(retina).resize((400, 400)).save(reexported, quality=80)
    table = pd.DataFrame({"image_path": [str(p) for p in [*bench, planted, reexported]]})
    table["image_id"] = [Path(p).stem for p in table["image_path"]]
    prepared = prepare_images(table, settings, progress=False)
    found = find_contamination("demo", prepared, pairs)
    by_image = found.groupby("image_id")["match"].apply(set).to_dict()
    assert by_image["planted"] >= {"crop", "near"}
    assert "near" in by_image["copy"]  # re-encoded as JPEG: not byte-equal, still found
    assert not set(by_image) & {"0", "1", "2", "3"}
    assert set(found.loc[found["image_id"] == "planted", "pair_id"]) == {"p2"}
    assert set(found.loc[found["image_id"] == "copy", "pair_id"]) == {"p3"}  # not its mirror image


def test_file_hash_match_when_archive_hashes_are_given(tmp_path: Path) -> None:
    settings = CropSettings(64, 90)
    photo = save_photo(disc_photo(TINTS["glaucoma"], seed=9), tmp_path / "a.png")
    prepared = prepare_images(pd.DataFrame({"image_path": [str(photo)]}), settings, progress=False)
    pairs = pd.DataFrame(
        {
            "pair_id": ["p9"],
            "split": ["test"],
            "crop_sha256": ["x"],
            "phash": [0],
            "signature": [None],
        }
    )
    files = pd.DataFrame({"pair_id": ["p9"], "file_sha256": [prepared["file_sha256"].iat[0]]})
    found = find_contamination("d", prepared, pairs, pair_file_hashes=files)
    assert found["match"].tolist() == ["file"] and found["pair_split"].tolist() == ["test"]
