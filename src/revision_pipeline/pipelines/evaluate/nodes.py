"""Nodes of the ``evaluate`` pipeline (thin: the work lives in ``revision_pipeline.evaluation``)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds

from revision_pipeline.evaluation.config import EvaluateConfig

logger = logging.getLogger(__name__)


def _config(params: dict[str, Any]) -> EvaluateConfig:
    return EvaluateConfig.model_validate(params)


def _crop_settings(curate: dict[str, Any]):
    from revision_pipeline.evaluation.images import CropSettings

    return CropSettings(int(curate.get("image_side", 512)), int(curate.get("jpeg_quality", 90)))


def _pairs_root(pairs: ds.Dataset) -> str:
    files = [Path(f) for f in pairs.files]
    if not files:
        raise ValueError("the pairs dataset is empty: run `kedro run --pipeline=curate` first")
    return os.path.commonpath([str(f.parent) for f in files])


def prepare_benchmarks(
    params: dict[str, Any], curate: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Read every configured benchmark through its adapter and crop its photos as curate does.

    Returns:
        ``{name: Prepared}`` and the skipped datasets (absent or unreadable) with reasons.
    """
    from revision_pipeline.evaluation.data import SkipBenchmark
    from revision_pipeline.evaluation.runner import load_and_prepare

    config = _config(params)
    workers = config.workers or os.cpu_count() or 1
    prepared, skips = {}, []
    for name, entry in config.benchmarks.items():
        if not entry.enabled:
            skips.append({"benchmark": name, "task": "all", "reason": "disabled in parameters"})
            continue
        try:
            prepared[name] = load_and_prepare(
                name,
                entry,
                _crop_settings(curate),
                Path(config.cache_dir),
                workers,
                config.progress,
            )
        except SkipBenchmark as exc:
            logger.warning("benchmark %s skipped: %s", name, exc)
            skips.append({"benchmark": name, "task": "all", "reason": str(exc)})
    return prepared, skips


