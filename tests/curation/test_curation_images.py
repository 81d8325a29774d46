"""Parallel photo processing with a cache: results, reuse on rerun, invalidation."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from curation_helpers import jpeg, rotated_retina
from PIL import Image

import revision_pipeline.curation.images as images_module
from revision_pipeline.curation.images import (
    RESULT_COLUMNS,
    ImageSettings,
    phash_array,
    phash_values,
    process_images,
    verify_crop,
)
from revision_pipeline.imaging import QualityThresholds

SETTINGS = ImageSettings(side=256)


@pytest.fixture
def archive(tmp_path: Path, photos) -> tuple[Path, list[str]]:
    root = tmp_path / "archive"
    folder = root / "H1" / "images"
    folder.mkdir(parents=True)
    for name, img in photos.items():
        (folder / f"{name}_OD.jpg").write_bytes(jpeg(img))
    (folder / "broken_OD.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    sources = [f"H1/images/{n}_OD.jpg" for n in ("c", "broken", "a", "b")]
    return root, sources


@pytest.fixture
def count_decodes(monkeypatch) -> list[str]:
    """Record every file that is actually decoded (workers=1 runs in this process)."""
    calls: list[str] = []
    real = images_module.process_image

    def counting(path, *args, **kwargs):
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(images_module, "process_image", counting)
    return calls


def _run(root: Path, sources: list[str], cache: Path, settings=SETTINGS) -> pd.DataFrame:
    return process_images(root, sources, settings, cache, workers=1, progress=False)


def test_results_in_source_order_with_crops_in_the_cache(archive, tmp_path) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    frame = _run(root, sources, cache)
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert frame["source"].tolist() == sources
    good = frame[frame["source"] != "H1/images/broken_OD.jpg"]
    assert good["passed"].all() and good["sha256"].str.len().eq(64).all()
    for crop in good["crop_path"]:
        assert Path(crop).is_relative_to(cache)
        with Image.open(crop) as img:
            assert (img.format, img.size) == ("JPEG", (256, 256))
    broken = frame.set_index("source").loc["H1/images/broken_OD.jpg"]
    assert broken["crop_path"] == "" and not broken["passed"]
    assert any(r.startswith("unreadable") for r in broken["reasons"])
    assert (cache / f"index_{SETTINGS.key()}.parquet").exists()


def test_rerun_reuses_the_cache_without_decoding(archive, tmp_path, count_decodes, caplog) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache)
    assert sorted(count_decodes) == sorted(Path(s).name for s in sources)
    count_decodes.clear()
    with caplog.at_level(logging.INFO, logger=images_module.__name__):
        second = _run(root, sources, cache)
    assert count_decodes == []
    assert "0 to process, 4 reused" in caplog.text
    columns = ["source", "sha256", "quality_score", "passed", "crop_path", "width", "height"]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    assert second["reasons"].map(list).tolist() == first["reasons"].map(list).tolist()
    # a subset, in another order, is also served from the cache
    subset = _run(root, sources[::-1][:2], cache)
    assert count_decodes == [] and subset["source"].tolist() == sources[::-1][:2]


def test_a_changed_file_is_processed_again(archive, tmp_path, count_decodes) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache).set_index("source")
    target = root / "H1/images/a_OD.jpg"
    target.write_bytes(jpeg(rotated_retina(140)))  # another photo under the same name
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    count_decodes.clear()
    second = _run(root, sources, cache).set_index("source")
    assert count_decodes == ["a_OD.jpg"]
    assert second.loc["H1/images/a_OD.jpg", "sha256"] != first.loc["H1/images/a_OD.jpg", "sha256"]
    assert second.loc["H1/images/b_OD.jpg", "sha256"] == first.loc["H1/images/b_OD.jpg", "sha256"]


def test_a_deleted_crop_or_new_settings_invalidate_the_cache(
    archive, tmp_path, count_decodes
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache).set_index("source")
    Path(first.loc["H1/images/b_OD.jpg", "crop_path"]).unlink()
    count_decodes.clear()
    _run(root, sources, cache)
    assert count_decodes == ["b_OD.jpg"]
    count_decodes.clear()
    bigger = _run(root, sources, cache, ImageSettings(side=320))
    assert len(count_decodes) == len(sources)
    with Image.open(bigger.loc[0, "crop_path"]) as img:
        assert img.size == (320, 320)


def test_a_cache_from_before_a_new_metric_is_measured_again(
    archive, tmp_path, count_decodes
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    _run(root, sources, cache)
    index_path = cache / f"index_{SETTINGS.key()}.parquet"
    index = pd.read_parquet(index_path)
    old = index["source"] == "H1/images/a_OD.jpg"  # as an older version wrote it
    metrics = json.loads(index.loc[old, "metrics"].iloc[0])
    del metrics["disc_offset"]
    index.loc[old, "metrics"] = json.dumps(metrics)
    index.to_parquet(index_path)
    count_decodes.clear()
    again = _run(root, sources, cache).set_index("source")
    assert count_decodes == ["a_OD.jpg"]
    assert "disc_offset" in json.loads(again.loc["H1/images/a_OD.jpg", "metrics"])


def test_new_thresholds_are_applied_to_cached_metrics_without_decoding(
    archive, tmp_path, count_decodes
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache).set_index("source")
    good = [s for s in sources if "broken" not in s]
    assert first.loc[good, "passed"].all()
    count_decodes.clear()
    strict = ImageSettings(side=256, thresholds=QualityThresholds(min_fov_fraction=1.5))
    second = _run(root, sources, cache, strict).set_index("source")
    assert count_decodes == []  # judged again from the stored metrics
    assert not second.loc[good, "passed"].any()
    assert all("small_field" in r for r in second.loc[good, "reasons"])
    assert (second.loc[good, "quality_score"] < 0.5).all()
    assert list(second.loc["H1/images/broken_OD.jpg", "reasons"]) == list(
        first.loc["H1/images/broken_OD.jpg", "reasons"]
    )  # an unreadable file stays unreadable
    # the verdict equals a fresh run's under the same thresholds
    fresh = _run(root, sources, tmp_path / "fresh", strict).set_index("source")
    pd.testing.assert_series_equal(fresh["quality_score"], second["quality_score"])


def test_parallel_workers_give_the_same_result(archive, tmp_path) -> None:
    root, sources = archive
    serial = _run(root, sources, tmp_path / "serial")
    parallel = process_images(root, sources, SETTINGS, tmp_path / "par", workers=2, progress=False)
    columns = ["source", "sha256", "phash", "quality_score", "passed", "width", "height"]
    pd.testing.assert_frame_equal(serial[columns], parallel[columns])


def test_quality_verdict_does_not_depend_on_the_crop_side(archive, tmp_path) -> None:
    root, sources = archive
    good = [s for s in sources if "broken" not in s]
    large = _run(root, good, tmp_path / "c1", ImageSettings(side=256))
    small = _run(root, good, tmp_path / "c2", ImageSettings(side=128))
    assert large["passed"].all()
    assert small["passed"].tolist() == large["passed"].tolist()


#: Hashes a float64 column would round: top and bottom bits set, next to a missing hash.
EXACT_HASHES = {
    "c": (1 << 64) - 1,
    "a": (1 << 63) | 1,
    "b": 0x8000_0000_0000_0F0F,
}


@pytest.fixture
def planted_hashes(monkeypatch) -> dict[str, int]:
    """Photo ``x_OD.jpg`` gets ``EXACT_HASHES[x]``; the broken file has none."""
    real = images_module.process_image

    def planted(path, *args, **kwargs):
        result = real(path, *args, **kwargs)
        result.phash = EXACT_HASHES.get(Path(path).name.split("_")[0])
        return result

    monkeypatch.setattr(images_module, "process_image", planted)
    return EXACT_HASHES


def _hashes(frame: pd.DataFrame) -> dict[str, int | None]:
    return dict(zip(frame["source"], phash_values(frame["phash"]), strict=True))


def test_hashes_with_high_and_low_bits_survive_the_cache_next_to_missing_ones(
    archive, tmp_path, planted_hashes, count_decodes
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    expected = {s: planted_hashes.get(Path(s).name.split("_")[0]) for s in sources}
    assert expected["H1/images/broken_OD.jpg"] is None
    first = _run(root, sources, cache)
    assert str(first["phash"].dtype) == "UInt64"
    assert _hashes(first) == expected
    count_decodes.clear()
    second = _run(root, sources, cache)  # served from the cache index
    assert count_decodes == []
    assert _hashes(second) == expected and str(second["phash"].dtype) == "UInt64"
    assert pq.read_schema(cache / f"index_{SETTINGS.key()}.parquet").field("phash").type == (
        pa.uint64()
    )


def test_an_older_shifted_int64_cache_is_read_exactly(
    archive, tmp_path, planted_hashes, count_decodes
) -> None:
    root, sources = archive
    good = [s for s in sources if "broken" not in s]  # earlier int64 columns had no gaps
    cache = tmp_path / "cache"
    first = _run(root, good, cache)
    index_path = cache / f"index_{SETTINGS.key()}.parquet"
    older = pd.read_parquet(index_path)
    older["phash"] = [int(v) - (1 << 63) for v in older["phash"]]  # as earlier versions wrote it
    older.astype({"phash": "int64"}).to_parquet(index_path, index=False)
    count_decodes.clear()
    again = _run(root, good, cache)
    assert count_decodes == []
    assert _hashes(again) == _hashes(first)


def test_an_older_float_cache_is_rebuilt_not_trusted(
    archive, tmp_path, planted_hashes, count_decodes, caplog
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache)
    index_path = cache / f"index_{SETTINGS.key()}.parquet"
    older = pd.read_parquet(index_path)
    shifted = [None if v is pd.NA else float(int(v) - (1 << 63)) for v in older["phash"]]
    older.assign(phash=pd.Series(shifted, dtype="float64")).to_parquet(index_path, index=False)
    count_decodes.clear()
    with caplog.at_level(logging.WARNING, logger=images_module.__name__):
        again = _run(root, sources, cache)
    assert "may be rounded" in caplog.text
    assert sorted(count_decodes) == sorted(Path(s).name for s in sources)
    assert _hashes(again) == _hashes(first)


def test_a_float_hash_is_refused_rather_than_compared() -> None:
    with pytest.raises(TypeError, match="lost their low bits"):
        phash_values(pd.Series([1.0, float("nan")]))
    with pytest.raises(TypeError, match="#1 is a float"):
        phash_array([1, 2.0])
    assert phash_values(pd.Series(phash_array([None, (1 << 64) - 1]))) == [None, (1 << 64) - 1]


@pytest.mark.parametrize("damage", ["truncated", "zero_byte", "swapped"])
def test_a_damaged_crop_is_recomputed_never_reused(
    archive, tmp_path, count_decodes, caplog, damage: str
) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    first = _run(root, sources, cache).set_index("source")
    a = Path(first.loc["H1/images/a_OD.jpg", "crop_path"])
    b = Path(first.loc["H1/images/b_OD.jpg", "crop_path"])
    good = b.read_bytes()
    if damage == "truncated":
        b.write_bytes(good[: len(good) // 2])
    elif damage == "zero_byte":
        b.write_bytes(b"")
    else:  # another photo's (valid) crop under this name
        b.write_bytes(a.read_bytes())
    count_decodes.clear()
    with caplog.at_level(logging.WARNING):
        second = _run(root, sources, cache).set_index("source")
    assert count_decodes == ["b_OD.jpg"], "only the damaged entry is recomputed"
    assert "1 cached crops" in caplog.text
    assert b.read_bytes() == good, "the crop is written again from its source"
    assert verify_crop(b, second.loc["H1/images/b_OD.jpg", "crop_sha256"], SETTINGS.side) == ""


def test_verify_crop_names_each_problem(archive, tmp_path) -> None:
    root, sources = archive
    row = _run(root, sources, tmp_path / "cache").iloc[0]
    path, digest = Path(row["crop_path"]), row["crop_sha256"]
    assert verify_crop(path, digest, SETTINGS.side) == ""
    assert verify_crop(path, digest, SETTINGS.side + 1) == "crop_not_square"
    assert verify_crop(path, "0" * 64) == "crop_changed"
    assert verify_crop(tmp_path / "gone.jpg", digest) == "crop_missing"
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert verify_crop(empty, digest) == "crop_empty"
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(path.read_bytes()[:-200])
    assert verify_crop(cut, images_module.crop_digest(cut.read_bytes())) == "crop_truncated"


def test_a_half_written_index_is_rebuilt(archive, tmp_path, count_decodes) -> None:
    root, sources = archive
    cache = tmp_path / "cache"
    _run(root, sources, cache)
    (index,) = cache.glob("index_*.parquet")
    index.write_bytes(index.read_bytes()[:100])
    count_decodes.clear()
    _run(root, sources, cache)
    assert len(count_decodes) == len(sources)
    assert not list(cache.glob(".index_*.tmp"))


def test_crop_problems_flags_rows_for_the_pairs(archive, tmp_path) -> None:
    root, sources = archive
    frame = _run(root, sources, tmp_path / "cache")
    with_crop = frame[frame["crop_path"].ne("")]
    Path(with_crop.iloc[0]["crop_path"]).write_bytes(b"\xff\xd8 broken")
    problems = images_module.crop_problems(frame, SETTINGS.side)
    assert problems.loc[with_crop.index[0]] == "crop_changed"
    assert problems.drop(with_crop.index[0]).eq("").all()
