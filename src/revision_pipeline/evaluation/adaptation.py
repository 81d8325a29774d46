"""Few-shot adaptation of a frozen or tunable image tower: the paper's adaptation table.

Every function takes plain arrays or tensors (never paths or Kedro objects) and returns a
tidy :class:`pandas.DataFrame`, one row per (method, shots, seed), with the columns of
:data:`RESULT_COLUMNS`:

- ``method``: ``linear_probe``, ``tip_adapter_f``, ``lora`` or ``full_finetune``;
- ``shots``: examples per class (``-1`` = all the training data given);
- ``seed``; ``n_train`` / ``n_test``: training and test examples actually used;
- ``auroc``: macro one-vs-rest AUROC over the classes that have positives *and*
  negatives in the test set (``absent_test_classes`` names the others, ``;``-joined);
- ``balanced_accuracy``: single-label tasks only (NaN for multi-label);
- ``trainable_params``: parameters the method trains; ``seconds``: wall-clock time;
- ``C``: the chosen inverse regularisation (linear probe only, NaN elsewhere);
- ``absent_train_classes``: classes with no (positive) training example.

Labels are either integer class indices ``(N,)`` (``task="single"``) or multi-hot
``(N, C)`` arrays (``task="multi"``, one-vs-rest everywhere).

``tip_adapter_f`` (torch), ``lora_finetune`` and ``full_finetune`` (torch + peft) live in
sibling modules and are imported on first use, so the linear probe loads neither.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from revision_pipeline.evaluation.finetune import full_finetune, lora_finetune
    from revision_pipeline.evaluation.tip_adapter import tip_adapter_f

logger = logging.getLogger(__name__)

Task = Literal["single", "multi"]
ALL_SHOTS = -1
DEFAULT_SHOTS: tuple[int | None, ...] = (1, 2, 4, 8, 16, None)
PROBE_CS: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0)
# C when no validation fold can hold every class (one shot per class); see linear_probe
PROBE_DEFAULT_C = 10.0
RESULT_COLUMNS = (
    "method",
    "shots",
    "seed",
    "n_train",
    "n_test",
    "auroc",
    "balanced_accuracy",
    "trainable_params",
    "seconds",
    "C",
    "absent_test_classes",
    "absent_train_classes",
)

_LAZY = {
    "tip_adapter_f": "revision_pipeline.evaluation.tip_adapter",
    "lora_finetune": "revision_pipeline.evaluation.finetune",
    "full_finetune": "revision_pipeline.evaluation.finetune",
}


def __getattr__(name: str) -> Any:
    """Import the torch-based methods on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class AdaptationError(ValueError):
    """Adaptation inputs that cannot be used (shapes, label values, task)."""


class OneClassTrainingSetError(AdaptationError):
    """The training set holds a single class: no classifier can be fitted."""


