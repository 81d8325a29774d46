"""Process every photo of the archive in parallel, with a cache that survives reruns.

Each worker decodes one file (DCT-scaled), judges its quality, writes the disc crop to
a content-addressed cache folder and returns only small metadata, so memory stays flat
however large the archive. A rerun on an unchanged archive (same path, size, mtime,
crop side and JPEG quality) reuses the cached result instead of decoding again; new
quality thresholds are applied to the cached metrics, so recalibrating them for a site
costs no decoding.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from revision_pipeline.imaging import QualityThresholds, process_image
from revision_pipeline.imaging.quality import judge

logger = logging.getLogger(__name__)

#: Columns of the metadata table returned by :func:`process_images`.
RESULT_COLUMNS: tuple[str, ...] = (
    "source", "size_bytes", "mtime_ns", "sha256", "phash", "quality_score", "passed",
    "reasons", "crop_path", "crop_sha256", "signature", "width", "height", "metrics",
)  # fmt: skip


@dataclass(frozen=True)
class ImageSettings:
    """How photos are cropped (the cache key) and judged (not in the key: cached
    metrics are judged again, so changing a threshold does not decode anything)."""

    side: int = 512
    jpeg_quality: int = 90
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)

    def key(self) -> str:
        """A short stable hash of what determines a crop (side and JPEG quality)."""
        blob = json.dumps({"side": self.side, "jpeg_quality": self.jpeg_quality}).encode()
        return hashlib.blake2b(blob, digest_size=6).hexdigest()


def crop_digest(data: bytes) -> str:
    """The checksum of a crop's JPEG bytes, kept in the cache index."""
    return hashlib.sha256(data).hexdigest()


