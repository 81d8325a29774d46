"""Metrics: AUROC (binary, macro one-vs-rest, multi-label), bootstrap intervals, kappa."""

from __future__ import annotations

import numpy as np
import pytest

from revision_pipeline.evaluation.metrics import (
    MetricError,
    bootstrap,
    classification_metrics,
    macro_auroc,
    per_class_auroc,
)


def test_perfect_and_reversed_scores() -> None:
    y = np.array([0, 0, 1, 1, 2, 2])
    good = np.eye(3)[y]
    assert macro_auroc(good, y) == 1.0
    assert macro_auroc(-good, y) == 0.0


def test_binary_uses_the_positive_class_margin() -> None:
    y = np.array([0, 1, 0, 1])
    scores = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert macro_auroc(scores, y) == 1.0


def test_multilabel_class_without_negatives_is_named_not_averaged() -> None:
    y = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 1]])
    scores = np.array([[0.9, 0.1, 0.5], [0.1, 0.9, 0.5], [0.8, 0.2, 0.5]])
    per = per_class_auroc(scores, y)
    assert np.isnan(per[2]) and per[0] == 1.0
    result = classification_metrics(scores, y, ["a", "b", "c"], task="multi", n_boot=0)
    assert result.auroc.value == 1.0
    assert result.unscored_classes == ["c"]
    assert np.isnan(result.balanced_accuracy)


def test_bootstrap_interval_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.stack([-y + rng.normal(0, 1, 300), y + rng.normal(0, 1, 300)], 1)
    iv = bootstrap(lambda idx: macro_auroc(scores[idx], y[idx]), len(y), n_boot=200)
    assert iv.low < iv.value < iv.high
    assert iv.low > 0.6 and iv.high < 1.0


def test_bootstrap_counts_resamples_that_cannot_be_scored() -> None:
    y = np.array([0] * 9 + [1])
    scores = np.stack([1 - y, y], 1).astype(float)
    iv = bootstrap(lambda idx: macro_auroc(scores[idx], y[idx]), len(y), n_boot=100, seed=1)
    assert iv.failed > 0 and iv.value == 1.0


def test_graded_kappa_and_one_class_error() -> None:
    y = np.array([0, 1, 2, 3, 4] * 4)
    scores = np.eye(5)[y]
    result = classification_metrics(scores, y, list("01234"), task="single", graded=True, n_boot=10)
    assert result.kappa == pytest.approx(1.0)
    assert result.balanced_accuracy == 1.0
    with pytest.raises(MetricError, match="one class"):
        classification_metrics(scores[:1], y[:1], list("01234"), task="single")