@dataclass(frozen=True)
class AdaptationBudget:
    """Training budget of :func:`lora_finetune` and :func:`full_finetune`.

    The defaults are small CPU settings: LoRA and full fine-tuning of the demo model
    (``demo-tiny``, 112 px) on one stand-in take about 20 s together on 2 cores
    (docs/benchmarks.md, "Adaptation cost"). For the paper-scale ViT-B/16 on a GPU use
    e.g. ``epochs=20, batch_size=32, max_train_images=None``.

    Attributes:
        epochs: passes over the training images.
        batch_size: images per optimiser step.
        lr: AdamW learning rate of the LoRA weights and the classifier head.
        full_lr: AdamW learning rate of full fine-tuning (every image-tower weight).
        weight_decay: AdamW weight decay.
        rank: LoRA rank ``r``.
        alpha: LoRA ``lora_alpha`` (the update is scaled by ``alpha / rank``).
        dropout: LoRA dropout (inactive unless a caller trains in train mode: the tower
            is kept in eval mode, see :mod:`~revision_pipeline.evaluation.finetune`).
        max_train_images: cap on training images (a class-balanced subsample); ``None``
            keeps all.
        max_test_images: cap on scored test images (a random subsample, seeded; the
            row's ``n_test`` says how many); ``None`` scores all. Re-encoding the test
            set through the tuned tower is most of the cost on a CPU.
        eval_batch_size: images per forward pass when scoring the test set.
        train_head: also train the classifier head (initialised from the class
            prototypes); its parameters are counted as trainable.
        lora_targets: regular expression (full match on module names inside the image
            tower, e.g. ``backbone\\.blocks\\.\\d+\\.attn\\.qkv``); ``None`` chooses
            automatically (see :func:`~revision_pipeline.evaluation.finetune.lora_target_modules`).
        device: torch device; ``None`` = CUDA when available, else CPU.
    """

    epochs: int = 2
    batch_size: int = 16
    lr: float = 1e-3
    full_lr: float = 1e-4
    weight_decay: float = 1e-4
    rank: int = 4
    alpha: float = 8.0
    dropout: float = 0.0
    max_train_images: int | None = 32
    max_test_images: int | None = 200
    eval_batch_size: int = 64
    train_head: bool = True
    lora_targets: str | None = None
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "rank", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise AdaptationError(f"AdaptationBudget.{name} must be >= 1")
        for name in ("max_train_images", "max_test_images"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise AdaptationError(f"AdaptationBudget.{name} must be >= 1 or None")
        if self.lr <= 0 or self.full_lr <= 0:
            raise AdaptationError("AdaptationBudget learning rates must be > 0")


# ---------------------------------------------------------------------------- labels


def check_labels(y: np.ndarray, task: Task, n_classes: int, what: str = "labels") -> np.ndarray:
    """Validate ``y`` for ``task`` and return it as int64 (single) or uint8 (multi).

    Raises:
        AdaptationError: wrong shape, a label outside ``[0, n_classes)``, or a multi-hot
            value other than 0/1.
    """
    if task not in ("single", "multi"):
        raise AdaptationError(f"task must be 'single' or 'multi', got {task!r}")
    if n_classes < 2:
        raise AdaptationError(f"n_classes must be >= 2, got {n_classes}")
    y = np.asarray(y)
    if task == "single":
        if y.ndim != 1:
            raise AdaptationError(
                f"{what}: single-label task needs class indices of shape (N,), got {y.shape}"
            )
        integral = np.issubdtype(y.dtype, np.integer) or np.all(np.equal(np.mod(y, 1), 0))
        if y.size and not integral:
            raise AdaptationError(f"{what}: class indices must be integers")
        y = y.astype(np.int64)
        bad = np.flatnonzero((y < 0) | (y >= n_classes))
        if bad.size:
            raise AdaptationError(
                f"{what}: row {bad[0]} has class {y[bad[0]]}, outside [0, {n_classes})"
            )
        return y
    if y.ndim != 2 or y.shape[1] != n_classes:
        raise AdaptationError(
            f"{what}: multi-label task needs a multi-hot array of shape (N, {n_classes}), "
            f"got {y.shape}"
        )
    bad_rows = np.flatnonzero(~np.isin(y, (0, 1)).all(axis=1))
    if bad_rows.size:
        raise AdaptationError(f"{what}: row {bad_rows[0]} has values other than 0/1")
    return y.astype(np.uint8)


def one_hot(y: np.ndarray, task: Task, n_classes: int) -> np.ndarray:
    """``(N, C)`` 0/1 matrix of ``y`` (multi-hot arrays are returned as they are)."""
    if task == "multi":
        return np.asarray(y, dtype=np.uint8)
    out = np.zeros((len(y), n_classes), dtype=np.uint8)
    out[np.arange(len(y)), y] = 1
    return out


def _sampling_groups(y: np.ndarray, task: Task, n_classes: int) -> list[np.ndarray]:
    """Row indices of each class; for multi-label, label-free rows form an extra group."""
    hot = one_hot(y, task, n_classes)
    groups = [np.flatnonzero(hot[:, c]) for c in range(n_classes)]
    if task == "multi":
        groups.append(np.flatnonzero(hot.sum(axis=1) == 0))
    return groups


def sample_shots(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices of a k-shot training subset, deterministic for ``seed``.

    Single-label (``labels`` of shape ``(N,)``): exactly ``k`` examples of every class
    present, or all of a class's examples when it has fewer than ``k``.

    Multi-label (multi-hot ``(N, C)``): classes are visited rarest first and each gets
    positives until it has ``k`` among the rows already chosen, so a class can end with
    more than ``k`` positives (rows carry several labels) but never fewer unless it has
    fewer than ``k`` in all. Rows with no label at all (e.g. "normal" in some sets) are
    sampled as one more group of ``k``, so every class keeps negatives.

    Args:
        labels: class indices ``(N,)`` or multi-hot ``(N, C)``.
        k: examples (positives) per class, ``>= 1``.
        seed: random seed.

    Returns:
        Sorted ``int64`` row indices.
    """
    if k < 1:
        raise AdaptationError(f"k must be >= 1, got {k}")
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    if labels.ndim == 1:
        labels = labels.astype(np.int64)
        chosen = []
        for c in np.unique(labels):
            rows = np.flatnonzero(labels == c)
            chosen.append(rng.choice(rows, size=min(k, rows.size), replace=False))
        return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, np.int64)
    if labels.ndim != 2:
        raise AdaptationError(f"labels must be (N,) or multi-hot (N, C), got {labels.shape}")
    groups = _sampling_groups(labels.astype(np.uint8), "multi", labels.shape[1])
    hot = np.concatenate([labels.astype(bool), np.zeros((len(labels), 1), bool)], axis=1)
    hot[groups[-1], -1] = True  # the label-free group as a pseudo-class
    selected = np.zeros(len(labels), dtype=bool)
    order = sorted(range(len(groups)), key=lambda g: (groups[g].size, g))
    for g in order:
        rows = groups[g]
        need = k - int(hot[selected, g].sum())
        if need <= 0 or rows.size == 0:
            continue
        free = rows[~selected[rows]]
        selected[rng.choice(free, size=min(need, free.size), replace=False)] = True
    return np.flatnonzero(selected).astype(np.int64)


# --------------------------------------------------------------------------- metrics


def score_predictions(
    y: np.ndarray, scores: np.ndarray, task: Task, n_classes: int
) -> dict[str, Any]:
    """Macro one-vs-rest AUROC (and balanced accuracy for single-label) of ``scores``.

    Classes without both positives and negatives in ``y`` are left out of the mean and
    named in ``absent_test_classes``; AUROC is NaN when no class can be scored.

    Args:
        y: true labels (class indices or multi-hot).
        scores: ``(N, n_classes)`` scores, higher = more likely.
        task: ``single`` or ``multi``.
        n_classes: number of classes.

    Returns:
        dict with ``n_test``, ``auroc``, ``balanced_accuracy`` (NaN for multi) and
        ``absent_test_classes`` (``;``-joined class indices, ``""`` when none).
    """
    hot = one_hot(y, task, n_classes)
    aucs, absent = [], []
    for c in range(n_classes):
        n_pos = int(hot[:, c].sum())
        if n_pos == 0 or n_pos == len(hot):
            absent.append(c)
            continue
        aucs.append(binary_auroc(hot[:, c].astype(bool), scores[:, c]))
    bal = float("nan")
    if task == "single" and len(y):
        pred = np.argmax(scores, axis=1)
        present = np.unique(y)
        bal = float(np.mean([np.mean(pred[y == c] == c) for c in present]))
    return {
        "n_test": len(hot),
        "auroc": float(np.mean(aucs)) if aucs else float("nan"),
        "balanced_accuracy": bal,
        "absent_test_classes": ";".join(map(str, absent)),
    }


def binary_auroc(positive: np.ndarray, scores: np.ndarray) -> float:
    """AUROC of ``scores`` for the boolean ``positive`` mask (Mann-Whitney U, ties averaged).

    Equals :func:`sklearn.metrics.roc_auc_score` without its per-call input checks, which
    dominate the run time of hundreds of small probe fits.
    """
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def absent_train_classes(y: np.ndarray, task: Task, n_classes: int) -> str:
    """``;``-joined classes with no positive training example (``""`` when none)."""
    present = one_hot(y, task, n_classes).sum(axis=0) > 0
    return ";".join(str(c) for c in np.flatnonzero(~present))


def check_trainable(y: np.ndarray, task: Task, n_classes: int) -> None:
    """Raise :class:`OneClassTrainingSetError` when ``y`` cannot train a classifier."""
    if len(y) == 0:
        raise OneClassTrainingSetError("the training set is empty: no classifier can be fitted")
    if task == "single":
        classes = np.unique(y)
        if classes.size < 2:
            raise OneClassTrainingSetError(
                f"the training set holds only class {classes.tolist()} ({len(y)} rows): "
                "a classifier needs at least two classes"
            )
        return
    hot = one_hot(y, task, n_classes)
    counts = hot.sum(axis=0)
    if not np.any((counts > 0) & (counts < len(hot))):
        raise OneClassTrainingSetError(
            f"no class of the multi-label training set ({len(hot)} rows) has both positive "
            "and negative rows: no one-vs-rest classifier can be fitted"
        )


def shots_list(shots: Iterable[int | None]) -> list[int | None]:
    """Validate a shots sequence (positive ints, ``None`` or ``-1`` for all data)."""
    out: list[int | None] = []
    for k in shots:
        if k is None or k == ALL_SHOTS:
            out.append(None)
        elif int(k) >= 1:
            out.append(int(k))
        else:
            raise AdaptationError(f"shots must be >= 1, None or -1, got {k}")
    return out


def check_features(x: np.ndarray, n_rows: int, what: str) -> np.ndarray:
    """``x`` as L2-normalised float32 ``(N, D)``, checked against ``n_rows`` labels."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise AdaptationError(f"{what}: features must be (N, D), got {x.shape}")
    if len(x) != n_rows:
        raise AdaptationError(f"{what}: {len(x)} feature rows but {n_rows} labels")
    if not np.isfinite(x).all():
        raise AdaptationError(f"{what}: features contain NaN or inf")
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


def check_split(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    task: Task,
    n_classes: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A train/test split checked for every adaptation method: labels, features, dimensions.

    Returns:
        ``train_x, train_y, test_x, test_y`` as :func:`check_features` and
        :func:`check_labels` return them.

    Raises:
        AdaptationError: labels or features that do not fit, or train and test features of
            different dimensions.
    """
    train_y = check_labels(train_y, task, n_classes, "train_y")
    test_y = check_labels(test_y, task, n_classes, "test_y")
    train_x = check_features(train_x, len(train_y), "train_x")
    test_x = check_features(test_x, len(test_y), "test_x")
    if train_x.shape[1] != test_x.shape[1]:
        raise AdaptationError(
            f"train features have {train_x.shape[1]} dimensions, test {test_x.shape[1]}"
        )
    return train_x, train_y, test_x, test_y


# ---------------------------------------------------------------------- linear probe


def _fit_predict(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    task: Task,
    n_classes: int,
    c: float,
) -> np.ndarray:
    """Fit logistic regression(s) with inverse regularisation ``c``; ``(N_test, C)`` scores."""
    scores = np.zeros((len(test_x), n_classes), dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if task == "single":
            classes = np.unique(train_y)
            if classes.size < 2:  # a CV fold with one class: no information
                scores[:, classes] = 1.0
                return scores
            clf = LogisticRegression(C=c, max_iter=2000).fit(train_x, train_y)
            scores[:, clf.classes_] = clf.predict_proba(test_x)
            return scores
        for k in range(n_classes):
            col = train_y[:, k]
            if col.min() == col.max():  # constant class: a constant score (AUROC 0.5)
                scores[:, k] = float(col[0])
                continue
            clf = LogisticRegression(C=c, max_iter=2000).fit(train_x, col)
            scores[:, k] = clf.decision_function(test_x)
    return scores


def _choose_c(
    x: np.ndarray, y: np.ndarray, task: Task, n_classes: int, cs: Sequence[float], seed: int
) -> float:
    """C with the best mean validation AUROC over up to 3 folds of the training set.

    Folds are stratified for single-label sets; when a class has a single example no
    fold can hold every class, and :data:`PROBE_DEFAULT_C` is returned. Ties go to the
    smaller C (stronger regularisation).
    """
    if task == "single":
        n_splits = min(3, int(np.unique(y, return_counts=True)[1].min()))
        if n_splits < 2:
            return PROBE_DEFAULT_C
        splits = StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(x, y)
    else:
        n_splits = min(3, len(x) // 2)
        if n_splits < 2:
            return PROBE_DEFAULT_C
        splits = KFold(n_splits, shuffle=True, random_state=seed).split(x)
    folds = list(splits)
    best_c, best = PROBE_DEFAULT_C, -np.inf
    for c in cs:
        vals = []
        for tr, va in folds:
            scores = _fit_predict(x[tr], y[tr], x[va], task, n_classes, c)
            auc = score_predictions(y[va], scores, task, n_classes)["auroc"]
            if not np.isnan(auc):
                vals.append(auc)
        if vals and np.mean(vals) > best + 1e-9:
            best_c, best = c, float(np.mean(vals))
    return best_c


def linear_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    *,
    task: Task,
    n_classes: int,
    shots: Iterable[int | None] = DEFAULT_SHOTS,
    seeds: int = 5,
    seed0: int = 0,
    cs: Sequence[float] = PROBE_CS,
    c_per_seed: bool = False,
) -> pd.DataFrame:
    """Logistic regression on frozen image features at each shot count, over seeds.

    For each ``k`` in ``shots`` and each seed in ``seed0 .. seed0 + seeds - 1`` a k-shot
    subset is drawn with :func:`sample_shots` and a probe fitted on it scores the whole
    test set. C is chosen from ``cs`` by cross-validated AUROC inside the first seed's
    k-shot subset (see :func:`_choose_c`) and reused for that k's other seeds, unless
    ``c_per_seed`` (5x the fits; the test set is never used either way). ``None`` (or -1)
    uses all the training data, once (seed ``seed0``): only the validation folds would
    differ between seeds. Multi-label sets fit one binary regression per class
    (one-vs-rest).

    Args:
        train_x: ``(N, D)`` training features (L2-normalised here if they are not).
        train_y: class indices ``(N,)`` or multi-hot ``(N, C)``.
        test_x: ``(M, D)`` test features.
        test_y: test labels, same form as ``train_y``.
        task: ``single`` or ``multi``.
        n_classes: number of classes ``C``.
        shots: shot counts; ``None``/-1 = all data.
        seeds: seeds per shot count.
        seed0: first seed.
        cs: grid of inverse regularisation strengths.
        c_per_seed: choose C again for every seed.

    Returns:
        One row per (shots, seed) with :data:`RESULT_COLUMNS`; ``trainable_params`` is
        ``D * C + C``.

    Raises:
        OneClassTrainingSetError: the training set holds one class.
        AdaptationError: shapes or label values that do not fit.
    """
    train_x, train_y, test_x, test_y = check_split(
        train_x, train_y, test_x, test_y, task, n_classes
    )
    if seeds < 1:
        raise AdaptationError(f"seeds must be >= 1, got {seeds}")
    check_trainable(train_y, task, n_classes)
    n_params = train_x.shape[1] * n_classes + n_classes
    # BLAS threads and sklearn's per-call input checks only add overhead to small fits
    with (
        threadpool_limits(limits=1),
        config_context(assume_finite=True, skip_parameter_validation=True),
    ):
        rows = _probe_rows(
            train_x, train_y, test_x, test_y, task, n_classes, shots, seeds, seed0, cs, c_per_seed
        )
    for row in rows:
        row["trainable_params"] = n_params
    return results_frame(rows)


def _probe_rows(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    task: Task,
    n_classes: int,
    shots: Iterable[int | None],
    seeds: int,
    seed0: int,
    cs: Sequence[float],
    c_per_seed: bool,
) -> list[dict[str, Any]]:
    rows = []
    ks = shots_list(shots)
    bar = tqdm(total=sum(1 if k is None else seeds for k in ks), desc="linear probe", leave=False)
    for k in ks:
        c: float | None = None
        for seed in range(seed0, seed0 + (1 if k is None else seeds)):
            start = time.perf_counter()
            idx = np.arange(len(train_y)) if k is None else sample_shots(train_y, k, seed)
            x, y = train_x[idx], train_y[idx]
            check_trainable(y, task, n_classes)
            if c is None or c_per_seed:
                c = _choose_c(x, y, task, n_classes, cs, seed)
            scores = _fit_predict(x, y, test_x, task, n_classes, c)
            rows.append(
                {
                    "method": "linear_probe",
                    "shots": ALL_SHOTS if k is None else k,
                    "seed": seed,
                    "n_train": len(idx),
                    **score_predictions(test_y, scores, task, n_classes),
                    "seconds": time.perf_counter() - start,
                    "C": c,
                    "absent_train_classes": absent_train_classes(y, task, n_classes),
                }
            )
            bar.update()
        logger.debug("linear probe: %s shots done", "all" if k is None else k)
    bar.close()
    return rows


def results_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A results table with :data:`RESULT_COLUMNS` in order (missing values NaN)."""
    frame = pd.DataFrame(rows)
    for col in RESULT_COLUMNS:
        if col not in frame:
            frame[col] = "" if col.startswith("absent") else np.nan
    frame = frame[list(RESULT_COLUMNS)]
    return frame.astype(
        {"shots": "int64", "seed": "int64", "n_train": "int64", "trainable_params": "int64"}
    )


__all__ = [
    "ALL_SHOTS",
    "RESULT_COLUMNS",
    "AdaptationBudget",
    "AdaptationError",
    "OneClassTrainingSetError",
    "full_finetune",
    "linear_probe",
    "lora_finetune",
    "sample_shots",
    "score_predictions",
    "tip_adapter_f",
]
