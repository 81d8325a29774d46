"""Classification metrics with bootstrap intervals (numpy and scikit-learn only).

Conventions: ``scores`` are ``(N, C)`` class scores (any monotone scale: cosine
similarities, logits, probabilities); single-label targets are class indices ``(N,)``,
multi-label targets multi-hot ``(N, C)``. AUROC is macro one-vs-rest over the classes that
have both positives and negatives in the scored set (the others are named, not silently
averaged in), as RETFound and FLAIR report it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, roc_curve

logger = logging.getLogger(__name__)


class MetricError(ValueError):
    """A metric cannot be computed on this data (e.g. a single class present)."""


def one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Multi-hot ``(N, C)`` targets from class indices ``(N,)`` (or pass ``(N, C)`` through)."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(np.int8)
    out = np.zeros((len(y), n_classes), dtype=np.int8)
    out[np.arange(len(y)), y.astype(int)] = 1
    return out


def auroc_columns(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """AUROC of every column of ``scores`` against the same column of multi-hot ``targets``.

    The Mann-Whitney statistic on mid-ranks (ties count one half), vectorised over columns:
    equal to ``sklearn.metrics.roc_auc_score`` and fast enough for thousands of bootstrap
    resamples. NaN where a column has no positive or no negative.
    """
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=np.float64)
    t = np.asarray(targets, dtype=bool)
    n_pos = t.sum(axis=0)
    n_neg = len(t) - n_pos
    ranks = rankdata(scores, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * t).sum(axis=0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def per_class_auroc(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """AUROC of each column (one-vs-rest); NaN where a class has no positive or no negative."""
    return auroc_columns(scores, one_hot(targets, np.asarray(scores).shape[1]))


def macro_auroc(scores: np.ndarray, targets: np.ndarray) -> float:
    """Macro one-vs-rest AUROC over the classes that can be scored (binary: the positive class).

    Raises:
        MetricError: no class has both positives and negatives.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape[1] == 2 and np.asarray(targets).ndim == 1:
        t = np.asarray(targets)
        if len(np.unique(t)) < 2:
            raise MetricError("AUROC needs both classes in the scored set")
        margin = (scores[:, 1] - scores[:, 0])[:, None]
        return float(auroc_columns(margin, (t == 1)[:, None])[0])
    per_class = per_class_auroc(scores, targets)
    if np.all(np.isnan(per_class)):
        raise MetricError("AUROC needs at least one class with positives and negatives")
    return float(np.nanmean(per_class))


def quadratic_kappa(pred: np.ndarray, truth: np.ndarray, n_classes: int) -> float:
    """Quadratic-weighted Cohen kappa of ordinal grades (DR 0..4)."""
    return float(cohen_kappa_score(truth, pred, weights="quadratic", labels=list(range(n_classes))))


