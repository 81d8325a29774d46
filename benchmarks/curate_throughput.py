"""Throughput of the per-image curate step on camera-sized JPEGs, one core.

Part 1 (per image): writes N camera-sized JPEGs (2048x1536 frames holding
``skimage.data.retina()`` with varied position, scale, brightness and noise) to a
temporary folder, then measures images/s for

* ``process_image(side=512)`` (DCT-scaled decode, FOV, quality, crop, JPEG, hashes), and
* a naive loop: ``Image.open(p).convert("RGB")`` at full size, resize, and quality
  assessed on the full-resolution frame.

Usage: ``python benchmarks/curate_throughput.py [--n 40] [--side 512]``.
Targets: >= 40 images/s per core for ``process_image``; >= 1.5x the naive loop.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data as skdata

from revision_pipeline.imaging import assess_quality, crop_to_fov, detect_fov, process_image


def _single_core() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def write_camera_jpegs(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` 2048x1536 JPEG frames with a jittered retina photo in each."""
    rng = np.random.default_rng(seed)
    base = skdata.retina()
    paths = []
    for i in range(n):
        frame = np.zeros((1536, 2048, 3), np.uint8)
        d = int(rng.integers(1250, 1480))
        disc = cv2.resize(base, (d, d), interpolation=cv2.INTER_AREA).astype(np.float32)
        disc *= rng.uniform(0.8, 1.15)
        disc += rng.normal(0, rng.uniform(1, 5), disc.shape).astype(np.float32)
        y0 = (1536 - d) // 2 + int(rng.integers(-20, 21))
        x0 = (2048 - d) // 2 + int(rng.integers(-150, 151))
        y0 = int(np.clip(y0, 0, 1536 - d))
        frame[y0 : y0 + d, x0 : x0 + d] = np.clip(disc, 0, 255).astype(np.uint8)
        path = folder / f"exam{i:04d}_OD.jpg"
        Image.fromarray(frame).save(path, quality=int(rng.integers(80, 96)))
        paths.append(path)
    return paths


def naive(path: Path, side: int) -> bool:
    """Full decode, full-resolution FOV + quality, then resize."""
    img = np.asarray(Image.open(path).convert("RGB"))
    fov = detect_fov(img)
    result = assess_quality(img, fov)
    if fov is not None:
        crop = crop_to_fov(img, fov, side)
        Image.fromarray(crop).save(io.BytesIO(), "JPEG", quality=90)
    return result.passed


def _rate(fn, paths: list[Path], side: int) -> tuple[float, int]:
    fn(paths[0], side)  # warm up (imports, caches)
    t0 = time.perf_counter()
    passed = sum(bool(fn(p, side)) for p in paths)
    return len(paths) / (time.perf_counter() - t0), passed


def main() -> None:
    """Run the benchmark and print images/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--side", type=int, default=512)
    args = parser.parse_args()
    _single_core()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_camera_jpegs(Path(tmp), args.n)
        fast, fast_passed = _rate(lambda p, s: process_image(p, side=s).passed, paths, args.side)
        slow, slow_passed = _rate(naive, paths, args.side)
    print(f"images: {args.n} x 2048x1536 JPEG, side {args.side}, one core")
    print(f"process_image : {fast:6.1f} images/s  (passed {fast_passed}/{args.n})")
    print(f"naive PIL loop: {slow:6.1f} images/s  (passed {slow_passed}/{args.n})")
    print(f"speed-up      : {fast / slow:6.2f}x")


if __name__ == "__main__":
    main()