def verify_crop(path: str | Path, expected_sha256: str, side: int | None = None) -> str:
    """Why the cached crop at ``path`` cannot be used, or ``""`` when it can.

    The bytes must have the checksum recorded when they were written (a truncated,
    zero-byte or swapped file fails), be a whole JPEG (start and end markers) and, with
    ``side``, declare a ``side`` x ``side`` frame.
    """
    try:
        data = Path(path).read_bytes()
    except OSError:
        return "crop_missing"
    if not data:
        return "crop_empty"
    if not expected_sha256 or crop_digest(data) != expected_sha256:
        return "crop_changed"
    if not (data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9")):
        return "crop_truncated"
    if side is not None:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.format != "JPEG" or img.size != (side, side):
                    return "crop_not_square"
        except OSError:
            return "crop_truncated"
    return ""


def _process_one(args: tuple[str, str, str, ImageSettings]) -> dict[str, object]:
    source, path, cache_dir, settings = args
    stat = os.stat(path)
    result = process_image(Path(path), settings.side, settings.thresholds, settings.jpeg_quality)
    crop_path = crop_sha256 = ""
    if result.jpeg is not None and result.sha256 is not None:
        crop = (
            Path(cache_dir) / "crops" / result.sha256[:2] / f"{result.sha256}_{settings.key()}.jpg"
        )
        crop_sha256 = crop_digest(result.jpeg)
        # an existing crop is kept only when it is exactly this one (a truncated or
        # swapped file from an earlier run is written again)
        if verify_crop(crop, crop_sha256):
            crop.parent.mkdir(parents=True, exist_ok=True)
            tmp = crop.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(result.jpeg)
            tmp.replace(crop)
        crop_path = str(crop)
    width, height = result.original_size or (0, 0)
    return {
        "source": source,
        "size_bytes": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": result.sha256 or "",
        "phash": None if result.phash is None else int(result.phash),
        "quality_score": float(result.score),
        "passed": bool(result.passed),
        "reasons": list(result.reasons),
        "crop_path": crop_path,
        "crop_sha256": crop_sha256,
        "signature": result.signature,
        "width": int(width),
        "height": int(height),
        # empty for a file that could not be read: its verdict does not depend on thresholds
        "metrics": json.dumps(result.metrics) if result.metrics else "",
    }


#: Storage type of perceptual hashes in every table and cache: unsigned 64-bit integers
#: with pandas' missing marker (``pd.NA``). Never a float: a double keeps 53 bits, and a
#: rounded hash is compared bit by bit in deduplication.
PHASH_DTYPE = "UInt64"


def phash_array(values: Sequence[object]) -> pd.arrays.IntegerArray:
    """Perceptual hashes (``int``, ``numpy`` integers, ``None``/``NA``) as a ``UInt64`` array.

    Raises:
        TypeError: for a float value: it may have been rounded, so it cannot be trusted.
    """
    out: list[int | None] = []
    for i, value in enumerate(values):
        if value is None or value is pd.NA:
            out.append(None)
        elif isinstance(value, float | np.floating):
            if np.isnan(value):
                out.append(None)
                continue
            raise TypeError(f"perceptual hash #{i} is a float ({value!r}): it may have lost bits")
        else:
            out.append(int(value))  # type: ignore[call-overload]
    return pd.array(out, dtype=PHASH_DTYPE)


def phash_values(column: pd.Series) -> list[int | None]:
    """A ``phash`` column as exact Python ints (``None`` where missing), for deduplication.

    Raises:
        TypeError: when the column holds floats (written by code that rounded hashes).
    """
    if column.dtype.kind == "f":
        raise TypeError(
            "the phash column holds floats, so its hashes may have lost their low bits; "
            "delete the photo_quality table and rerun curate to rebuild it"
        )
    return [None if v is pd.NA or v is None else int(v) for v in phash_array(column.tolist())]


#: How the ``phash`` column of a cache index was written, from its Parquet type.
#: ``uint64``: this version (exact); ``int64``: earlier versions shifted the hash by
#: -2**63 to fit (exact, shifted back on load); ``double``: earlier versions whose column
#: fell back to floats when a hash was missing (rounded: those rows are processed again).
_INT64_SHIFT = 1 << 63


def _load_index(cache_dir: Path, settings: ImageSettings) -> pd.DataFrame:
    index = cache_dir / f"index_{settings.key()}.parquet"
    if not index.exists():
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    try:
        schema = pq.read_schema(index)
    except (OSError, pa.ArrowException) as error:  # e.g. a half-written index of old code
        logger.warning("%s cannot be read (%s): every photo is processed again", index, error)
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    stored = schema.field("phash").type if "phash" in schema.names else pa.null()
    frame = pd.read_parquet(index)
    if pa.types.is_unsigned_integer(stored) or pa.types.is_null(stored):
        frame["phash"] = phash_array(
            frame["phash"].tolist() if "phash" in frame else [None] * len(frame)
        )
    elif pa.types.is_signed_integer(stored):
        logger.info("%s: perceptual hashes written by an earlier version, shifted back", index)
        frame["phash"] = phash_array(
            [None if pd.isna(v) else int(v) + _INT64_SHIFT for v in frame["phash"].tolist()]
        )
    else:
        logger.warning(
            "%s: perceptual hashes stored as %s by an earlier version may be rounded; "
            "every cropped photo is hashed again (crops already written are reused)",
            index, stored,
        )  # fmt: skip
        frame = frame.iloc[0:0]
    return frame


def _judged_again(row: dict[str, object], thresholds: QualityThresholds) -> dict[str, object]:
    """A cached row with its verdict recomputed from its stored metrics."""
    if not row.get("metrics"):
        return row
    verdict = judge(json.loads(str(row["metrics"])), thresholds)
    return {**row, "quality_score": verdict.score, "passed": verdict.passed,
            "reasons": list(verdict.reasons)}  # fmt: skip


#: Metrics of a cropped photo that later versions added; a cached row without one is
#: measured again (its crop file is kept), so an upgrade never leaves a check blind.
_REQUIRED_METRICS: tuple[str, ...] = ("disc_offset",)


def _complete(row: pd.Series) -> bool:
    """Whether a cached cropped photo still has its verified crop and every current metric."""
    if verify_crop(row["crop_path"], str(row.get("crop_sha256") or "")):
        return False
    metrics = json.loads(str(row["metrics"])) if row["metrics"] else {}
    return all(name in metrics for name in _REQUIRED_METRICS)


def _reusable(
    cached: pd.DataFrame, root: Path, sources: Sequence[str]
) -> dict[str, dict[str, object]]:
    """Cached rows whose file is unchanged (same size and mtime), whose crop still exists
    and whose metrics are complete."""
    if cached.empty or "metrics" not in cached.columns:
        return {}
    by_source = cached.set_index("source")
    reuse: dict[str, dict[str, object]] = {}
    failed = 0
    for source in sources:
        if source not in by_source.index:
            continue
        row = by_source.loc[source]
        try:
            stat = (root / source).stat()
        except OSError:
            continue
        unchanged = stat.st_size == row["size_bytes"] and stat.st_mtime_ns == row["mtime_ns"]
        if not unchanged:
            continue
        if not row["crop_path"] or _complete(row):
            reuse[source] = {"source": source, **row.to_dict()}
        else:
            failed += 1
    if failed:
        logger.warning(
            "%d cached crops are missing, incomplete, truncated or changed on disk (or predate "
            "crop checksums): recomputed from their source photos",
            failed,
        )
    return reuse


def process_images(
    root: Path,
    sources: Sequence[str],
    settings: ImageSettings,
    cache_dir: Path,
    workers: int = 0,
    progress: bool = True,
) -> pd.DataFrame:
    """Quality, crop and hashes for every image, in parallel; one row per source.

    Args:
        root: The archive root.
        sources: Image paths relative to ``root``.
        settings: Crop side, JPEG quality and quality thresholds.
        cache_dir: Folder for crops and the reuse index (inside the PHI boundary).
        workers: Processes; 0 means one per core.
        progress: Show a progress bar.

    Returns:
        A DataFrame with :data:`RESULT_COLUMNS`, in the order of ``sources``.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    reused = _reusable(_load_index(cache_dir, settings), root, sources)
    todo = [s for s in sources if s not in reused]
    logger.info("Images: %d to process, %d reused from the cache", len(todo), len(reused))
    rows = [_judged_again(row, settings.thresholds) for row in reused.values()]
    rows.extend(_run(todo, root, cache_dir, settings, workers, progress))
    hashes = phash_array([row["phash"] for row in rows])  # before pandas can make them floats
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS)).assign(phash=hashes)
    order = {s: i for i, s in enumerate(sources)}
    frame = frame.sort_values("source", key=lambda s: s.map(order)).reset_index(drop=True)
    index = cache_dir / f"index_{settings.key()}.parquet"
    tmp = index.with_name(f".{index.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(index)  # a kill mid-write never leaves a half index
    return frame


def _run(
    todo: Sequence[str],
    root: Path,
    cache_dir: Path,
    settings: ImageSettings,
    workers: int,
    progress: bool,
) -> Iterator[dict[str, object]]:
    jobs = [(s, str(root / s), str(cache_dir), settings) for s in todo]
    n_workers = min(workers or os.cpu_count() or 1, max(1, len(jobs)))
    bar = tqdm(total=len(jobs), desc="curating photos", unit="photo", disable=not progress)
    try:
        if n_workers == 1:
            for job in jobs:
                yield _process_one(job)
                bar.update()
        else:
            with ProcessPoolExecutor(n_workers) as pool:
                for row in pool.map(_process_one, jobs, chunksize=8):
                    yield row
                    bar.update()
    finally:
        bar.close()


def crop_problems(photos: pd.DataFrame, side: int) -> pd.Series:
    """Per photo with a crop: why its cached crop cannot go into the pairs ("" when it can).

    The pairs carry the crop's bytes: each must be the file whose checksum the cache
    recorded, a whole JPEG, ``side`` x ``side``.
    """
    return pd.Series(
        [
            verify_crop(path, str(digest or ""), side) if path else ""
            for path, digest in zip(photos["crop_path"], photos["crop_sha256"], strict=True)
        ],
        index=photos.index,
        dtype=object,
    )
