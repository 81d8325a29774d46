"""Benchmark photographs through curate's own crop, so train and test see one kind of image.

Each photo goes through :func:`revision_pipeline.imaging.process_image` (decode, find the
fundus disc, square crop at curate's ``image_side``, black outside the disc, JPEG) exactly as
the archive's photos did; the model's transform then resizes it and normalises with the
model's mean/std, as :func:`revision_pipeline.training.data.build_transforms` does for
validation. The same call yields the hashes the contamination check compares: SHA-256 of
the file, SHA-256 of the crop bytes and the crop's perceptual hash.

Results are cached per benchmark (path, size, mtime and crop settings), so a rerun does
not decode the photos again.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

#: Columns of a prepared benchmark table (beside the adapter's own columns).
PREPARED_COLUMNS = ("file_sha256", "crop_sha256", "phash", "signature", "crop", "crop_status")


@dataclass(frozen=True)
class CropSettings:
    """Curate's crop: side of the square disc crop and its JPEG quality."""

    side: int = 512
    jpeg_quality: int = 90


def _fallback_crop(data: bytes, side: int, quality: int) -> bytes:
    """Centre square of the photo, resized (used when no disc is found), as JPEG."""
    from PIL import Image

    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    s = min(w, h)
    img = img.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    buf = io.BytesIO()
    img.resize((side, side)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def prepare_one(path: str, settings: CropSettings) -> dict[str, object]:
    """Crop one photo as curate does; never raises (a failure is in ``crop_status``).

    Returns:
        ``file_sha256``, ``crop_sha256``, ``phash`` (signed int64, for Parquet), ``crop``
        (JPEG bytes or ``None``) and ``crop_status``: ``disc`` (curate's crop),
        ``centre`` (no disc found: centre square, counted in the report) or
        ``unreadable: <reason>``.
    """
    from revision_pipeline.imaging import content_hash, process_image

    result = process_image(Path(path), side=settings.side, jpeg_quality=settings.jpeg_quality)
    jpeg, status = result.jpeg, "disc"
    unreadable = next((r for r in result.reasons if r.startswith("unreadable")), None)
    if jpeg is None and unreadable is None:
        try:
            jpeg = _fallback_crop(Path(path).read_bytes(), settings.side, settings.jpeg_quality)
            status = "centre"
        except Exception as exc:  # any decode failure is a recorded skip
            jpeg, status = None, f"unreadable: {exc}"
    elif jpeg is None:
        status = unreadable
    # hashed from the decoded crop, exactly as the pairs' crops are (contamination check)
    phash, signature = crop_hashes(jpeg) if jpeg is not None else (None, None)
    return {
        "file_sha256": result.sha256,
        "crop_sha256": content_hash(jpeg) if jpeg is not None else None,
        "phash": signed(phash) if phash is not None else None,
        "signature": signature,
        "crop": jpeg,
        "crop_status": status,
    }


def signed(value: int) -> int:
    """An unsigned 64-bit hash as int64 (Parquet has no uint64 in pandas' default path)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned(value: int) -> int:
    """Inverse of :func:`_signed`."""
    return value + (1 << 64) if value < 0 else value


def crop_hashes(jpeg: bytes) -> tuple[int, bytes]:
    """Perceptual hash and vessel signature of a crop JPEG (what curate's dedup compares)."""
    from PIL import Image

    from revision_pipeline.imaging.hashing import image_signature, perceptual_hash

    gray = np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"))
    return perceptual_hash(gray), image_signature(gray)


def _stat_key(path: str) -> str:
    st = Path(path).stat()
    return f"{path}|{st.st_size}|{st.st_mtime_ns}"


def prepare_images(
    table: pd.DataFrame,
    settings: CropSettings,
    cache_file: Path | None = None,
    workers: int = 1,
    progress: bool = True,
    desc: str = "crop",
) -> pd.DataFrame:
    """Add curate's crop and hashes to a benchmark table (``image_path`` column).

    Args:
        table: the adapter's DataFrame.
        settings: crop side and JPEG quality (curate's parameters).
        cache_file: Parquet cache of earlier results (reused when path, size, mtime and
            settings match); written back with the new rows.
        workers: processes (1: in this process).
        progress: show a tqdm bar.
        desc: label of the bar.

    Returns:
        ``table`` with the :data:`PREPARED_COLUMNS` added, same rows, same order.
    """
    keys = [f"{_stat_key(p)}|{settings.side}|{settings.jpeg_quality}" for p in table["image_path"]]
    cached: dict[str, dict[str, object]] = {}
    if cache_file is not None and cache_file.is_file():
        old = pd.read_parquet(cache_file)
        if not set(PREPARED_COLUMNS) <= set(old.columns):  # written by an older version
            old = old.iloc[0:0].reindex(columns=["key", *PREPARED_COLUMNS])
        cached = {
            k: row
            for k, row in zip(old["key"], old.drop(columns="key").to_dict("records"), strict=True)
        }
    todo = [(k, p) for k, p in zip(keys, table["image_path"], strict=True) if k not in cached]
    if todo:
        fn: Callable[[str, CropSettings], dict[str, object]] = prepare_one
        paths = [p for _, p in todo]
        if workers > 1 and len(todo) > 8:
            with ProcessPoolExecutor(workers) as pool:
                results = list(
                    tqdm(
                        pool.map(fn, paths, [settings] * len(paths), chunksize=8),
                        total=len(paths),
                        desc=desc,
                        disable=not progress,
                    )
                )
        else:
            results = [fn(p, settings) for p in tqdm(paths, desc=desc, disable=not progress)]
        for (k, _), res in zip(todo, results, strict=True):
            cached[k] = res
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            rows = [{"key": k, **cached[k]} for k in dict.fromkeys(keys)]
            pd.DataFrame(rows).to_parquet(cache_file, index=False)
    logger.info("%s: %d photos cropped, %d from cache", desc, len(todo), len(keys) - len(todo))
    out = table.copy()
    for col in PREPARED_COLUMNS:
        out[col] = [cached[k][col] for k in keys]
    return out


def image_transform(image_size: int, mean: tuple[float, ...], std: tuple[float, ...]) -> Callable:
    """The model's evaluation transform (resize to ``image_size``, normalise)."""
    from revision_pipeline.training.data import build_transforms

    return build_transforms(image_size, train=False, mean=mean, std=std)


def crops_to_tensor(crops: list[bytes], transform: Callable, decode_size: int | None = None):
    """Decode JPEG crops and stack them through ``transform`` into ``(N, 3, S, S)``."""
    import torch
    from PIL import Image

    out = []
    for jpeg in crops:
        img = Image.open(io.BytesIO(jpeg))
        if decode_size:
            img.draft("RGB", (decode_size, decode_size))
        out.append(transform(img.convert("RGB")))
    return torch.stack(out)
