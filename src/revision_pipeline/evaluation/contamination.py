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

Near matches are found with a pigeonhole index (split the 64 bits into
``max_distance + 1`` blocks: two hashes within ``max_distance`` bits agree exactly on at
least one block), so the check stays sub-quadratic at archive scale.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from revision_pipeline.evaluation.images import crop_hashes, signed, unsigned
from revision_pipeline.imaging.hashing import signature_correlation

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


def _blocks(value: int, n_blocks: int) -> list[tuple[int, int]]:
    width = 64 // n_blocks
    mask = (1 << width) - 1
    return [(b, (value >> (b * width)) & mask) for b in range(n_blocks)]


def near_matches(
    query: list[int], reference: list[int], max_distance: int
) -> list[tuple[int, int, int]]:
    """``(query index, reference index, distance)`` for every pair within ``max_distance`` bits."""
    n_blocks = max_distance + 1
    index: dict[tuple[int, int], list[int]] = defaultdict(list)
    for j, ref in enumerate(reference):
        for key in _blocks(ref, n_blocks):
            index[key].append(j)
    out = []
    for i, q in enumerate(query):
        seen: set[int] = set()
        for key in _blocks(q, n_blocks):
            for j in index.get(key, ()):
                if j in seen:
                    continue
                seen.add(j)
                d = (q ^ reference[j]).bit_count()
                if d <= max_distance:
                    out.append((i, j, d))
    return out


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
    signatures = prepared["signature"].to_numpy()
    for qi, j, d in near_matches(query, reference, max_distance):
        i = int(q_idx[qi])
        a, b = signatures[i], pairs["signature"].iat[j]
        if a is None or b is None or signature_correlation(a, b) < min_correlation:
            continue
        rows.append(
            (benchmark, ids[i], paths[i], "near", pairs["pair_id"].iat[j], pairs["split"].iat[j], d)
        )
    out = pd.DataFrame(rows, columns=list(CONTAMINATION_COLUMNS))
    if len(out):
        logger.warning(
            "%s: %d photo(s) also in the pretraining pairs; excluded from scoring",
            benchmark,
            out["image_path"].nunique(),
        )
    return out
