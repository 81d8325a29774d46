"""Feature-extraction speed of the evaluation: curate's crop and the image tower, per photo.

Crops every photo of the given benchmark sets with curate's code (cold: no cache) and
encodes the crops with the model (no cache), reporting images/s for each step. Prints one
JSON line per set and a total: ``name``, ``photos``, ``crop_s``, ``crop_images_per_s``,
``crop_cpu_s``, ``encode_s``, ``encode_images_per_s``, ``encode_cpu_s``, ``threads``. CPU
seconds (this process, all threads; crop with ``--workers 1``) stay meaningful on a shared
machine where wall time does not.

Usage::

    python benchmarks/evaluate_speed.py MODEL_DIR [--benchmarks-root data/01_raw/benchmarks]
        [--side 512] [--batch-size 64] [--workers 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import torch

from revision_pipeline.benchmarks import load_benchmark
from revision_pipeline.evaluation.features import encode_images, load_model
from revision_pipeline.evaluation.images import (
    CropSettings,
    crops_to_tensor,
    image_transform,
    prepare_images,
)

SETS = {
    "aptos2019": "aptos2019",
    "messidor2": "messidor2",
    "idrid": "idrid",
    "odir5k": "odir5k",
    "rfmid": "rfmid",
    "imagefolder_demo": "imagefolder",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--benchmarks-root", default="data/01_raw/benchmarks")
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    loaded = load_model(args.model_dir)
    transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
    total = {"photos": 0, "crop_s": 0.0, "encode_s": 0.0, "crop_cpu": 0.0, "encode_cpu": 0.0}
    for name, adapter in SETS.items():
        root = Path(args.benchmarks_root) / name
        if not root.exists():
            continue
        table = load_benchmark(adapter, root)
        start, cpu = time.perf_counter(), time.process_time()
        prepared = prepare_images(
            table, CropSettings(args.side), None, args.workers, progress=False
        )
        crop_s, crop_cpu = time.perf_counter() - start, time.process_time() - cpu
        ok = prepared[prepared["crop"].notna()]
        crops = ok["crop"].tolist()
        with tempfile.TemporaryDirectory() as tmp:
            start, cpu = time.perf_counter(), time.process_time()
            encode_images(
                loaded,
                ok["crop_sha256"].tolist(),
                lambda idx, crops=crops: crops_to_tensor(
                    [crops[i] for i in idx], transform, loaded.image_size
                ),
                cache_file=Path(tmp) / "f.npz",
                batch_size=args.batch_size,
                progress=False,
            )
            encode_s, encode_cpu = time.perf_counter() - start, time.process_time() - cpu
        row = {
            "name": name,
            "photos": len(prepared),
            "crop_s": round(crop_s, 2),
            "crop_images_per_s": round(len(prepared) / crop_s, 1),
            "crop_cpu_s": round(crop_cpu, 2),
            "encode_s": round(encode_s, 2),
            "encode_images_per_s": round(len(crops) / encode_s, 1),
            "encode_cpu_s": round(encode_cpu, 2),
            "threads": torch.get_num_threads(),
        }
        print(json.dumps(row), flush=True)
        total["photos"] += len(prepared)
        total["crop_s"] += crop_s
        total["encode_s"] += encode_s
        total["crop_cpu"] += crop_cpu
        total["encode_cpu"] += encode_cpu
    if total["photos"]:
        print(
            json.dumps(
                {
                    "name": "total",
                    "photos": total["photos"],
                    "crop_images_per_s": round(total["photos"] / total["crop_s"], 1),
                    "encode_images_per_s": round(total["photos"] / total["encode_s"], 1),
                    "crop_cpu_s": round(total["crop_cpu"], 1),
                    "encode_cpu_s": round(total["encode_cpu"], 1),
                    "crop_images_per_cpu_s": round(total["photos"] / total["crop_cpu"], 1),
                    "encode_images_per_cpu_s": round(total["photos"] / total["encode_cpu"], 1),
                }
            )
        )


if __name__ == "__main__":
    main()
