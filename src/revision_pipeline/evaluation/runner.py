"""Evaluate one model on one benchmark: every task, every baseline, never a crash.

The Kedro nodes call :func:`load_and_prepare` and :func:`evaluate_benchmark` per entry of
``evaluate.benchmarks``; anything that cannot be scored becomes a :class:`Skip` with a
reason the report prints.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from revision_pipeline.evaluation.config import BenchmarkEntry, EvaluateConfig
from revision_pipeline.evaluation.data import BenchmarkArrays, SkipBenchmark, build_arrays
from revision_pipeline.evaluation.features import LoadedModel, encode_images
from revision_pipeline.evaluation.images import (
    CropSettings,
    crops_to_tensor,
    image_transform,
    prepare_images,
)
from revision_pipeline.evaluation.prompts import PromptDictionary, PromptError, class_prototypes
from revision_pipeline.evaluation.zero_shot import chance_rows, metric_row, zero_shot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Skip:
    """A benchmark, or one task on it, that was not scored, and why."""

    benchmark: str
    task: str  # "all", "zero_shot", "linear_probe", "lora", ...
    reason: str


@dataclass
class Prepared:
    """A benchmark table with curate's crops and hashes, and what its adapter says about it."""

    name: str
    table: pd.DataFrame
    task: str
    classes: list[str]
    graded: bool
    adapter: str = ""
    title: str = ""
    dropped: list[dict[str, str]] = field(default_factory=list)


