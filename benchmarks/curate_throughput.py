"""Throughput of the per-image curate step on camera-sized JPEGs, one core.

Part 1 (per image): writes N camera-sized JPEGs (2048x1536 frames holding
``skimage.data.retina()`` with varied position, scale, brightness and noise) to a
temporary folder, then measures images/s for

* ``process_image(side=512)`` (DCT-scaled decode, FOV, quality, crop, JPEG, hashes), and
* a naive loop: ``Image.open(p).convert("RGB")`` at full size, resize, and quality
  assessed on the full-resolution frame.

Usage: ``python benchmarks/curate_throughput.py [--n 40] [--side 512]``.
Targets: >= 40 images/s per core for ``process_image``; >= 1.5x the naive loop.

Part 2 (end to end, ``--e2e``): writes a canonical archive of ``4N`` camera-sized JPEGs
(institutions of 50 photos, two per exam, a ``reports.csv`` each) and, for ``N`` and
``4N`` images, each in a fresh subprocess so that peak RSS is that size's own:

* the curate pipeline's image stage, ``curation.images.process_images`` (decode, quality,
  crop, hashes, crop cache) with ``workers=1`` (pinned to one core: images/s per core),
  then with every core, then again on the warm cache (a rerun on an unchanged archive);
* reports/s of ``curation.records.deidentify_exams`` (scrub + normalise + findings) on
  the hand-written test reports with structured PHI columns;
* peak RSS (``ru_maxrss``) of the process and of its worker processes;

and, in a third subprocess, the naive full-decode PIL loop on the ``N`` files.
Usage: ``python benchmarks/curate_throughput.py --e2e [--n 200] [--side 512]``.
Targets: >= 40 images/s per core; >= 1.5x naive; RSS at 4N within 1.25x of N.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image
from skimage import data as skdata

from revision_pipeline.imaging import assess_quality, crop_to_fov, detect_fov, process_image

PHOTOS_PER_INSTITUTION = 50
HANDWRITTEN = Path(__file__).resolve().parents[1] / "tests/deid/data/handwritten_reports.jsonl"


def _single_core() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def camera_frame(rng: np.random.Generator, base: np.ndarray) -> tuple[np.ndarray, int]:
    """One 2048x1536 frame holding a jittered retina photo, and a JPEG quality."""
    frame = np.zeros((1536, 2048, 3), np.uint8)
    d = int(rng.integers(1250, 1480))
    disc = cv2.resize(base, (d, d), interpolation=cv2.INTER_AREA).astype(np.float32)
    disc *= rng.uniform(0.8, 1.15)
    disc += rng.normal(0, rng.uniform(1, 5), disc.shape).astype(np.float32)
    y0 = int(np.clip((1536 - d) // 2 + int(rng.integers(-20, 21)), 0, 1536 - d))
    x0 = int(np.clip((2048 - d) // 2 + int(rng.integers(-150, 151)), 0, 2048 - d))
    frame[y0 : y0 + d, x0 : x0 + d] = np.clip(disc, 0, 255).astype(np.uint8)
    return frame, int(rng.integers(80, 96))


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


def _write_institution(args: tuple[Path, int, int]) -> list[str]:
    root, k, n = args
    inst = f"H{k:03d}"
    folder = root / inst / "images"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(k)
    base = skdata.retina()
    reports = [json.loads(x)["text"] for x in HANDWRITTEN.read_text(encoding="utf-8").splitlines()]
    lines, sources = ["exam_id,patient_id,patient_name,id_number,sex,age,exam_date,report"], []
    for i in range(n):
        exam, eye = f"{inst}E{i // 2:05d}", ("OD", "OS")[i % 2]
        frame, quality = camera_frame(rng, base)
        Image.fromarray(frame).save(folder / f"{exam}_{eye}.jpg", quality=quality)
        sources.append(f"{inst}/images/{exam}_{eye}.jpg")
        if i % 2 == 0:
            text = reports[(k * 31 + i) % len(reports)].replace('"', "'").replace("\n", " ")
            lines.append(f'{exam},MRN{k:03d}{i:05d},张伟,,男,60,2021-03-04,"{text}"')
    (root / inst / "reports.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sources


def write_archive(root: Path, n: int) -> list[str]:
    """A canonical archive of ``n`` camera-sized photos; image sources in a fixed order."""
    jobs = [
        (root, k + 1, min(PHOTOS_PER_INSTITUTION, n - k * PHOTOS_PER_INSTITUTION))
        for k in range(-(-n // PHOTOS_PER_INSTITUTION))
    ]
    with ProcessPoolExecutor() as pool:
        return [s for part in pool.map(_write_institution, jobs) for s in part]


def _peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def _child_pipeline(root: Path, sources: list[str], side: int) -> dict[str, float]:
    from revision_pipeline.archive import iter_institutions
    from revision_pipeline.curation.images import ImageSettings, process_images
    from revision_pipeline.curation.records import deidentify_exams

    settings = ImageSettings(side=side)
    all_cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    out: dict[str, float] = {"images": len(sources), "cores": len(all_cores) or os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        _single_core()
        t0, c0 = time.perf_counter(), time.process_time()
        process_images(root, sources, settings, Path(tmp) / "one", workers=1, progress=False)
        out["one_core_wall"] = len(sources) / (time.perf_counter() - t0)
        out["one_core_cpu"] = len(sources) / (time.process_time() - c0)
        out["rss_after_one_core_mib"] = _peak_rss_mib()[0]
        t0 = time.perf_counter()
        process_images(root, sources, settings, Path(tmp) / "one", workers=1, progress=False)
        out["cached_rerun"] = len(sources) / (time.perf_counter() - t0)
        if all_cores:
            os.sched_setaffinity(0, set(all_cores))
        t0 = time.perf_counter()
        process_images(root, sources, settings, Path(tmp) / "all", workers=0, progress=False)
        out["all_cores_wall"] = len(sources) / (time.perf_counter() - t0)
    institutions = sorted({s.split("/", 1)[0] for s in sources})
    reports = pd.concat([i.reports for i in iter_institutions(root, {}, institutions)])
    deidentify_exams(reports.head(5), b"k" * 32, progress=False)  # warm up jieba, patterns
    t0, c0 = time.perf_counter(), time.process_time()
    deidentify_exams(reports, b"k" * 32, progress=False)
    out["reports"] = len(reports)
    out["reports_per_s_cpu"] = len(reports) / (time.process_time() - c0)
    out["reports_per_s_wall"] = len(reports) / (time.perf_counter() - t0)
    out["rss_self_mib"], out["rss_workers_mib"] = _peak_rss_mib()
    return out


def _child_naive(root: Path, sources: list[str], side: int) -> dict[str, float]:
    _single_core()
    paths = [root / s for s in sources]
    rate, _ = _rate(naive, paths, side)
    own, _ = _peak_rss_mib()
    return {"images": len(paths), "naive": rate, "rss_self_mib": own}


def _spawn(mode: str, root: Path, count: int, side: int) -> dict[str, float]:
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--root",
            str(root),
            "--n",
            str(count),
            "--side",
            str(side),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_e2e(n: int, side: int) -> None:
    """Part 2: archive of 4N camera photos; N and 4N measured in fresh subprocesses."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        t0 = time.perf_counter()
        write_archive(root, 4 * n)
        print(f"archive: {4 * n} x 2048x1536 JPEG written in {time.perf_counter() - t0:.0f} s")
        small = _spawn("pipeline", root, n, side)
        large = _spawn("pipeline", root, 4 * n, side)
        slow = _spawn("naive", root, n, side)
    cores = int(small["cores"])
    for label, r in ((f"N={n}", small), (f"4N={4 * n}", large)):
        print(
            f"{label:>8}: process_images 1 core {r['one_core_wall']:6.1f} images/s "
            f"({r['one_core_cpu']:.1f}/CPU-s); {cores} cores {r['all_cores_wall']:6.1f} images/s "
            f"({r['all_cores_wall'] / cores:.1f}/core); cached rerun {r['cached_rerun']:7.0f} "
            f"images/s; reports {r['reports_per_s_wall']:6.0f}/s ({r['reports']} reports); "
            f"peak RSS {r['rss_self_mib']:.0f} MiB (1-core pass {r['rss_after_one_core_mib']:.0f}"
            f" MiB), workers {r['rss_workers_mib']:.0f} MiB"
        )
    print(
        f"naive PIL loop (N, 1 core): {slow['naive']:.1f} images/s, "
        f"RSS {slow['rss_self_mib']:.0f} MiB"
    )
    print(f"speed-up vs naive (1 core): {small['one_core_wall'] / slow['naive']:.2f}x")
    print(
        f"RSS 4N / N: {large['rss_self_mib'] / small['rss_self_mib']:.2f} (whole child), "
        f"{large['rss_after_one_core_mib'] / small['rss_after_one_core_mib']:.2f} (1-core pass), "
        f"workers {large['rss_workers_mib'] / max(1.0, small['rss_workers_mib']):.2f}"
    )


def main() -> None:
    """Run the benchmark and print images/s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--e2e", action="store_true", help="part 2: archive of N and 4N photos")
    parser.add_argument("--child", choices=["pipeline", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sources = sorted(
            p.relative_to(args.root).as_posix() for p in args.root.glob("*/images/*.jpg")
        )[: args.n]
        child = _child_pipeline if args.child == "pipeline" else _child_naive
        print(json.dumps(child(args.root, sources, args.side)))
        return
    if args.e2e:
        run_e2e(args.n, args.side)
        return
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