def check_contamination(
    benchmarks: dict[str, Any], pairs: ds.Dataset, params: dict[str, Any]
) -> pd.DataFrame:
    """Every benchmark photo that is also a curated pair (crop bytes, or perceptual hash)."""
    from revision_pipeline.evaluation.contamination import (
        CONTAMINATION_COLUMNS,
        find_contamination,
        pair_hashes,
    )

    config = _config(params)
    if not config.contamination.enabled or not benchmarks:
        return pd.DataFrame(columns=list(CONTAMINATION_COLUMNS))
    hashes = pair_hashes(
        _pairs_root(pairs), Path(config.cache_dir) / "pair_hashes.parquet", config.progress
    )
    frames = [
        find_contamination(
            name,
            p.table,
            hashes,
            config.contamination.max_distance,
            min_correlation=config.contamination.min_correlation,
        )
        for name, p in benchmarks.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _model_dir(model: Path | None, config: EvaluateConfig) -> Path:
    from revision_pipeline.evaluation.features import choose_model_dir

    return choose_model_dir(model, config.model_dir, "evaluate.model_dir")


def evaluate_benchmarks(
    model: Path | None,
    benchmarks: dict[str, Any],
    contamination: pd.DataFrame,
    params: dict[str, Any],
) -> list[Any]:
    """Zero-shot, baselines and adaptation on every prepared benchmark."""
    from revision_pipeline.evaluation.features import imagenet_like, load_model, random_init_like
    from revision_pipeline.evaluation.prompts import load_prompt_dictionary
    from revision_pipeline.evaluation.runner import evaluate_benchmark

    config = _config(params)
    loaded = load_model(_model_dir(model, config), config.device)
    models = {"trained": loaded}
    if config.baselines.random_init:
        models["random_init"] = random_init_like(loaded, config.seed)
    if config.baselines.imagenet_checkpoint:
        models["imagenet"] = imagenet_like(
            loaded, config.baselines.imagenet_checkpoint, config.seed
        )
    dictionary = load_prompt_dictionary(config.prompts)
    dirty = set(contamination["image_path"].astype(str)) if len(contamination) else set()
    return [
        evaluate_benchmark(prepared, models, dictionary, dirty, config)
        for prepared in benchmarks.values()
    ]


def evaluate_cohorts(
    model: Path | None, pairs: ds.Dataset, params: dict[str, Any], curate: dict[str, Any]
) -> pd.DataFrame:
    """Per-finding zero-shot AUROC and retrieval on the test split and held-out institutions."""
    from revision_pipeline.evaluation.cohorts import (
        encode_reports,
        finding_auroc_rows,
        read_cohort_pairs,
        retrieval_rows,
    )
    from revision_pipeline.evaluation.features import encode_images, load_model
    from revision_pipeline.evaluation.images import crops_to_tensor, image_transform
    from revision_pipeline.evaluation.prompts import (
        class_prototypes,
        finding_prompts,
        load_prompt_dictionary,
    )
    from revision_pipeline.evaluation.zero_shot import METRIC_COLUMNS
    from revision_pipeline.imaging import content_hash
    from revision_pipeline.text import FINDING_CODES

    config = _config(params)
    if not config.cohorts:
        return pd.DataFrame(columns=list(METRIC_COLUMNS))
    loaded = load_model(_model_dir(model, config), config.device)
    dictionary = load_prompt_dictionary(config.prompts)
    codes = list(FINDING_CODES)
    prototypes = class_prototypes(
        loaded.model, loaded.tokenizer, [finding_prompts(c, dictionary) for c in codes]
    )
    external = list((curate.get("splits") or {}).get("external_institutions") or [])
    transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
    rows: list[dict[str, Any]] = []
    for cohort, table in read_cohort_pairs(_pairs_root(pairs), external).items():
        if table.empty:
            logger.warning("cohort %s has no test pairs; skipped", cohort)
            continue
        images = table["image"].tolist()
        feats = encode_images(
            loaded,
            [content_hash(b) for b in images],
            lambda idx, images=images: crops_to_tensor(
                [images[i] for i in idx], transform, loaded.image_size
            ),
            cache_file=Path(config.cache_dir) / "features" / loaded.model_hash / "pairs.npz",
            batch_size=config.batch_size,
            progress=config.progress,
            desc=f"encode cohort {cohort}",
        )
        labels = [list(v) for v in table["labels"]]
        reports = [r or "" for r in table["report"]]
        rows += finding_auroc_rows(
            cohort,
            feats,
            labels,
            codes,
            prototypes,
            config.bootstrap,
            config.seed,
            logit_scale=loaded.logit_scale,
        )
        text = encode_reports(loaded.model, loaded.tokenizer, reports, config.batch_size)
        rows += retrieval_rows(
            cohort, feats, text, reports, min(config.bootstrap, 200), config.seed
        )
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


def _mlflow_name(row: pd.Series) -> str | None:
    metric = str(row["metric"]).replace("@", "_at_")
    if row["section"] == "zero_shot" and row["model"] == "trained" and metric == "auroc":
        return f"zero_shot/{row['benchmark']}/auroc"
    if (
        row["section"] == "zero_shot"
        and row["model"] in ("trained", "random_init")
        and metric
        in (
            "balanced_accuracy",
            "kappa",
        )
    ):
        suffix = "" if row["model"] == "trained" else "_random_init"
        return f"zero_shot/{row['benchmark']}/{metric}{suffix}"
    if row["section"] == "zero_shot" and row["model"] == "random_init" and metric == "auroc":
        return f"zero_shot/{row['benchmark']}/auroc_random_init"
    if row["section"] in ("cohort", "retrieval") and metric != "auroc_finding":
        return f"{row['section']}/{row['benchmark']}/{metric}"
    return None


def mlflow_metrics(metrics: pd.DataFrame) -> dict[str, list[dict[str, float]]]:
    """Metrics for MLflow (names in docs/evaluation.md; the zero-shot ones are a contract)."""
    out: dict[str, list[dict[str, float]]] = {}
    for _, row in metrics.iterrows():
        name = _mlflow_name(row)
        if name is None or pd.isna(row["value"]):
            continue
        out[name] = [{"value": float(row["value"]), "step": 0}]
        if name.startswith("zero_shot/") and name.endswith("/auroc") and not pd.isna(row["ci_low"]):
            out[f"{name}_ci_low"] = [{"value": float(row["ci_low"]), "step": 0}]
            out[f"{name}_ci_high"] = [{"value": float(row["ci_high"]), "step": 0}]
    for model, suffix in (("trained", ""), ("random_init", "_random_init")):
        sel = metrics[
            (metrics["section"] == "zero_shot")
            & (metrics["metric"] == "auroc")
            & (metrics["model"] == model)
        ]
        if len(sel):
            out[f"zero_shot/mean_auroc{suffix}"] = [
                {"value": float(sel["value"].mean()), "step": 0}
            ]
    lp = metrics[(metrics["section"] == "linear_probe") & (metrics["metric"] == "auroc")]
    for (bench, model, shots), g in lp.groupby(["benchmark", "model", "shots"]):
        label = "all" if shots < 0 else f"{int(shots)}shot"
        out[f"linear_probe/{bench}/{model}/auroc_{label}"] = [
            {"value": float(g["value"].mean()), "step": 0}
        ]
    return out


def report_evaluation(
    results: list[Any],
    cohorts: pd.DataFrame,
    contamination: pd.DataFrame,
    load_skips: list[dict[str, str]],
    params: dict[str, Any],
    model: Path | None,
) -> tuple[
    pd.DataFrame,
    pd.DataFrame,
    str,
    dict[str, Callable[[], Any]],
    dict[str, Any],
]:
    """The tidy metrics table (versioned, and a copy for MLflow), the Markdown report, ROC and
    shots-vs-AUROC figures (``<benchmark>_roc.png``, ``<benchmark>_shots.png``), MLflow metrics.

    Every row of the table names the model folder it scored (``model_hash``: the folder's
    config and weights hash; ``model_version``: its Kedro save version, ``""`` for a folder
    saved elsewhere), so the model card can tell this model's evaluation from another's.
    """
    from revision_pipeline.evaluation.features import folder_hash, folder_version
    from revision_pipeline.evaluation.plots import roc_plot, shots_plot
    from revision_pipeline.evaluation.report import build_report
    from revision_pipeline.evaluation.zero_shot import METRIC_COLUMNS

    config = _config(params)
    rows = [r for res in results for r in res.rows]
    metrics = pd.DataFrame(rows, columns=[*METRIC_COLUMNS, "seconds"])
    metrics = pd.concat([metrics, cohorts.reindex(columns=metrics.columns)], ignore_index=True)
    skips = list(load_skips) + [s.__dict__ for res in results for s in res.skips]
    counts = {res.name: res.counts for res in results}
    model_dir = _model_dir(model, config)
    model_hash, model_version = folder_hash(model_dir), folder_version(model_dir)
    metrics["model_hash"], metrics["model_version"] = model_hash, model_version
    header = {
        "model": f"retina_clip `{model_version}`" if model_version else f"`{model_dir}`",
        "model hash": f"`{model_hash}`",
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "bootstrap resamples": config.bootstrap,
        "benchmarks scored": sum(
            1 for r in results if any(row["section"] == "zero_shot" for row in r.rows)
        ),
        "benchmarks skipped": len(load_skips),
    }
    report = build_report(metrics, counts, skips, contamination, header)
    plots: dict[str, Callable[[], Any]] = {}
    for res in results:
        per_class = {
            r["label"]: r["value"]
            for r in res.rows
            if r["section"] == "zero_shot"
            and r["model"] == "trained"
            and r["metric"] == "auroc_class"
        }
        if res.roc:
            plots[f"{res.name}_roc"] = lambda res=res, pc=per_class: roc_plot(res.name, res.roc, pc)
        if (metrics["benchmark"].eq(res.name) & metrics["shots"].notna()).any():
            plots[f"{res.name}_shots"] = lambda name=res.name: shots_plot(name, metrics)
    metrics["shots"] = metrics["shots"].astype("float64")
    return (
        metrics,
        metrics,
        report,
        plots,
        mlflow_metrics(metrics),
    )
