"""Per-photo screening latency on one CPU core: decode -> quality -> preprocess -> scores.

For each export (the demo model's, and with ``--vit-b16`` a randomly initialised ViT-B/16
at 224 px built from the project's ``vit-b16-bert-6l`` config and exported the way the
export pipeline exports) and each variant (fp32, INT8): the process is pinned to one core,
onnxruntime runs with one intra-op thread, OpenCV with one thread; every photo goes
through what ``revision-screen`` does (curate's decode, disc, quality and crop; the
evaluation transform; the ONNX image tower; softmax over the findings). Photos that fail
quality are counted but not timed (they never reach the model). Target: ViT-B/16 fp32
median <= 150 ms per photo.

Prints a Markdown table, then one JSON line: ``machine``, ``load_before``, ``load_after``,
``photos``, ``results`` [{``model``, ``variant``, ``onnx_mb``, ``median_ms``, ``p95_ms``
(CPU time per photo, the one-core figure), ``wall_median_ms``, ``wall_p95_ms`` (inflated
on a shared host), ``stage_median_ms``}], ``target_ms``, ``vit_b16_fp32_meets_target``.

Usage::

    python benchmarks/screen_latency.py --photos data/01_raw/archive --n 40 [--vit-b16]
        [--model EXPORT_DIR] [--work data/07_model_output/screen_latency] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

from revision_pipeline.deploy.bundle import VARIANTS, find_latest_export, resolve_export
from revision_pipeline.deploy.runtime import ScreeningModel, preprocess_crop, probabilities
from revision_pipeline.imaging.process import process_image
from revision_pipeline.quality import expand

TARGET_MS = 150.0


def build_vit_b16_export(work: Path) -> Path:
    """A random-weight ViT-B/16 (224 px) RetinaCLIP saved and exported (cached in ``work``)."""
    out = work / "vit-b16" / "screening"
    if (out / "manifest.json").is_file():
        return out
    import torch

    from revision_pipeline.deploy.export import export_screening
    from revision_pipeline.evaluation.prompts import load_prompt_dictionary
    from revision_pipeline.models import build_model, load_config, save_pretrained, train_tokenizer

    texts = [d for c in load_prompt_dictionary().concepts.values() for d in c.descriptions]
    tokenizer = train_tokenizer(texts, vocab_size=2000)
    config = load_config("vit-b16-bert-6l")
    config.text.max_len = 64
    torch.manual_seed(0)
    model = build_model(config, len(tokenizer), tokenizer.pad_token_id)
    model_dir = work / "vit-b16" / "model"
    save_pretrained(model, config, model_dir)
    tokenizer.save_pretrained(str(model_dir))
    del model
    export_screening(model_dir, out, crop_side=512, jpeg_quality=90)
    return out


def time_photo(model: ScreeningModel, path: Path) -> dict[str, float] | None:
    """CPU time (ms) of each stage of one photo, and its wall time; ``None`` when it fails
    quality. On one thread, CPU time is what the photo costs an idle core; on a shared host
    wall time also counts the waits for the core."""
    pre = model.preprocessing
    w0, c0 = time.perf_counter(), time.process_time()
    result = process_image(path, pre.crop_side, model.thresholds, pre.jpeg_quality)
    c1 = time.process_time()
    if not result.passed or result.jpeg is None:
        return None
    x = preprocess_crop(result.jpeg, pre)[None]
    c2 = time.process_time()
    emb = model.embed(x)
    c3 = time.process_time()
    probabilities(emb, model.prototypes, model.logit_scale)
    c4, w4 = time.process_time(), time.perf_counter()
    return {
        "decode_quality_crop": (c1 - c0) * 1e3,
        "preprocess": (c2 - c1) * 1e3,
        "model": (c3 - c2) * 1e3,
        "scores": (c4 - c3) * 1e3,
        "total": (c4 - c0) * 1e3,
        "wall": (w4 - w0) * 1e3,
    }


def measure(name: str, folder: Path, variant: str, photos: list[Path], repeat: int) -> dict:
    model = ScreeningModel(folder, variant, threads=1)
    time_photo(model, photos[0])  # warm-up: session allocation, first decode
    rows = [r for _ in range(repeat) for p in photos if (r := time_photo(model, p)) is not None]
    if not rows:
        raise SystemExit(f"no photo passed quality among {len(photos)}: nothing to time")
    totals = np.array([r["total"] for r in rows])
    wall = np.array([r["wall"] for r in rows])
    return {
        "model": name,
        "variant": variant,
        "onnx_mb": round((folder / VARIANTS[variant]).stat().st_size / 1e6, 1),
        "timed": len(rows),
        "median_ms": round(float(np.median(totals)), 1),
        "p95_ms": round(float(np.percentile(totals, 95)), 1),
        "wall_median_ms": round(float(np.median(wall)), 1),
        "wall_p95_ms": round(float(np.percentile(wall, 95)), 1),
        "stage_median_ms": {
            k: round(float(np.median([r[k] for r in rows])), 1)
            for k in rows[0]
            if k not in ("total", "wall")
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", nargs="+", type=Path, default=[Path("data/01_raw/archive")])
    parser.add_argument("--n", type=int, default=40, help="photos (the first N, in name order)")
    parser.add_argument("--model", type=Path, help="the demo export (default: the latest)")
    parser.add_argument("--vit-b16", action="store_true", help="also a random ViT-B/16 at 224 px")
    parser.add_argument("--work", type=Path, default=Path("data/07_model_output/screen_latency"))
    parser.add_argument("--repeat", type=int, default=3, help="passes over the photos")
    parser.add_argument("--core", type=int, default=None, help="CPU to pin to (default: last)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import cv2

    cv2.setNumThreads(1)
    cpus = sorted(os.sched_getaffinity(0))
    core = args.core if args.core is not None else cpus[-1]
    exports = {}
    if args.vit_b16:
        exports["vit-b16-224 (random)"] = build_vit_b16_export(args.work)  # may use all cores
    os.sched_setaffinity(0, {core})
    demo = resolve_export(args.model) if args.model else find_latest_export()
    exports = {"demo": demo, **exports}
    photos = expand(args.photos)[: args.n]
    load_before = os.getloadavg()
    results = [
        measure(name, folder, variant, photos, args.repeat)
        for name, folder in exports.items()
        for variant in VARIANTS
    ]
    load_after = os.getloadavg()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, pinned to cpu {core}"
    print(f"\n{len(photos)} photos x {args.repeat}; {machine}; load {load_before[0]:.1f}")
    print(
        "| model | variant | ONNX MB | median ms | p95 ms | decode+quality+crop | model "
        "| wall median ms |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        s = r["stage_median_ms"]
        print(
            f"| {r['model']} | {r['variant']} | {r['onnx_mb']} | {r['median_ms']} | "
            f"{r['p95_ms']} | {s['decode_quality_crop']} | {s['model']} | {r['wall_median_ms']} |"
        )
    vit = [r for r in results if r["model"].startswith("vit") and r["variant"] == "fp32"]
    print(
        json.dumps(
            {
                "machine": machine,
                "load_before": [round(v, 2) for v in load_before],
                "load_after": [round(v, 2) for v in load_after],
                "photos": len(photos),
                "repeat": args.repeat,
                "results": results,
                "target_ms": TARGET_MS,
                "vit_b16_fp32_meets_target": (vit[0]["median_ms"] <= TARGET_MS) if vit else None,
            }
        )
    )


if __name__ == "__main__":
    main()