@dataclass
class BenchmarkResult:
    """Metric rows, ROC points per model and class, skips and counts of one benchmark."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    roc: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    skips: list[Skip] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)


def load_and_prepare(
    name: str,
    entry: BenchmarkEntry,
    settings: CropSettings,
    cache_dir: Path,
    workers: int = 1,
    progress: bool = True,
) -> Prepared:
    """Read a benchmark through its adapter and crop its photos as curate does.

    Raises:
        SkipBenchmark: the dataset is absent, unreadable by its adapter, or empty.
    """
    try:
        from revision_pipeline.benchmarks import BenchmarkError, benchmark_info, load_benchmark
    except ImportError as exc:  # pragma: no cover - the adapters ship with the project
        raise SkipBenchmark(f"benchmark adapters unavailable: {exc}") from exc
    try:
        info = benchmark_info(entry.adapter)
        table = load_benchmark(entry.adapter, entry.root)
    except FileNotFoundError as exc:
        raise SkipBenchmark(f"not found: {exc}") from exc
    except (BenchmarkError, KeyError, ValueError) as exc:
        raise SkipBenchmark(f"cannot read {entry.root} as {entry.adapter}: {exc}") from exc
    if table.empty:
        raise SkipBenchmark(f"{entry.root}: the adapter {entry.adapter!r} found no labelled photos")
    table = table.reset_index(drop=True)
    prepared = prepare_images(
        table,
        settings,
        cache_dir / "crops" / f"{name}.parquet",
        workers=workers,
        progress=progress,
        desc=f"crop {name}",
    )
    return Prepared(
        name,
        prepared,
        info.task,
        list(info.classes),
        bool(info.graded),
        entry.adapter,
        info.title,
        list(table.attrs.get("dropped", [])),
    )


def _features(
    loaded: LoadedModel, prepared: Prepared, cfg: EvaluateConfig, ok: np.ndarray
) -> np.ndarray:
    transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
    crops = prepared.table["crop"].tolist()
    keys = [str(k) for k in prepared.table["crop_sha256"]]
    rows = np.flatnonzero(ok)
    feats = encode_images(
        loaded,
        [keys[i] for i in rows],
        lambda idx: crops_to_tensor([crops[rows[i]] for i in idx], transform, loaded.image_size),
        cache_file=Path(cfg.cache_dir) / "features" / loaded.model_hash / f"{prepared.name}.npz",
        batch_size=cfg.batch_size,
        progress=cfg.progress,
        desc=f"encode {prepared.name}",
    )
    out = np.zeros(
        (len(ok), feats.shape[1] if len(feats) else loaded.model.config.embed_dim), np.float32
    )
    out[rows] = feats
    return out


def _adaptation_rows(frame: pd.DataFrame, name: str, model: str) -> list[dict[str, Any]]:
    rows = []
    for rec in frame.to_dict("records"):
        for metric in ("auroc", "balanced_accuracy"):
            value = rec.get(metric, np.nan)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            rows.append(
                metric_row(
                    section=rec.get("method", "adaptation"),
                    benchmark=name,
                    model=model,
                    metric=metric,
                    shots=rec.get("shots", np.nan),
                    seed=rec.get("seed", np.nan),
                    value=float(value),
                    trainable_params=rec.get("trainable_params", np.nan),
                    n=rec.get("n_test", np.nan),
                )
            )
            if "seconds" in rec:
                rows[-1]["seconds"] = rec["seconds"]
    return rows


def _n_classes(arrays: BenchmarkArrays) -> int:
    return len(arrays.classes)


def run_adaptation(
    arrays: BenchmarkArrays,
    features: dict[str, np.ndarray],
    prototypes: np.ndarray,
    loaded: LoadedModel,
    prepared: Prepared,
    cfg: EvaluateConfig,
    result: BenchmarkResult,
) -> None:
    """Linear probe on every model's features, Tip-Adapter-F, LoRA and full fine-tuning."""
    acfg = cfg.adaptation
    try:
        from revision_pipeline.evaluation import adaptation as ad
    except ImportError as exc:
        result.skips.append(
            Skip(arrays.name, "adaptation", f"adaptation library unavailable: {exc}")
        )
        return
    tr, te = arrays.train_idx, arrays.test_idx
    y = arrays.targets
    common = {"task": arrays.task, "n_classes": _n_classes(arrays)}
    shots = tuple(acfg.shots) + ((None,) if acfg.all_data else ())
    clock = time.perf_counter()
    if acfg.linear_probe:
        for model_name, feats in features.items():
            try:
                frame = ad.linear_probe(
                    feats[tr],
                    y[tr],
                    feats[te],
                    y[te],
                    shots=shots,
                    seeds=acfg.seeds,
                    seed0=cfg.seed,
                    **common,
                )
                result.rows += _adaptation_rows(frame, arrays.name, model_name)
            except (ValueError, RuntimeError) as exc:
                result.skips.append(Skip(arrays.name, f"linear_probe ({model_name})", str(exc)))
    result.counts["seconds_probe"] = round(time.perf_counter() - clock, 1)
    clock = time.perf_counter()
    if acfg.tip_adapter:
        try:
            frame = ad.tip_adapter_f(
                features["trained"][tr],
                y[tr],
                features["trained"][te],
                y[te],
                prototypes,
                shots=tuple(acfg.shots),
                seeds=acfg.tip_adapter_seeds,
                **common,
            )
            result.rows += _adaptation_rows(frame, arrays.name, "trained")
        except (ValueError, RuntimeError, ImportError) as exc:
            result.skips.append(Skip(arrays.name, "tip_adapter_f", str(exc)))
    result.counts["seconds_tip_adapter"] = round(time.perf_counter() - clock, 1)
    wanted = acfg.finetune_benchmarks
    if (acfg.lora or acfg.full_finetune) and (wanted is None or arrays.name in wanted):
        clock = time.perf_counter()
        _finetune(arrays, prototypes, loaded, prepared, cfg, result, ad, common)
        result.counts["seconds_finetune"] = round(time.perf_counter() - clock, 1)


