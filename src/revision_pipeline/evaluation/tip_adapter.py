"""Tip-Adapter-F (Zhang et al., ECCV 2022) on frozen image features.

A key-value cache built from the k-shot training features adds to the zero-shot logits:

    logits = s * f @ W.T  +  alpha * exp(-beta * (1 - f @ K.T)) @ V

with ``W`` the normalised class prototypes, ``s`` the CLIP logit scale (100 as in the
paper), ``K`` the cached keys (the k-shot features, the only trained weights, "-F"),
``V`` their one-hot (multi-hot) labels. ``alpha`` (residual ratio) and ``beta``
(sharpness) are chosen from a small grid *before* training by leave-one-out AUROC on
the k-shot set itself (each example scored against the cache without its own key; the
paper searches them on a validation set the k-shot protocol does not have). The keys
are then fine-tuned with AdamW and a cosine schedule on the cached features (no image
augmentation: the inputs are frozen features). Multi-label sets train with binary
cross-entropy and one more trainable bias per class.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from revision_pipeline.evaluation.adaptation import (
    ALL_SHOTS,
    AdaptationError,
    Task,
    absent_train_classes,
    check_split,
    check_trainable,
    one_hot,
    results_frame,
    sample_shots,
    score_predictions,
    shots_list,
)

logger = logging.getLogger(__name__)

# wider than the paper's alpha range: a tower's image-prototype logits can spread far
# more than CLIP's, and a large alpha lets the cache outvote a poor zero-shot classifier
TIP_ALPHAS: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
TIP_BETAS: tuple[float, ...] = (1.0, 3.0, 5.5, 10.0, 20.0, 50.0)
_MAX_SEARCH_ROWS = 2048


def _cache_logits(f: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, beta: float):
    return torch.exp(-beta * (1.0 - f @ keys.T)) @ values


def _choose_alpha_beta(
    x: torch.Tensor,
    values: torch.Tensor,
    zero_shot: torch.Tensor,
    y: np.ndarray,
    task: Task,
    n_classes: int,
    alphas: Sequence[float],
    betas: Sequence[float],
) -> tuple[float, float]:
    """Grid point with the best leave-one-out AUROC on the cache's own examples.

    Ties go to the smaller alpha (closer to zero-shot), then the smaller beta.
    """
    m = min(len(x), _MAX_SEARCH_ROWS)
    sims = x[:m] @ x.T
    best, best_ab = -math.inf, (alphas[0], betas[0])
    for beta in betas:
        affinity = torch.exp(-beta * (1.0 - sims))
        affinity[torch.arange(m), torch.arange(m)] = 0.0  # leave each example's own key out
        cache = (affinity @ values).numpy()
        for alpha in alphas:
            scores = zero_shot[:m].numpy() + alpha * cache
            auc = score_predictions(y[:m], scores, task, n_classes)["auroc"]
            if not np.isnan(auc) and auc > best + 1e-9:
                best, best_ab = auc, (alpha, beta)
    return best_ab


def _fit_keys(
    x: torch.Tensor,
    values: torch.Tensor,
    zero_shot: torch.Tensor,
    y: np.ndarray,
    task: Task,
    alpha: float,
    beta: float,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fine-tune the cache keys (and, for multi-label, a per-class bias)."""
    keys = torch.nn.Parameter(x.clone())
    bias = torch.nn.Parameter(torch.zeros(values.shape[1]), requires_grad=task == "multi")
    params = [keys, bias] if task == "multi" else [keys]
    opt = torch.optim.AdamW(params, lr=lr, eps=1e-4)
    steps = epochs * math.ceil(len(x) / batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, steps))
    target = torch.as_tensor(y, dtype=torch.long if task == "single" else torch.float32)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), batch_size):
            b = order[i : i + batch_size]
            logits = zero_shot[b] + alpha * _cache_logits(x[b], keys, values, beta) + bias
            if task == "single":
                loss = F.cross_entropy(logits, target[b])
            else:
                loss = F.binary_cross_entropy_with_logits(logits, target[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return keys.detach(), bias.detach()


def tip_adapter_f(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    prototypes: np.ndarray,
    *,
    task: Task,
    n_classes: int,
    shots: Iterable[int | None] = (1, 2, 4, 8, 16),
    seeds: int = 5,
    seed0: int = 0,
    epochs: int = 20,
    lr: float = 1e-3,
    batch_size: int = 256,
    clip_scale: float = 100.0,
    alphas: Sequence[float] = TIP_ALPHAS,
    betas: Sequence[float] = TIP_BETAS,
) -> pd.DataFrame:
    """Tip-Adapter-F at each shot count over seeds (module docstring for the method).

    Args:
        train_x: ``(N, D)`` training features (L2-normalised here if they are not).
        train_y: class indices ``(N,)`` or multi-hot ``(N, C)``.
        test_x: ``(M, D)`` test features.
        test_y: test labels.
        prototypes: ``(C, D)`` class prototypes (normalised here).
        task: ``single`` or ``multi``.
        n_classes: ``C``.
        shots: shot counts (``None``/-1 = all training data, one seed).
        seeds: seeds per shot count; ``seed0``: the first.
        epochs: key fine-tuning epochs (the paper's 20).
        lr: AdamW learning rate (the paper's 1e-3).
        batch_size: training batch size.
        clip_scale: zero-shot logit scale (CLIP's 100).
        alphas: residual-ratio grid; ``betas``: sharpness grid.

    Returns:
        One row per (shots, seed), ``method="tip_adapter_f"``; ``trainable_params`` is the
        cache size ``n_train * D`` (``+ C`` bias for multi-label).

    Raises:
        OneClassTrainingSetError: the training set holds one class.
        AdaptationError: shapes or label values that do not fit.
    """
    train_x, train_y, test_x, test_y = check_split(
        train_x, train_y, test_x, test_y, task, n_classes
    )
    protos = np.asarray(prototypes, dtype=np.float32)
    dim = train_x.shape[1]
    if protos.shape != (n_classes, dim):
        raise AdaptationError(
            f"prototypes must be (n_classes={n_classes}, {dim}), got {protos.shape}"
        )
    if epochs < 0 or not alphas or not betas:
        raise AdaptationError("epochs must be >= 0 and the alpha/beta grids non-empty")
    check_trainable(train_y, task, n_classes)
    weights = F.normalize(torch.from_numpy(protos), dim=-1)
    tr_all, te = torch.from_numpy(train_x), torch.from_numpy(test_x)
    zs_test = clip_scale * te @ weights.T
    rows: list[dict[str, Any]] = []
    ks = shots_list(shots)
    bar = tqdm(total=sum(1 if k is None else seeds for k in ks), desc="Tip-Adapter-F", leave=False)
    for k in ks:
        for seed in range(seed0, seed0 + (1 if k is None else seeds)):
            start = time.perf_counter()
            torch.manual_seed(seed)
            idx = np.arange(len(train_y)) if k is None else sample_shots(train_y, k, seed)
            y = train_y[idx]
            check_trainable(y, task, n_classes)
            x = tr_all[torch.from_numpy(idx)]
            values = torch.from_numpy(one_hot(y, task, n_classes).astype(np.float32))
            zs = clip_scale * x @ weights.T
            alpha, beta = _choose_alpha_beta(x, values, zs, y, task, n_classes, alphas, betas)
            keys, bias = _fit_keys(
                x, values, zs, y, task, alpha, beta, epochs, lr, batch_size, seed
            )
            with torch.no_grad():
                logits = zs_test + alpha * _cache_logits(te, keys, values, beta) + bias
            rows.append(
                {
                    "method": "tip_adapter_f",
                    "shots": ALL_SHOTS if k is None else k,
                    "seed": seed,
                    "n_train": len(idx),
                    **score_predictions(test_y, logits.numpy(), task, n_classes),
                    "trainable_params": len(idx) * dim + (n_classes if task == "multi" else 0),
                    "seconds": time.perf_counter() - start,
                    "absent_train_classes": absent_train_classes(y, task, n_classes),
                    "alpha": alpha,
                    "beta": beta,
                }
            )
            bar.update()
    bar.close()
    frame = results_frame(rows)
    frame["alpha"] = [r["alpha"] for r in rows]
    frame["beta"] = [r["beta"] for r in rows]
    return frame
