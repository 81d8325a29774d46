"""Zero-shot AUROC of the exported image tower, fp32 and INT8, against torch, per benchmark.

The benchmark photos go through the evaluation package's own steps (adapter, curate's crop
via ``evaluation.runner.load_and_prepare``, the scored split of ``evaluation.data.build_arrays``,
class prototypes from the prompt dictionary, ``evaluation.zero_shot.zero_shot``); only the
image features differ: torch (as ``kedro run --pipeline=evaluate`` computes them), the fp32
ONNX file and the INT8 file, both through the screening command's numpy preprocessing. The
contamination check is not applied (it does not depend on the model).

Prints a Markdown table and ends with one JSON line: ``model``, ``export``, ``sizes_mb``,
``auroc`` {benchmark: {torch, fp32, int8}}, ``mean`` {torch, fp32, int8},
``max_abs_delta_fp32``, ``mean_delta_int8``.

Usage::

    python benchmarks/screen_int8_auroc.py --model-dir DIR --export DIR
        [--benchmarks-root data/01_raw/benchmarks] [--cache data/07_model_output/screen_auroc]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np

from revision_pipeline.deploy.bundle import VARIANTS, find_latest_export, resolve_export
from revision_pipeline.deploy.runtime import ScreeningModel, preprocess_crop
from revision_pipeline.evaluation.config import BenchmarkEntry, EvaluateConfig
from revision_pipeline.evaluation.data import SkipBenchmark, build_arrays
from revision_pipeline.evaluation.features import encode_images, load_model
from revision_pipeline.evaluation.images import CropSettings, crops_to_tensor, image_transform
from revision_pipeline.evaluation.prompts import class_prototypes, load_prompt_dictionary
from revision_pipeline.evaluation.runner import load_and_prepare
from revision_pipeline.evaluation.zero_shot import zero_shot

SETS = {
    "aptos2019": "aptos2019",
    "messidor2": "messidor2",
    "idrid": "idrid",
    "odir5k": "odir5k",
    "rfmid": "rfmid",
    "imagefolder_demo": "imagefolder",
}


def onnx_features(model: ScreeningModel, crops: list[bytes], batch: int = 64) -> np.ndarray:
    """Image embeddings of curate-crop JPEGs through the screening preprocessing."""
    out = []
    for lo in range(0, len(crops), batch):
        x = np.stack([preprocess_crop(c, model.preprocessing) for c in crops[lo : lo + batch]])
        out.append(model.embed(x))
    return np.concatenate(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, required=True, help="the exported model")
    parser.add_argument("--export", type=Path, help="its export (default: the latest)")
    parser.add_argument("--benchmarks-root", type=Path, default=Path("data/01_raw/benchmarks"))
    parser.add_argument("--cache", type=Path, default=Path("data/07_model_output/screen_auroc"))
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    defaults = EvaluateConfig.model_validate({"benchmarks": {}})
    export = resolve_export(args.export) if args.export else find_latest_export()
    loaded = load_model(args.model_dir)
    runtimes = {v: ScreeningModel(export, v) for v in VARIANTS}
    side = runtimes["fp32"].preprocessing.crop_side
    quality = runtimes["fp32"].preprocessing.jpeg_quality
    dictionary = load_prompt_dictionary()
    transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
    auroc: dict[str, dict[str, float]] = {}
    for name, adapter in SETS.items():
        entry = BenchmarkEntry(adapter=adapter, root=str(args.benchmarks_root / name))
        try:
            prepared = load_and_prepare(
                name, entry, CropSettings(side, quality), args.cache, progress=False
            )
            arrays = build_arrays(
                name,
                prepared.table,
                task=prepared.task,
                classes=prepared.classes,
                graded=prepared.graded,
                test_fraction=defaults.test_fraction,
                seed=defaults.seed,
            )
        except SkipBenchmark as exc:
            print(f"{name}: skipped ({exc})", file=sys.stderr)
            continue
        readable = prepared.table["crop"].notna().to_numpy()
        arrays.excluded = ~readable
        rows = np.flatnonzero(readable)
        crops = [prepared.table["crop"].iat[i] for i in rows]
        prompts = [dictionary.prompts(adapter, c) for c in arrays.classes]
        protos = class_prototypes(loaded.model, loaded.tokenizer, prompts)
        torch_feats = encode_images(
            loaded,
            [str(i) for i in range(len(crops))],
            lambda idx, crops=crops: crops_to_tensor(
                [crops[i] for i in idx], transform, loaded.image_size
            ),
            progress=False,
        )
        features = {"torch": torch_feats}
        for variant, runtime in runtimes.items():
            features[variant] = onnx_features(runtime, crops)
        auroc[name] = {}
        for key, feats in features.items():
            full = np.zeros((len(readable), feats.shape[1]), np.float32)
            full[rows] = feats
            metric_rows, _ = zero_shot(arrays, full, protos, n_boot=args.bootstrap, seed=0)
            auroc[name][key] = round(
                next(r["value"] for r in metric_rows if r["metric"] == "auroc"), 4
            )
        print(name, auroc[name], file=sys.stderr)
    mean = {
        k: round(float(np.mean([a[k] for a in auroc.values()])), 4) for k in ("torch", *VARIANTS)
    }
    sizes = {v: round((export / f).stat().st_size / 1e6, 2) for v, f in VARIANTS.items()}
    print("| benchmark | torch | ONNX fp32 | ONNX INT8 | INT8 - fp32 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, a in {**auroc, "mean": mean}.items():
        print(
            f"| {name} | {a['torch']:.4f} | {a['fp32']:.4f} | {a['int8']:.4f} | "
            f"{a['int8'] - a['fp32']:+.4f} |"
        )
    print(
        json.dumps(
            {
                "model": str(args.model_dir),
                "export": str(export),
                "sizes_mb": sizes,
                "auroc": auroc,
                "mean": mean,
                "max_abs_delta_fp32": round(
                    max(abs(a["fp32"] - a["torch"]) for a in auroc.values()), 4
                ),
                "mean_delta_int8": round(mean["int8"] - mean["fp32"], 4),
            }
        )
    )


if __name__ == "__main__":
    main()
