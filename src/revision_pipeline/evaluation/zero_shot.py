"""Zero-shot classification: image features against class prototypes, scored per benchmark.

Rows of the tidy metrics table share :data:`METRIC_COLUMNS`. Per benchmark: macro AUROC
(binary, or one-vs-rest) with its 95% bootstrap interval, balanced accuracy, quadratic
kappa for graded DR, and the AUROC of every class (every label of multi-label sets).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from revision_pipeline.deploy.runtime import probabilities as class_probabilities
from revision_pipeline.evaluation.data import BenchmarkArrays, check_scorable
from revision_pipeline.evaluation.metrics import classification_metrics, roc_points

logger = logging.getLogger(__name__)

#: Columns of the tidy metrics table.
METRIC_COLUMNS = (
    "section",  # zero_shot, cohort, retrieval, linear_probe, tip_adapter_f, lora, ...
    "benchmark",  # benchmark or cohort name
    "model",  # trained, random_init, chance, imagenet
    "metric",  # auroc, balanced_accuracy, kappa, auroc_class, i2t_R@1, ...
    "label",  # class name for per-class rows, "" otherwise
    "shots",  # k-shot (-1: all training data), NaN where not applicable
    "seed",
    "value",
    "ci_low",
    "ci_high",
    "n",  # samples scored
    "trainable_params",
)


def metric_row(**values: Any) -> dict[str, Any]:
    """One row of the metrics table, missing columns filled with NaN/""."""
    row: dict[str, Any] = {c: np.nan for c in METRIC_COLUMNS}
    row.update({"label": "", "model": "trained"})
    row.update(values)
    return row


def zero_shot(
    arrays: BenchmarkArrays,
    features: np.ndarray,
    prototypes: np.ndarray,
    *,
    logit_scale: float,
    model: str = "trained",
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[list[dict[str, Any]], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Score the test rows of a benchmark by their zero-shot probabilities.

    The probabilities are :func:`revision_pipeline.deploy.runtime.probabilities` (imported
    here as ``class_probabilities``), the one rule the evaluation, the cohorts and the
    screening command share.

    Returns:
        Metric rows and ROC points per class (for the plots).

    Raises:
        SkipBenchmark: nothing scorable in the test rows.
    """
    check_scorable(arrays, "test")
    idx = arrays.test_idx
    scores = class_probabilities(features[idx], prototypes, logit_scale)
    targets = arrays.targets[idx]
    result = classification_metrics(
        scores,
        targets,
        arrays.classes,
        task=arrays.task,
        graded=arrays.graded,
        n_boot=n_boot,
        seed=seed,
    )
    base = {"section": "zero_shot", "benchmark": arrays.name, "model": model, "n": result.n}
    rows = [
        metric_row(
            **base,
            metric="auroc",
            value=result.auroc.value,
            ci_low=result.auroc.low,
            ci_high=result.auroc.high,
        ),
        metric_row(**base, metric="balanced_accuracy", value=result.balanced_accuracy),
    ]
    if result.kappa is not None:
        rows.append(metric_row(**base, metric="kappa", value=result.kappa))
    positives = np.asarray(
        targets if arrays.task == "multi" else np.eye(len(arrays.classes))[targets]
    ).sum(axis=0)
    for (name, value), pos in zip(result.per_class.items(), positives, strict=True):
        rows.append(
            metric_row(**base | {"n": int(pos)}, metric="auroc_class", label=name, value=value)
        )
    return rows, roc_points(scores, targets, arrays.classes)


def chance_rows(arrays: BenchmarkArrays) -> list[dict[str, Any]]:
    """What a random ranking scores: AUROC 0.5, balanced accuracy 1/C, kappa 0."""
    n = len(arrays.test_idx)
    base = {"section": "zero_shot", "benchmark": arrays.name, "model": "chance", "n": n}
    rows = [metric_row(**base, metric="auroc", value=0.5, ci_low=0.5, ci_high=0.5)]
    if arrays.task == "single":
        present = len(np.unique(arrays.targets[arrays.test_idx]))
        rows.append(metric_row(**base, metric="balanced_accuracy", value=1.0 / max(present, 1)))
    if arrays.graded:
        rows.append(metric_row(**base, metric="kappa", value=0.0))
    return rows


def mean_auroc(rows: pd.DataFrame, model: str = "trained") -> float:
    """Mean zero-shot AUROC over the benchmarks scored (the paper's headline number)."""
    sel = rows[
        (rows["section"] == "zero_shot") & (rows["metric"] == "auroc") & (rows["model"] == model)
    ]
    return float(sel["value"].mean()) if len(sel) else float("nan")
