"""Contamination check: benchmark photos that are also pretraining photos.

Public benchmark photos do turn up inside hospital archives. Every benchmark photo is
compared with every curated pair by

- ``crop``: SHA-256 of the disc-crop JPEG (the same file cropped by the same code gives
  the same bytes),
- ``file``: SHA-256 of the original file, when the archive's file hashes are available,
- ``near``: perceptual hash of the crop within ``max_distance`` bits *and* vessel
  signatures correlating at ``min_correlation`` or more (re-encoded, resized or re-exported
  copies), curate's own near-duplicate rule (``curation.dedup``): fundus photos share so
  much structure that the hash alone pairs distinct eyes.

Near matches: every hash pair within ``max_distance`` bits (vectorised XOR and popcount),
then the candidates' vessel signatures correlated in one matrix product.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from revision_pipeline.evaluation.images import crop_hashes, signed, unsigned

logger = logging.getLogger(__name__)

CONTAMINATION_COLUMNS = (
    "benchmark",
    "image_id",
    "image_path",
    "match",
    "pair_id",
    "pair_split",
    "distance",
)


def pair_hashes(
    pairs_path: str | Path, cache_file: Path | None = None, progress: bool = True
) -> pd.DataFrame:
    """``pair_id``, ``split``, ``crop_sha256`` and ``phash`` of every curated pair.

    Perceptual hashes need a decode; they are cached by crop SHA-256 in ``cache_file``.
    """
    import pyarrow.dataset as pads

    from revision_pipeline.imaging import content_hash

    dataset = pads.dataset(str(pairs_path), format="parquet")
    cache: dict[str, tuple[int, bytes]] = {}
    if cache_file is not None and cache_file.is_file():
        old = pd.read_parquet(cache_file)
        if "signature" not in old:  # written by an older version
            old = old.iloc[0:0].assign(signature=[])
        cache = dict(
            zip(old["crop_sha256"], zip(old["phash"], old["signature"], strict=True), strict=True)
        )
    rows = []
    n_new = 0
    total = dataset.count_rows()
    bar = tqdm(total=total, desc="hash pairs", unit="img", disable=not progress)
    for batch in dataset.to_batches(columns=["pair_id", "split", "image"], batch_size=256):
        for pid, split, image in zip(
            *(batch.column(c).to_pylist() for c in ("pair_id", "split", "image")), strict=True
        ):
            sha = content_hash(image)
            if sha not in cache:
                phash, signature = crop_hashes(image)
                cache[sha] = (signed(phash), signature)
                n_new += 1
            rows.append((pid, split, sha, *cache[sha]))
        bar.update(batch.num_rows)
    bar.close()
    if cache_file is not None and n_new:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(
            {
                "crop_sha256": list(cache),
                "phash": [v[0] for v in cache.values()],
                "signature": [v[1] for v in cache.values()],
            }
        ).to_parquet(cache_file, index=False)
    logger.info("pair hashes: %d pairs, %d newly decoded", len(rows), n_new)
    return pd.DataFrame(rows, columns=["pair_id", "split", "crop_sha256", "phash", "signature"])


def near_matches(
    query: list[int], reference: list[int], max_distance: int
) -> list[tuple[int, int, int]]:
    """``(query index, reference index, distance)`` for every pair within ``max_distance`` bits.

    Vectorised brute force (``numpy.bitwise_count`` of XORs) in chunks of queries that keep
    the distance block near 16 MB: 10,000 benchmark photos against 500,000 pairs is a few
    seconds.
    """
    q = np.array(query, dtype=np.uint64)
    r = np.array(reference, dtype=np.uint64)
    if not len(q) or not len(r):
        return []
    chunk = max(1, (1 << 24) // len(r))
    out: list[tuple[int, int, int]] = []
    for lo in range(0, len(q), chunk):
        dist = np.bitwise_count(q[lo : lo + chunk, None] ^ r[None, :])
        rows, cols = np.nonzero(dist <= max_distance)
        out += [(int(i) + lo, int(j), int(dist[i, j])) for i, j in zip(rows, cols, strict=True)]
    return out


def _unit_signatures(signatures: list[bytes]) -> np.ndarray:
    """Signatures as zero-mean unit vectors (their dot product is the Pearson correlation)."""
    x = np.stack([np.frombuffer(s, np.int8) for s in signatures]).astype(np.float32)
    x -= x.mean(axis=1, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-6)


def find_contamination(
    benchmark: str,
    prepared: pd.DataFrame,
    pairs: pd.DataFrame,
    max_distance: int = 8,
    pair_file_hashes: pd.DataFrame | None = None,
    min_correlation: float = 0.9,
) -> pd.DataFrame:
    """Every benchmark photo that matches a pair, one row per (photo, pair, kind of match).

    Args:
        benchmark: name, for the output rows.
        prepared: a table from :func:`~revision_pipeline.evaluation.images.prepare_images`.
        pairs: :func:`pair_hashes` output.
        max_distance: largest perceptual-hash Hamming distance that makes a candidate.
        pair_file_hashes: optional ``pair_id`` + ``file_sha256`` of the pairs' source files.
        min_correlation: vessel-signature correlation that confirms a candidate.

    Returns:
        Rows with :data:`CONTAMINATION_COLUMNS` (empty when clean).
    """
    rows = []
    ids = prepared.get("image_id", prepared["image_path"]).astype(str).tolist()
    paths = prepared["image_path"].astype(str).tolist()
    by_crop = pairs.groupby("crop_sha256")
    crop_index = {sha: g for sha, g in by_crop}
    for i, sha in enumerate(prepared["crop_sha256"]):
        if sha is not None and sha in crop_index:
            for pid, split in zip(
                crop_index[sha]["pair_id"], crop_index[sha]["split"], strict=True
            ):
                rows.append((benchmark, ids[i], paths[i], "crop", pid, split, 0))
    if pair_file_hashes is not None and len(pair_file_hashes):
        split_of = dict(zip(pairs["pair_id"], pairs["split"], strict=True))
        file_index = pair_file_hashes.groupby("file_sha256")["pair_id"].apply(list).to_dict()
        for i, sha in enumerate(prepared["file_sha256"]):
            for pid in file_index.get(sha, []) if sha else []:
                rows.append((benchmark, ids[i], paths[i], "file", pid, split_of.get(pid, ""), 0))
    valid = prepared["phash"].notna().to_numpy()
    q_idx = np.flatnonzero(valid)
    query = [unsigned(int(v)) for v in prepared["phash"].to_numpy()[q_idx]]
    reference = [unsigned(int(v)) for v in pairs["phash"]]
    candidates = near_matches(query, reference, max_distance)
    signatures = prepared["signature"].to_numpy()
    kept = [
        (int(q_idx[qi]), j, d)
        for qi, j, d in candidates
        if signatures[q_idx[qi]] is not None and pairs["signature"].iat[j] is not None
    ]
    if kept:
        a = _unit_signatures([signatures[i] for i, _, _ in kept])
        b = _unit_signatures([pairs["signature"].iat[j] for _, j, _ in kept])
        corr = (a * b).sum(axis=1)
        for (i, j, d), c in zip(kept, corr, strict=True):
            if c >= min_correlation:
                pid, split = pairs["pair_id"].iat[j], pairs["split"].iat[j]
                rows.append((benchmark, ids[i], paths[i], "near", pid, split, d))
    out = pd.DataFrame(rows, columns=list(CONTAMINATION_COLUMNS))
    if len(out):
        logger.warning(
            "%s: %d photo(s) also in the pretraining pairs; excluded from scoring",
            benchmark,
            out["image_path"].nunique(),
        )
    return out
