"""Near-duplicate detection at paper scale: time, memory, recall and false merges.

Keys (perceptual hash + vessel signature) are drawn from the distribution of the demo's
crops, not from uniform bits:

1. *Calibration* (about a minute, cached in the temp folder): ``--calibration`` photos of
   a demo archive plan are rendered with the project's generator (``synth``), written as
   camera JPEGs and run through the curate pipeline's ``process_image`` (crop, pHash,
   signature). A subset is copied the ways archives copy photos (re-encoded at JPEG 50,
   halved, quartered, recompressed three times, cropped by 3%, brightened) and processed
   again: each copy's change of signature and pHash bits is recorded.
2. *Keys*: a Gaussian fitted to the calibration photos' signatures and pHash bits
   (mean, principal components, a little isotropic shrinkage) draws as many distinct
   photos as needed, quantised like ``image_signature`` (int8, max |v| = 127) and with a
   median-thresholded 64-bit pHash. About 2% of the keys are planted copies: an
   earlier key plus the change recorded for a real copy (1 in 5 of them an exact copy,
   same sha256).

Then, each size in its own process pinned to one core (so that peak RSS is its own):
``curation.dedup.duplicate_groups`` with the pipeline's defaults (``max_distance`` 8,
``min_correlation`` 0.9), timed (``seconds``: CPU time of the single-threaded process,
i.e. the time on one dedicated core, which a shared host's wall clock overstates;
``wall_seconds`` too); candidates checked; recall of the planted copies; and
distinct photos merged (keys that are no copy of each other put in one group). On
``--brute-force`` keys the result is compared with the exhaustive reference
``duplicate_groups_exhaustive``.

Usage::

    python benchmarks/dedup_scale.py --sizes 10000 40000 160000 640000 [--brute-force 20000]

Targets: 486k photos in <= 60 s on one core; each 4x step <= 5x the time; recall >= 0.99;
no distinct photos merged. The last line printed is one JSON object with ``sizes``,
``seconds``, ``peak_rss_mb``, ``recall``, ``distinct_merged`` (lists, one per size) and
``brute_force_agrees`` (a contract, docs/benchmarks.md), plus ``wall_seconds``,
``candidates`` and ``bits``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CALIBRATION_SEED = 20261203
COPY_FRACTION = 0.02
EXACT_COPY_SHARE = 0.2
SHRINKAGE = 0.1


def _single_core() -> None:
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


# ---------------------------------------------------------------- calibration


def _copies(image: np.ndarray) -> dict[str, bytes]:
    """The ways archives copy a photo, as file bytes."""
    from PIL import Image, ImageEnhance

    def jpeg(img: Image.Image, quality: int) -> bytes:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        return buf.getvalue()

    im = Image.fromarray(image)
    w, h = im.size
    again = im
    for quality in (80, 70, 60):
        again = Image.open(io.BytesIO(jpeg(again, quality))).convert("RGB")
    dx, dy = int(w * 0.03), int(h * 0.03)
    brighter = ImageEnhance.Contrast(ImageEnhance.Brightness(im).enhance(1.15)).enhance(0.9)
    return {
        "reencoded_q50": jpeg(im, 50),
        "halved_q70": jpeg(im.resize((w // 2, h // 2), Image.LANCZOS), 70),
        "quartered_q60": jpeg(im.resize((w // 4, h // 4), Image.BILINEAR), 60),
        "recompressed_3x": jpeg(again, 60),
        "cropped_3pct": jpeg(im.crop((dx, dy, w - dx, h - dy)), 85),
        "brightened": jpeg(brighter, 85),
    }


def calibrate(n_photos: int, n_copied: int, seed: int = CALIBRATION_SEED) -> dict[str, np.ndarray]:
    """Keys of rendered demo photos, and of copies of some of them.

    Returns:
        ``signatures`` (n x 1024 int8), ``bits`` (n x 64 bool, the pHash), and for the
        copies ``copy_deltas`` (m x 1024 int16: copy minus original signature),
        ``copy_flips`` (m x 64 bool: pHash bits that changed) and ``copy_kinds``.
    """
    from revision_pipeline.imaging import process_image
    from revision_pipeline.synth.config import DemoArchiveConfig
    from revision_pipeline.synth.export import encode_image
    from revision_pipeline.synth.fundus import render_photo
    from revision_pipeline.synth.plan import plan_archive

    config = DemoArchiveConfig(
        seed=seed, n_institutions=max(1, min(40, n_photos // 4)), n_exams=n_photos,
        min_image_side=1024, max_image_side=1536, workers=1,
    )  # fmt: skip
    sigs, bits, deltas, flips, kinds, copy_of = [], [], [], [], [], []
    for photo in plan_archive(config).photos:
        if len(sigs) >= n_photos:
            break
        image = render_photo(photo.spec)
        base = process_image(encode_image(image, "jpg", 92), 512)
        if base.signature is None or base.phash is None:
            continue
        sigs.append(np.frombuffer(base.signature, np.int8))
        bits.append(_bits(base.phash))
        if len(sigs) > n_copied:
            continue
        for kind, data in _copies(image).items():
            copy = process_image(data, 512)
            if copy.signature is None or copy.phash is None:
                continue
            deltas.append(np.frombuffer(copy.signature, np.int8).astype(np.int16) - sigs[-1])
            flips.append(_bits(base.phash ^ copy.phash))
            kinds.append(kind)
            copy_of.append(len(sigs) - 1)
    return {
        "signatures": np.stack(sigs),
        "bits": np.stack(bits),
        "copy_deltas": np.stack(deltas),
        "copy_flips": np.stack(flips),
        "copy_kinds": np.array(kinds),
        "copy_of": np.array(copy_of),
    }


def _bits(value: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(int(value).to_bytes(8, "big"), np.uint8)).astype(bool)


def _from_bits(bits: np.ndarray) -> np.ndarray:
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def load_calibration(n_photos: int, n_copied: int, cache: Path | None) -> dict[str, np.ndarray]:
    """:func:`calibrate`, cached in ``cache`` (an ``.npz`` file) when given."""
    if cache is not None and cache.exists():
        with np.load(cache) as data:
            return {k: data[k] for k in data.files}
    result = calibrate(n_photos, n_copied)
    if cache is not None:
        np.savez_compressed(cache, **result)
    return result


# ---------------------------------------------------------------- keys


@dataclass
class Keys:
    """Synthetic dedup inputs, with the truth."""

    sha256: list[str]
    phash: list[int]
    signatures: np.ndarray  # n x 1024 int8
    original: np.ndarray  # index of the key each key copies (itself for a distinct photo)


class KeyModel:
    """A Gaussian over (signature, pHash bits) fitted to calibration photos."""

    def __init__(self, calibration: dict[str, np.ndarray]) -> None:
        sig = calibration["signatures"].astype(np.float32)
        pm = calibration["bits"].astype(np.float32) * 2 - 1
        self.sig_scale = float(sig.std())
        data = np.concatenate([sig / self.sig_scale, pm], axis=1)
        self.mean = data.mean(axis=0)
        centred = data - self.mean
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        self.components = (singular[:, None] * vt / np.sqrt(len(data) - 1)).astype(np.float32)
        self.noise = float(np.sqrt(SHRINKAGE * centred.var(axis=0).mean()))
        self.deltas = calibration["copy_deltas"]
        self.flips = calibration["copy_flips"]

    def distinct(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` distinct photos' signatures (int8) and pHashes (uint64)."""
        sigs = np.empty((n, 1024), np.int8)
        hashes = np.empty(n, np.uint64)
        for start in range(0, n, 8192):
            m = min(8192, n - start)
            z = rng.standard_normal((m, len(self.components)), dtype=np.float32)
            x = self.mean + z @ self.components
            x += rng.standard_normal(x.shape, dtype=np.float32) * self.noise
            sigs[start : start + m] = _quantised(x[:, :1024])
            bits = x[:, 1024:]
            hashes[start : start + m] = _from_bits(bits > np.median(bits, axis=1, keepdims=True))
        return sigs, hashes

    def copies(
        self, sigs: np.ndarray, hashes: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the given photos, each changed as a recorded real copy was."""
        pick = rng.integers(0, len(self.deltas), len(sigs))
        changed = sigs.astype(np.int16) + self.deltas[pick]
        flipped = hashes ^ _from_bits(self.flips[pick])
        return _quantised(changed.astype(np.float32)), flipped


def _quantised(x: np.ndarray) -> np.ndarray:
    scale = 127.0 / np.maximum(1e-6, np.abs(x).max(axis=1, keepdims=True))
    return np.clip(x * scale, -127, 127).astype(np.int8)


def draw_keys(model: KeyModel, n: int, seed: int) -> Keys:
    """``n`` keys, about ``COPY_FRACTION`` of them planted copies of earlier ones."""
    rng = np.random.default_rng(seed)
    n_copies = round(n * COPY_FRACTION)
    n_distinct = n - n_copies
    sigs, hashes = model.distinct(n_distinct, rng)
    source = rng.choice(n_distinct, n_copies, replace=False)
    exact = rng.random(n_copies) < EXACT_COPY_SHARE
    copy_sigs, copy_hashes = model.copies(sigs[source], hashes[source], rng)
    copy_sigs[exact], copy_hashes[exact] = sigs[source[exact]], hashes[source[exact]]
    sha = [f"{i:064x}" for i in range(n_distinct)]
    sha += [
        sha[s] if e else f"{n_distinct + k:064x}"
        for k, (s, e) in enumerate(zip(source, exact, strict=True))
    ]
    return Keys(
        sha256=sha,
        phash=[int(h) for h in np.concatenate([hashes, copy_hashes])],
        signatures=np.concatenate([sigs, copy_sigs]),
        original=np.concatenate([np.arange(n_distinct), source]),
    )


def score(groups: np.ndarray, original: np.ndarray) -> tuple[float, int]:
    """Recall of the planted copies, and distinct photos merged with another distinct one."""
    copies = np.flatnonzero(original != np.arange(len(original)))
    recall = float(np.mean(groups[copies] == groups[original[copies]])) if len(copies) else 1.0
    distinct = groups[original == np.arange(len(original))]
    _, counts = np.unique(distinct, return_counts=True)
    return recall, int(counts[counts > 1].sum())


# ---------------------------------------------------------------- one size


def run_size(n: int, calibration: Path, brute_force: bool) -> dict[str, object]:
    """Time dedup on ``n`` keys in this process (call in a fresh one for its peak RSS)."""
    from revision_pipeline.curation.dedup import (
        DedupStats,
        duplicate_groups,
        duplicate_groups_exhaustive,
    )

    with np.load(calibration) as data:
        model = KeyModel({k: data[k] for k in data.files})
    keys = draw_keys(model, n, seed=n)
    signatures = [row.tobytes() for row in keys.signatures]  # as the pipeline holds them
    del keys.signatures
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stats = DedupStats()
    start, cpu = time.perf_counter(), time.process_time()
    groups = duplicate_groups(keys.sha256, keys.phash, 8, signatures, 0.9, stats=stats)
    seconds, wall = time.process_time() - cpu, time.perf_counter() - start
    recall, merged = score(groups, keys.original)
    result: dict[str, object] = {
        "n": n, "seconds": round(seconds, 2), "wall_seconds": round(wall, 2),
        "candidates": stats.candidates,
        "confirmed": stats.confirmed, "bits": stats.bits, "recall": round(recall, 5),
        "distinct_merged": merged,
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }  # fmt: skip
    if brute_force:
        start = time.perf_counter()
        reference = duplicate_groups_exhaustive(keys.sha256, keys.phash, signatures, 8, 0.9)
        result["brute_force_seconds"] = round(time.perf_counter() - start, 2)
        result["brute_force_agrees"] = bool(np.array_equal(groups, reference))
        result["brute_force_recall"], result["brute_force_distinct_merged"] = score(
            reference, keys.original
        )
    return result


def _subprocess(n: int, calibration: Path, brute_force: bool) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", str(n), "--calibration-file", str(calibration)]
    if brute_force:
        cmd.append("--with-brute-force")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 40_000, 160_000, 640_000])
    parser.add_argument("--brute-force", type=int, default=20_000, help="0: skip")
    parser.add_argument("--calibration", type=int, default=400, help="photos rendered")
    parser.add_argument("--copied", type=int, default=80, help="photos copied 6 ways")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--calibration-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--with-brute-force", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _single_core()
    if args.one:
        print(json.dumps(run_size(args.one, args.calibration_file, args.with_brute_force)))
        return
    logging.basicConfig(level=logging.WARNING)
    cache = Path(tempfile.gettempdir()) / f"dedup_calibration_{args.calibration}_{args.copied}.npz"
    start = time.perf_counter()
    calibration = load_calibration(args.calibration, args.copied, cache)
    print(
        f"calibration: {len(calibration['signatures'])} rendered photos, "
        f"{len(calibration['copy_deltas'])} copies ({time.perf_counter() - start:.0f} s; {cache})"
    )
    _report_calibration(calibration)
    rows = []
    for n in args.sizes:
        rows.append(_subprocess(n, cache, brute_force=False))
        print(json.dumps(rows[-1]))
    agrees = None
    if args.brute_force:
        check = _subprocess(args.brute_force, cache, brute_force=True)
        print(json.dumps(check))
        agrees = check["brute_force_agrees"]
    for prev, cur in itertools.pairwise(rows):
        ratio = cur["seconds"] / max(prev["seconds"], 1e-9)
        print(
            f"{prev['n']} -> {cur['n']}: time x{ratio:.2f} for x{cur['n'] / prev['n']:.0f} photos"
        )
    print(json.dumps({
        "sizes": [r["n"] for r in rows], "seconds": [r["seconds"] for r in rows],
        "peak_rss_mb": [r["peak_rss_mb"] for r in rows], "recall": [r["recall"] for r in rows],
        "distinct_merged": [r["distinct_merged"] for r in rows], "brute_force_agrees": agrees,
        "wall_seconds": [r["wall_seconds"] for r in rows],
        "candidates": [r["candidates"] for r in rows], "bits": [r["bits"] for r in rows],
    }))  # fmt: skip


def _report_calibration(calibration: dict[str, np.ndarray]) -> None:
    """How alike distinct calibration photos are, and how copies change (printed)."""
    sig = calibration["signatures"].astype(np.float32)
    z = sig - sig.mean(axis=1, keepdims=True)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    corr = (z @ z.T)[np.triu_indices(len(z), 1)]
    hashes = _from_bits(calibration["bits"])
    ham = np.bitwise_count(hashes[:, None] ^ hashes[None, :])[np.triu_indices(len(z), 1)]
    print(
        f"distinct calibration photos: signature correlation max {corr.max():.3f}, "
        f"99.9% {np.quantile(corr, 0.999):.3f}; pHash pairs within 8 bits {np.mean(ham <= 8):.2%}"
    )
    flips = calibration["copy_flips"].sum(axis=1)
    copies = sig[calibration["copy_of"]] + calibration["copy_deltas"]
    c = copies - copies.mean(axis=1, keepdims=True)
    c /= np.linalg.norm(c, axis=1, keepdims=True)
    copy_corr = np.einsum("ij,ij->i", c, z[calibration["copy_of"]])
    for kind in np.unique(calibration["copy_kinds"]):
        pick = calibration["copy_kinds"] == kind
        print(
            f"  copies {kind}: pHash bits changed max {flips[pick].max()}, "
            f"signature correlation min {copy_corr[pick].min():.3f}"
        )


if __name__ == "__main__":
    main()
