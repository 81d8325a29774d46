"""Exact and near-duplicate detection across the whole archive.

Exact duplicates share a content hash (sha256 of the file). Near duplicates (the same
photo re-encoded or resized) have perceptual hashes within a small Hamming distance;
candidates are found with multi-index hashing (split the 64-bit hash into
``max_distance + 1`` bands: by the pigeonhole principle two hashes within the distance
agree exactly on at least one band), so the work stays near-linear in the archive size.

Fundus photographs all look alike at low spatial frequencies (a bright disc on black,
a darker macula), so a perceptual hash alone merges different eyes. Candidates are
therefore confirmed with a *signature*: a small high-passed thumbnail in which the
vessel pattern dominates (``imaging.hashing.image_signature``, computed with the crop);
two photos are near duplicates only when their signatures correlate at
``min_correlation`` or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from revision_pipeline.imaging.hashing import signature_correlation


def _bands(value: int, n_bands: int) -> list[int]:
    width = 64 // n_bands
    mask = (1 << width) - 1
    return [(value >> (i * width)) & mask for i in range(n_bands)]


def _popcount(value: int) -> int:
    return int(value).bit_count()


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def duplicate_groups(
    content_hashes: Sequence[str],
    perceptual_hashes: Sequence[int | None],
    max_distance: int = 8,
    signatures: Sequence[bytes | None] | None = None,
    min_correlation: float = 0.9,
) -> np.ndarray:
    """Group id per item: items in one group are exact or near duplicates of each other.

    Args:
        content_hashes: sha256 of each file.
        perceptual_hashes: 64-bit perceptual hash of each image (None when unavailable).
        max_distance: largest Hamming distance that makes two photos candidates.
        signatures: ``imaging.hashing.image_signature`` of each image; when given, a candidate pair
            is a duplicate only if the signatures correlate at ``min_correlation``.
        min_correlation: see ``signatures``.

    Returns:
        An int array; the group id is the smallest index in the group.
    """
    n = len(content_hashes)
    uf = _UnionFind(n)
    first_by_hash: dict[str, int] = {}
    for i, digest in enumerate(content_hashes):
        if digest in first_by_hash:
            uf.union(first_by_hash[digest], i)
        else:
            first_by_hash[digest] = i
    n_bands = min(max_distance + 1, 16)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, value in enumerate(perceptual_hashes):
        if value is None:
            continue
        for band, key in enumerate(_bands(int(value), n_bands)):
            buckets[(band, key)].append(i)
    for members in buckets.values():
        if len(members) < 2:
            continue
        for a_pos, a in enumerate(members):
            ha = int(perceptual_hashes[a])  # type: ignore[arg-type]
            for b in members[a_pos + 1 :]:
                if uf.find(a) == uf.find(b):
                    continue
                if _popcount(ha ^ int(perceptual_hashes[b])) > max_distance:  # type: ignore[arg-type]
                    continue
                if signatures is not None and not _confirmed(
                    signatures[a], signatures[b], min_correlation
                ):
                    continue
                uf.union(a, b)
    return np.array([uf.find(i) for i in range(n)], dtype=np.int64)


def _confirmed(a: bytes | None, b: bytes | None, min_correlation: float) -> bool:
    return a is not None and b is not None and signature_correlation(a, b) >= min_correlation


def choose_keepers(frame: pd.DataFrame, group: np.ndarray) -> pd.Series:
    """For each row, the ``source`` of the copy kept in its duplicate group.

    The kept copy is the one with the most information: the most pixels, then the
    largest file (a re-encoded copy is usually smaller), then the best quality score;
    among identical copies, the shortest path (copies gain suffixes: ``x(3).jpg``,
    ``x - 副本.jpg``, ``x_copy.jpg``), then the first in sort order (deterministic).
    Kept rows map to themselves.

    Args:
        frame: rows with ``source``, ``width``, ``height``, ``size_bytes`` and
            ``quality_score`` columns.
        group: group ids from :func:`duplicate_groups`, aligned with ``frame``.
    """
    ranked = frame.assign(
        _group=group,
        _pixels=frame["width"] * frame["height"],
        _length=frame["source"].str.len(),
    ).sort_values(
        ["_group", "_pixels", "size_bytes", "quality_score", "_length", "source"],
        ascending=[True, False, False, False, True, True],
    )
    keeper = ranked.groupby("_group")["source"].first()
    return pd.Series(keeper.loc[group].to_numpy(), index=frame.index, name="kept_source")