def balanced_accuracy(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean per-class recall over the classes present in ``truth``."""
    return float(balanced_accuracy_score(truth, pred))


@dataclass
class Interval:
    """A point estimate with its percentile bootstrap interval."""

    value: float
    low: float
    high: float
    n_boot: int = 0
    failed: int = 0


def bootstrap(
    metric: Callable[[np.ndarray], float],
    n: int,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    strata: np.ndarray | None = None,
) -> Interval:
    """Percentile bootstrap interval of ``metric(indices)`` over ``n`` samples.

    Args:
        metric: maps an index array (a resample of ``range(n)``) to a number; may raise
            :class:`MetricError` (that resample is skipped and counted in ``failed``).
        n: number of samples.
        n_boot: resamples (0: no interval, low = high = value).
        seed: random seed.
        alpha: 1 - coverage (0.05: a 95% interval).
        strata: optional group per sample; resampling within each keeps class counts.

    Returns:
        The point estimate on all samples and the ``alpha/2``, ``1-alpha/2`` percentiles.
    """
    value = metric(np.arange(n))
    if n_boot <= 0:
        return Interval(value, value, value)
    rng = np.random.default_rng(seed)
    groups = (
        [np.arange(n)]
        if strata is None
        else [np.flatnonzero(strata == s) for s in np.unique(strata)]
    )
    stats, failed = [], 0
    for _ in range(n_boot):
        idx = np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
        try:
            stats.append(metric(idx))
        except MetricError:
            failed += 1
    if not stats:
        return Interval(value, float("nan"), float("nan"), n_boot, failed)
    low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Interval(value, float(low), float(high), n_boot, failed)


def bootstrap_many(
    metrics: Callable[[np.ndarray], dict[str, float]],
    n: int,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, Interval]:
    """:func:`bootstrap` of several numbers computed together from each resample."""
    point = metrics(np.arange(n))
    rng = np.random.default_rng(seed)
    stats: dict[str, list[float]] = {k: [] for k in point}
    failed = 0
    for _ in range(n_boot):
        try:
            values = metrics(rng.integers(0, n, n))
        except MetricError:
            failed += 1
            continue
        for k, v in values.items():
            stats[k].append(v)
    out = {}
    for k, v in point.items():
        if stats[k]:
            low, high = np.percentile(stats[k], [100 * alpha / 2, 100 * (1 - alpha / 2)])
        else:
            low = high = v if n_boot <= 0 else float("nan")
        out[k] = Interval(v, float(low), float(high), n_boot, failed)
    return out


@dataclass
class ClassificationResult:
    """Every number of one scored set; ``per_class`` maps class name to AUROC."""

    auroc: Interval
    balanced_accuracy: float
    kappa: float | None
    per_class: dict[str, float] = field(default_factory=dict)
    n: int = 0
    unscored_classes: list[str] = field(default_factory=list)


def classification_metrics(
    scores: np.ndarray,
    targets: np.ndarray,
    classes: list[str],
    *,
    task: str,
    graded: bool = False,
    n_boot: int = 1000,
    seed: int = 0,
) -> ClassificationResult:
    """AUROC with a 95% bootstrap interval, balanced accuracy, kappa and per-class AUROC.

    Args:
        scores: ``(N, C)`` scores.
        targets: class indices ``(N,)`` (``task="single"``) or multi-hot ``(N, C)``.
        classes: the C class names.
        task: ``single`` or ``multi``.
        graded: ordinal grades (adds quadratic-weighted kappa of the arg-max prediction).
        n_boot: bootstrap resamples.
        seed: bootstrap seed.

    Raises:
        MetricError: fewer than two classes present (nothing to rank).
    """
    scores = np.asarray(scores, dtype=np.float64)
    targets = np.asarray(targets)
    per_class = per_class_auroc(scores, targets)
    unscored = [c for c, v in zip(classes, per_class, strict=True) if np.isnan(v)]
    if task == "single":
        present = np.unique(targets)
        if len(present) < 2:
            raise MetricError(
                f"only one class present ({classes[int(present[0])]!r})"
                if len(present)
                else "no samples"
            )
        pred = scores.argmax(axis=1)
        bacc = balanced_accuracy(pred, targets)
        kappa = quadratic_kappa(pred, targets, len(classes)) if graded else None
    else:
        bacc, kappa = float("nan"), None

    def _auroc(idx: np.ndarray) -> float:
        return macro_auroc(scores[idx], targets[idx])

    auroc = bootstrap(_auroc, len(targets), n_boot, seed)
    return ClassificationResult(
        auroc=auroc,
        balanced_accuracy=bacc,
        kappa=kappa,
        per_class={c: float(v) for c, v in zip(classes, per_class, strict=True)},
        n=len(targets),
        unscored_classes=unscored,
    )


def roc_points(
    scores: np.ndarray, targets: np.ndarray, classes: list[str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{class: (fpr, tpr)}`` for every class that can be scored (for ROC plots)."""
    targets = one_hot(targets, scores.shape[1])
    out = {}
    for c, name in enumerate(classes):
        t = targets[:, c]
        if 0 < t.sum() < len(t):
            fpr, tpr, _ = roc_curve(t, scores[:, c])
            out[name] = (fpr, tpr)
    return out