def _finetune(arrays, prototypes, loaded, prepared, cfg, result, ad, common) -> None:
    import torch

    acfg = cfg.adaptation
    budget = ad.AdaptationBudget(**acfg.budget)
    transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
    crops = prepared.table["crop"].tolist()
    tr, te = arrays.train_idx, arrays.test_idx
    limit = getattr(budget, "max_train_images", None)
    if limit and len(tr) > limit:  # class-balanced, so rare grades are not lost
        per_class = max(1, -(-limit // len(arrays.classes)))
        tr = tr[np.sort(ad.sample_shots(arrays.targets[tr], per_class, cfg.seed))]
    train_images = crops_to_tensor([crops[i] for i in tr], transform, loaded.image_size)
    test_images = crops_to_tensor([crops[i] for i in te], transform, loaded.image_size)
    protos = torch.from_numpy(prototypes)
    y = arrays.targets
    for method, enabled in (("lora_finetune", acfg.lora), ("full_finetune", acfg.full_finetune)):
        if not enabled:
            continue
        try:
            frame = getattr(ad, method)(
                loaded.model,
                train_images,
                y[tr],
                test_images,
                y[te],
                protos,
                budget=budget,
                seed=cfg.seed,
                **common,
            )
            result.rows += _adaptation_rows(frame, arrays.name, "trained")
        except (ValueError, RuntimeError, ImportError) as exc:
            result.skips.append(Skip(arrays.name, method, str(exc)))


def evaluate_benchmark(
    prepared: Prepared,
    models: dict[str, LoadedModel],
    dictionary: PromptDictionary,
    contaminated: set[str],
    cfg: EvaluateConfig,
) -> BenchmarkResult:
    """Zero-shot (trained, random-init, chance) and adaptation on one prepared benchmark.

    Args:
        prepared: from :func:`load_and_prepare`.
        models: ``{"trained": ..., "random_init": ...}`` (the first is the one evaluated).
        dictionary: class prompts.
        contaminated: image paths also found among the pretraining pairs (not scored).
        cfg: the evaluate configuration.
    """
    name = prepared.name
    result = BenchmarkResult(name)
    started = time.perf_counter()
    table = prepared.table
    try:
        arrays = build_arrays(
            name,
            table,
            task=prepared.task,
            classes=prepared.classes,
            graded=prepared.graded,
            test_fraction=cfg.test_fraction,
            seed=cfg.seed,
        )
    except SkipBenchmark as exc:
        result.skips.append(Skip(name, "all", str(exc)))
        return result
    readable = table["crop"].notna().to_numpy()
    dirty = table["image_path"].astype(str).isin(contaminated).to_numpy()
    arrays.excluded = ~readable | dirty
    result.counts = {
        "photos": len(table),
        "dropped_by_adapter": len(prepared.dropped),
        "unreadable": int((~readable).sum()),
        "no_disc_centre_crop": int((table["crop_status"] == "centre").sum()),
        "contaminated": int(dirty.sum()),
        "train": len(arrays.train_idx),
        "test": len(arrays.test_idx),
        "split": arrays.split_source,
        "classes": len(arrays.classes),
        "task": arrays.task,
    }
    trained = models["trained"]
    try:
        prompts = [dictionary.prompts(prepared.adapter or name, c) for c in arrays.classes]
    except PromptError as exc:
        result.skips.append(Skip(name, "all", str(exc)))
        return result
    features = {key: _features(m, prepared, cfg, readable) for key, m in models.items()}
    result.counts["seconds_encode"] = round(time.perf_counter() - started, 1)
    zero_shot_models = [key for key in models if key != "imagenet"]  # its text tower is untrained
    prototypes = {
        key: class_prototypes(models[key].model, models[key].tokenizer, prompts)
        for key in zero_shot_models
    }
    try:
        for key in zero_shot_models:
            rows, roc = zero_shot(
                arrays,
                features[key],
                prototypes[key],
                logit_scale=models[key].logit_scale,
                model=key,
                n_boot=cfg.bootstrap if key == "trained" else min(cfg.bootstrap, 200),
                seed=cfg.seed,
            )
            result.rows += rows
            result.roc[key] = roc
        result.rows += chance_rows(arrays)
    except SkipBenchmark as exc:
        result.skips.append(Skip(name, "zero_shot", str(exc)))
        return result
    try:
        from revision_pipeline.evaluation.data import check_scorable

        check_scorable(arrays, "train")
        run_adaptation(arrays, features, prototypes["trained"], trained, prepared, cfg, result)
    except SkipBenchmark as exc:
        result.skips.append(Skip(name, "adaptation", str(exc)))
    result.counts["seconds"] = round(time.perf_counter() - started, 1)
    logger.info("%s: %s", name, {k: v for k, v in result.counts.items() if k.startswith("seconds")})
    return result
