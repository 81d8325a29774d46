"""Deduplication: exact copies, re-encoded copies, distinct photos, which copy is kept."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from curation_helpers import jpeg

from revision_pipeline.curation.dedup import (
    DedupStats,
    SignatureIndex,
    choose_keepers,
    duplicate_groups,
    duplicate_groups_exhaustive,
)
from revision_pipeline.imaging import perceptual_hash
from revision_pipeline.imaging.hashing import image_signature, signature_correlation


def _decoded(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]


def _features(blobs: list[bytes]) -> tuple[list[str], list[int], list[bytes]]:
    images = [_decoded(b) for b in blobs]
    return (
        [hashlib.sha256(b).hexdigest() for b in blobs],
        [perceptual_hash(img) for img in images],
        [image_signature(img) for img in images],
    )


def test_exact_copies_share_a_group_even_without_perceptual_hash() -> None:
    groups = duplicate_groups(["h1", "h2", "h1", "h3", "h1"], [None] * 5)
    assert groups.tolist() == [0, 1, 0, 3, 0]


def test_reencoded_and_resized_copy_is_a_near_duplicate(photos) -> None:
    original = jpeg(photos["a"], 95)
    smaller = cv2.resize(photos["a"], (280, 220), interpolation=cv2.INTER_AREA)
    copies = [original, jpeg(photos["a"], 60), jpeg(smaller, 70), jpeg(photos["b"], 95)]
    sha, phash, sig = _features(copies)
    assert len(set(sha)) == 4  # no exact duplicates here
    groups = duplicate_groups(sha, phash, max_distance=8, signatures=sig, min_correlation=0.9)
    assert groups.tolist() == [0, 0, 0, 3]


def test_distinct_photos_are_not_merged_even_when_their_phashes_collide(photos) -> None:
    blobs = [jpeg(photos[k]) for k in "abc"]
    sha, _, sig = _features(blobs)
    same_hash = [0x0123456789ABCDEF] * 3  # a perceptual-hash collision between all three
    groups = duplicate_groups(sha, same_hash, max_distance=8, signatures=sig)
    assert groups.tolist() == [0, 1, 2]
    # without the signature check, the collision alone would have merged them
    assert duplicate_groups(sha, same_hash, max_distance=8).tolist() == [0, 0, 0]
    assert signature_correlation(sig[0], sig[1]) < 0.9
    assert signature_correlation(sig[0], sig[0]) == 1.0


def test_hamming_distance_limit_is_respected() -> None:
    base = 0xFFFF_0000_FFFF_0000
    near = base ^ 0b1111  # 4 bits apart
    far = base ^ ((1 << 9) - 1)  # 9 bits apart
    assert duplicate_groups(["a", "b"], [base, near], max_distance=4).tolist() == [0, 0]
    assert duplicate_groups(["a", "b"], [base, near], max_distance=3).tolist() == [0, 1]
    assert duplicate_groups(["a", "b"], [base, far], max_distance=8).tolist() == [0, 1]


def test_keeper_has_most_pixels_then_largest_file_then_best_score_then_first_source() -> None:
    frame = pd.DataFrame(
        {
            "source": [
                "s/b.jpg",
                "s/a.jpg",
                "s/c.jpg",
                "t/1.jpg",
                "t/2.jpg",
                "u/2.jpg",
                "u/1.jpg",
                "v/x.jpg",
            ],
            "width": [400, 800, 800, 500, 500, 500, 500, 300],
            "height": [300, 600, 600, 500, 500, 500, 500, 300],
            "size_bytes": [9000, 5000, 7000, 100, 100, 100, 100, 10],
            "quality_score": [0.9, 0.5, 0.4, 0.2, 0.8, 0.5, 0.5, 0.1],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],  # a non-default index is kept aligned
    )
    group = np.array([0, 0, 0, 3, 3, 5, 5, 7])
    keepers = choose_keepers(frame, group)
    assert keepers.index.tolist() == frame.index.tolist()
    assert keepers.tolist() == [
        "s/c.jpg",
        "s/c.jpg",
        "s/c.jpg",  # most pixels, then the larger file
        "t/2.jpg",
        "t/2.jpg",  # equal size: the better score
        "u/1.jpg",
        "u/1.jpg",  # all equal: the first source in sort order
        "v/x.jpg",  # alone: keeps itself
    ]


def test_identical_copies_keep_the_name_without_a_copy_suffix() -> None:
    """Exact copies tie on everything measurable; the original name is the shortest."""
    names = ["H7/images/E1_左眼(3).jpg", "H7/images/E1_左眼.jpg", "H7/images/E1_左眼 - 副本.jpg",
             "H8/a_OD_copy.jpg", "H8/a_OD.jpg"]  # fmt: skip
    frame = pd.DataFrame(
        {
            "source": names,
            "width": 2048,
            "height": 2048,
            "size_bytes": 316466,
            "quality_score": 0.6,
        }
    )
    keepers = choose_keepers(frame, np.array([0, 0, 0, 1, 1]))
    assert keepers.tolist() == ["H7/images/E1_左眼.jpg"] * 3 + ["H8/a_OD.jpg"] * 2


# --------------------------------------------------------------- at scale, against brute force

_BENCH = importlib.util.spec_from_file_location(
    "dedup_scale", Path(__file__).resolve().parents[2] / "benchmarks" / "dedup_scale.py"
)
dedup_scale = importlib.util.module_from_spec(_BENCH)
sys.modules["dedup_scale"] = dedup_scale
_BENCH.loader.exec_module(dedup_scale)


@pytest.fixture(scope="module")
def calibration() -> dict[str, np.ndarray]:
    """Keys of 24 rendered demo photos, 6 of them copied six ways (re-encoded, resized...)."""
    return dedup_scale.calibrate(24, 6)


def test_real_copies_of_rendered_photos_are_grouped_and_distinct_ones_are_not(
    calibration,
) -> None:
    sigs = calibration["signatures"]
    copies = (sigs[calibration["copy_of"]].astype(np.int16) + calibration["copy_deltas"]).astype(
        np.int8
    )
    hashes = dedup_scale._from_bits(calibration["bits"])
    copy_hashes = hashes[calibration["copy_of"]] ^ dedup_scale._from_bits(calibration["copy_flips"])
    n = len(sigs)
    groups = duplicate_groups(
        [f"d{i}" for i in range(n + len(copies))],
        [int(h) for h in np.concatenate([hashes, copy_hashes])],
        8,
        np.concatenate([sigs, copies]),
        0.9,
    )
    assert groups[:n].tolist() == list(range(n))  # no two distinct photos merged
    assert groups[n:].tolist() == calibration["copy_of"].tolist()  # every copy found
    assert set(calibration["copy_kinds"]) >= {"halved_q70", "quartered_q60", "recompressed_3x"}


def test_lsh_search_agrees_with_brute_force_on_thousands_of_demo_like_keys(calibration) -> None:
    keys = dedup_scale.draw_keys(dedup_scale.KeyModel(calibration), 4_000, seed=7)
    stats = DedupStats()
    groups = duplicate_groups(keys.sha256, keys.phash, 8, keys.signatures, 0.9, stats=stats)
    reference = duplicate_groups_exhaustive(keys.sha256, keys.phash, keys.signatures, 8, 0.9)
    assert np.array_equal(groups, reference)
    recall, merged = dedup_scale.score(groups, keys.original)
    assert recall == 1.0 and merged == 0
    assert stats.candidates < 4 * len(keys.sha256)  # not a quadratic number of pairs
    # the same keys as bytes (as the pipeline holds them) give the same groups
    as_bytes = [row.tobytes() for row in keys.signatures]
    assert np.array_equal(duplicate_groups(keys.sha256, keys.phash, 8, as_bytes, 0.9), groups)


def test_missing_hashes_or_signatures_only_join_by_content_hash(calibration) -> None:
    sig = calibration["signatures"][0].tobytes()
    phash = int(dedup_scale._from_bits(calibration["bits"][:1])[0])
    groups = duplicate_groups(
        ["a", "b", "c", "a"], [phash, phash, None, None], 8, [sig, None, sig, None], 0.9
    )
    assert groups.tolist() == [0, 1, 2, 0]
    # a DataFrame column without a signature holds NaN rather than None
    nan = float("nan")
    assert duplicate_groups(["a", "b"], [phash, phash], 8, [sig, nan], 0.9).tolist() == [0, 1]
    assert duplicate_groups(["a", "b"], [phash, phash], 8, [sig, sig], 0.9).tolist() == [0, 0]


def test_empty_and_single_photo_archives() -> None:
    assert duplicate_groups([], [], 8, [], 0.9).tolist() == []
    assert duplicate_groups(["a"], [1], 8, [bytes(1024)], 0.9).tolist() == [0]
    assert duplicate_groups_exhaustive([], [], []).tolist() == []


def test_key_length_grows_with_the_archive_and_degenerate_buckets_are_capped(caplog) -> None:
    index = SignatureIndex()
    assert index.bits(10) == index.min_bits
    assert index.bits(10_000) < index.bits(160_000) < index.bits(640_000) <= index.max_bits
    flat = np.zeros((50, 1024), np.int8)  # blank signatures: one giant bucket
    stats = DedupStats()
    groups = duplicate_groups(
        [str(i) for i in range(50)], [0] * 50, 8, flat, 0.9, SignatureIndex(max_bucket=10), stats
    )
    assert groups.tolist() == list(range(50)) and stats.skipped_buckets > 0
    with pytest.raises(ValueError, match="signature #1 has 3 bytes"):
        duplicate_groups(["a", "b"], [1, 2], 8, [bytes(1024), b"abc"], 0.9)
