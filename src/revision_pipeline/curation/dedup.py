"""Exact and near-duplicate detection across the whole archive.

Exact duplicates share a content hash (sha256 of the file). Near duplicates are copies of
one capture (re-encoded, resized, recompressed, lightly cropped or colour-adjusted); two
photos are near duplicates when their 64-bit perceptual hashes are within
``max_distance`` bits *and* their vessel signatures (``imaging.hashing.image_signature``:
a high-passed 32x32 thumbnail in which the vessel tree dominates) correlate at
``min_correlation`` or more. That confirmation is unchanged from earlier versions; what
changed is how candidate pairs are found.

Fundus photographs all look alike at low spatial frequencies, so the perceptual hash does
not tell them apart: among 600 distinct demo crops 2.7% of the pairs lie within 8 bits,
and a search on it returns a quadratic number of candidates. Candidates therefore come
from the signatures: random-hyperplane LSH (SimHash) of the signature minus the archive's
mean signature (what every fundus shares), ``bands`` tables of ``bits`` bits each, with
query-directed multi-probing (each photo also probes the keys with one of its two
least-certain bits flipped, where a re-encoded copy's bits flip). ``bits`` grows with
log2 of the archive size, so the expected number of distinct pairs colliding stays about
proportional to the archive (docs/benchmarks.md, "Deduplication at paper scale").

The search is probabilistic: a copy is missed only when every table misses it (recall of
planted re-encoded, resized and recompressed copies 0.999 at 640k photos, 1.000 up to
40k; the misses are quarter-size copies); it never merges anything the confirmation
rejects.
:func:`duplicate_groups_exhaustive` is the quadratic reference it is tested against.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from revision_pipeline.imaging.hashing import SIGNATURE_SIDE

logger = logging.getLogger(__name__)

#: Length of a signature (int8 values).
SIGNATURE_LENGTH = SIGNATURE_SIDE * SIGNATURE_SIDE
_CHUNK = 16_384


@dataclass(frozen=True)
class SignatureIndex:
    """Parameters of the LSH candidate search on vessel signatures.

    Attributes:
        bands: Number of hash tables.
        probes: Extra keys looked up per photo and table (each flips one of the photo's
            ``probes`` least-certain bits).
        extra_bits: Bits per key beyond log2 of the number of photos.
        min_bits: Fewest bits per key.
        max_bits: Most bits per key.
        max_bucket: A key shared by more photos than this is not expanded into pairs
            (logged): a guard against degenerate signatures, never reached on photos.
        seed: Seed of the random hyperplanes (fixed: results do not depend on the run).
    """

    bands: int = 16
    probes: int = 2
    extra_bits: int = 9
    min_bits: int = 20
    max_bits: int = 32
    max_bucket: int = 2_000
    seed: int = 20_261_203

    def bits(self, n: int) -> int:
        """Bits per key for ``n`` photos."""
        wanted = math.ceil(math.log2(max(n, 2))) + self.extra_bits
        return int(min(self.max_bits, max(self.min_bits, wanted)))

    def hyperplanes(self, bits: int) -> np.ndarray:
        """The ``SIGNATURE_LENGTH x (bands * bits)`` float32 projection matrix."""
        rng = np.random.default_rng(self.seed)
        full = rng.standard_normal((SIGNATURE_LENGTH, self.bands * self.max_bits))
        return np.ascontiguousarray(full[:, : self.bands * bits], dtype=np.float32)


@dataclass
class DedupStats:
    """What one :func:`duplicate_groups` call did (for benchmarks and logs)."""

    candidates: int = 0
    confirmed: int = 0
    bits: int = 0
    skipped_buckets: int = 0


def signature_matrix(
    signatures: Sequence[bytes | None] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Signatures as an ``(n, SIGNATURE_LENGTH)`` int8 matrix and a present-row mask.

    Args:
        signatures: ``image_signature`` bytes (``None`` where missing), or such a matrix.

    Raises:
        ValueError: when a signature has the wrong length (names its position).
    """
    if isinstance(signatures, np.ndarray):
        if signatures.ndim != 2 or signatures.shape[1] != SIGNATURE_LENGTH:
            raise ValueError(
                f"signatures: expected shape (n, {SIGNATURE_LENGTH}), got {signatures.shape}"
            )
        return signatures.astype(np.int8, copy=False), np.ones(len(signatures), bool)
    # missing: None, or NaN/NA where a DataFrame column held no signature
    present = np.array([isinstance(s, bytes | bytearray) for s in signatures], dtype=bool)
    blank = bytes(SIGNATURE_LENGTH)
    values = [s if ok else blank for s, ok in zip(signatures, present, strict=True)]
    if all(len(v) == SIGNATURE_LENGTH for v in values):
        joined = b"".join(values)
        return np.frombuffer(joined, np.int8).reshape(len(values), SIGNATURE_LENGTH), present
    matrix = np.zeros((len(values), SIGNATURE_LENGTH), np.int8)
    for i, sig in enumerate(values):
        if len(sig) != SIGNATURE_LENGTH:
            raise ValueError(f"signature #{i} has {len(sig)} bytes, expected {SIGNATURE_LENGTH}")
        matrix[i] = np.frombuffer(sig, np.int8)
    return matrix, present


def _hash_array(perceptual_hashes: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    present = np.array([h is not None for h in perceptual_hashes], dtype=bool)
    values = np.array([0 if h is None else int(h) for h in perceptual_hashes], dtype=np.uint64)
    return values, present


def _lsh_keys(
    matrix: np.ndarray, rows: np.ndarray, index: SignatureIndex, bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row and band: the key, and the probe keys (``rows x bands [x probes]``)."""
    planes = index.hyperplanes(bits)
    mean = matrix[rows].mean(axis=0, dtype=np.float64).astype(np.float32)
    weights = np.left_shift(np.int64(1), np.arange(bits, dtype=np.int64))
    keys = np.empty((len(rows), index.bands), np.int64)
    probes = np.empty((len(rows), index.bands, index.probes), np.int64)
    for start in range(0, len(rows), _CHUNK):
        part = rows[start : start + _CHUNK]
        proj = ((matrix[part].astype(np.float32) - mean) @ planes).reshape(
            len(part), index.bands, bits
        )
        key = (proj > 0).astype(np.int64) @ weights
        keys[start : start + len(part)] = key
        margin = np.abs(proj)
        for p in range(index.probes):  # flip the least-certain bit, then the next one
            weakest = margin.argmin(axis=2)
            probes[start : start + len(part), :, p] = key ^ weights[weakest]
            np.put_along_axis(margin, weakest[..., None], np.inf, axis=2)
    return keys, probes


def _pairs_sharing_a_key(
    table: np.ndarray, queries: np.ndarray, max_bucket: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """Positions ``(i, j)`` with ``queries[i] == table[j]`` (``i != j``), and buckets skipped."""
    order = np.argsort(table, kind="stable")
    ordered = table[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    keys, sizes = ordered[starts], np.diff(np.append(starts, len(ordered)))
    slot = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    count = np.where(keys[slot] == queries, sizes[slot], 0)
    big = count > max_bucket
    count[big] = 0
    lo = starts[slot]
    total = int(count.sum())
    first = np.repeat(np.arange(len(queries)), count)
    offsets = np.arange(total) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    second = order[offsets]
    keep = first != second
    return first[keep], second[keep], int(big.sum())


def _candidates(
    matrix: np.ndarray, rows: np.ndarray, index: SignatureIndex, stats: DedupStats
) -> np.ndarray:
    """Unique candidate pairs ``(a, b)``, ``a < b``, as rows of an int64 array (global ids)."""
    stats.bits = index.bits(len(rows))
    if len(rows) < 2:
        return np.empty((0, 2), np.int64)
    keys, probes = _lsh_keys(matrix, rows, index, stats.bits)
    n = len(rows)
    found: list[np.ndarray] = []
    for band in range(index.bands):
        table = keys[:, band]
        queries = np.concatenate([table, probes[:, band].T.ravel()])
        first, second, skipped = _pairs_sharing_a_key(table, queries, index.max_bucket)
        first %= n  # query q is photo q mod n (its key, then each of its probes)
        stats.skipped_buckets += skipped
        low, high = np.minimum(first, second), np.maximum(first, second)
        found.append(np.unique(low[low != high].astype(np.int64) * n + high[low != high]))
    if not found:
        return np.empty((0, 2), np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([rows[codes // n], rows[codes % n]], axis=1)


def _correlations(matrix: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pearson correlation of the signatures of each pair (as ``signature_correlation``)."""
    out = np.empty(len(pairs), np.float32)
    for start in range(0, len(pairs), _CHUNK):
        a = matrix[pairs[start : start + _CHUNK, 0]].astype(np.float32)
        b = matrix[pairs[start : start + _CHUNK, 1]].astype(np.float32)
        a -= a.mean(axis=1, keepdims=True)
        b -= b.mean(axis=1, keepdims=True)
        num = np.einsum("ij,ij->i", a, b)
        den = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
        out[start : start + len(a)] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _confirm(
    pairs: np.ndarray,
    hashes: np.ndarray,
    has_hash: np.ndarray,
    matrix: np.ndarray,
    max_distance: int,
    min_correlation: float,
) -> np.ndarray:
    a, b = pairs[:, 0], pairs[:, 1]
    close = has_hash[a] & has_hash[b]
    close &= np.bitwise_count(hashes[a] ^ hashes[b]) <= max_distance
    pairs = pairs[close]
    return pairs[_correlations(matrix, pairs) >= np.float32(min_correlation)]


def _exact_pairs(content_hashes: Sequence[str]) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(list(content_hashes), dtype=object), use_na_sentinel=False)
    first = pd.Series(np.arange(len(codes))).groupby(codes).transform("min").to_numpy()
    items = np.arange(len(codes))
    copies = first != items
    return np.stack([first[copies], items[copies]], axis=1).astype(np.int64)


def _groups(n: int, pairs: np.ndarray) -> np.ndarray:
    """Group id per item (the smallest index in its connected component)."""
    if len(pairs) == 0:
        return np.arange(n, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    smallest = np.full(labels.max() + 1, n, np.int64)
    np.minimum.at(smallest, labels, np.arange(n, dtype=np.int64))
    return smallest[labels]


def duplicate_groups(
    content_hashes: Sequence[str],
    perceptual_hashes: Sequence[int | None],
    max_distance: int = 8,
    signatures: Sequence[bytes | None] | np.ndarray | None = None,
    min_correlation: float = 0.9,
    index: SignatureIndex | None = None,
    stats: DedupStats | None = None,
) -> np.ndarray:
    """Group id per item: items in one group are exact or near duplicates of each other.

    Args:
        content_hashes: sha256 of each file.
        perceptual_hashes: 64-bit perceptual hash of each image (None when unavailable).
        max_distance: largest Hamming distance between the perceptual hashes of two copies.
        signatures: ``imaging.hashing.image_signature`` of each image (bytes or None, or
            an ``(n, 1024)`` int8 matrix). When given, candidates come from the LSH index
            on them (near-linear) and a pair is a duplicate only if its signatures
            correlate at ``min_correlation``. Without them, candidates come from bands of
            the perceptual hash alone (exact, but quadratic on fundus archives, and the
            hash alone merges different eyes: for small tests only).
        min_correlation: see ``signatures``.
        index: parameters of the signature index (defaults when ``None``).
        stats: filled with the number of candidates checked and confirmed, when given.

    Returns:
        An int array; the group id is the smallest index in the group.
    """
    n = len(content_hashes)
    if len(perceptual_hashes) != n or (signatures is not None and len(signatures) != n):
        raise ValueError("content_hashes, perceptual_hashes and signatures differ in length")
    stats = stats if stats is not None else DedupStats()
    exact = _exact_pairs(content_hashes)
    if signatures is None:
        near = _hash_band_pairs(perceptual_hashes, max_distance)
        stats.candidates = stats.confirmed = len(near)
        return _groups(n, np.concatenate([exact, near]))
    matrix, has_signature = signature_matrix(signatures)
    hashes, has_hash = _hash_array(perceptual_hashes)
    rows = np.flatnonzero(has_signature & has_hash)
    pairs = _candidates(matrix, rows, index or SignatureIndex(), stats)
    stats.candidates = len(pairs)
    near = _confirm(pairs, hashes, has_hash, matrix, max_distance, min_correlation)
    stats.confirmed = len(near)
    if stats.skipped_buckets:
        logger.warning(
            "Dedup: %d over-full LSH buckets not expanded (degenerate signatures?)",
            stats.skipped_buckets,
        )
    logger.info(
        "Dedup: %d photos, %d candidate pairs (%d-bit keys), %d near duplicates confirmed",
        n, stats.candidates, stats.bits, stats.confirmed,
    )  # fmt: skip
    return _groups(n, np.concatenate([exact, near]))


def _hash_band_pairs(perceptual_hashes: Sequence[int | None], max_distance: int) -> np.ndarray:
    """Pairs within ``max_distance`` bits, by multi-index hashing on the hash's bands."""
    n_bands = min(max_distance + 1, 16)
    width = 64 // n_bands
    mask = (1 << width) - 1
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, value in enumerate(perceptual_hashes):
        if value is None:
            continue
        for band in range(n_bands):
            buckets[(band, (int(value) >> (band * width)) & mask)].append(i)
    found: set[tuple[int, int]] = set()
    for members in buckets.values():
        for pos, a in enumerate(members):
            for b in members[pos + 1 :]:
                if (
                    int(perceptual_hashes[a]) ^ int(perceptual_hashes[b])
                ).bit_count() <= max_distance:  # type: ignore[arg-type]
                    found.add((a, b))
    return np.array(sorted(found), dtype=np.int64).reshape(-1, 2)


def duplicate_groups_exhaustive(
    content_hashes: Sequence[str],
    perceptual_hashes: Sequence[int | None],
    signatures: Sequence[bytes | None] | np.ndarray,
    max_distance: int = 8,
    min_correlation: float = 0.9,
    block: int = 2_048,
) -> np.ndarray:
    """:func:`duplicate_groups` by comparing every pair: the reference it is tested against.

    Quadratic (20,000 photos take seconds; 486,000 would take hours): for tests and
    audits only.
    """
    n = len(content_hashes)
    matrix, has_signature = signature_matrix(signatures)
    hashes, has_hash = _hash_array(perceptual_hashes)
    usable = np.flatnonzero(has_signature & has_hash)
    found = [_exact_pairs(content_hashes)]
    for start in range(0, len(usable), block):
        left = usable[start : start + block]
        right = usable[start:]
        dist = np.bitwise_count(hashes[left][:, None] ^ hashes[right][None, :])
        a, b = np.nonzero(dist <= max_distance)
        pairs = np.stack([left[a], right[b]], axis=1)
        pairs = pairs[pairs[:, 0] < pairs[:, 1]]
        found.append(pairs[_correlations(matrix, pairs) >= np.float32(min_correlation)])
    return _groups(n, np.concatenate(found))


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
