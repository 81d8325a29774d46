"""LoRA (through ``peft``) and full fine-tuning of the image tower for classification.

Both start from a deep copy of ``model.visual`` (the caller's model is never modified)
topped with a cosine classifier initialised from the class prototypes (the zero-shot
classifier): ``logits = scale * normalise(tower(x)) @ normalise(W).T`` with ``scale`` the
model's own (frozen) logit scale, plus a trainable per-class bias for multi-label sets.
Single-label sets train with cross-entropy, multi-label sets with binary cross-entropy
(one-vs-rest; the bias starts at minus each class's mean training logit).

The tower stays in ``eval()`` mode while training: batch-norm statistics of a
convolutional tower are not re-estimated from a few small k-shot batches, and dropout is
off, as in most few-shot fine-tuning recipes.

LoRA targets (:func:`lora_target_modules`): on a timm ViT the attention ``qkv`` and output
``proj`` linear layers plus the tower's projection head; on a convnet every ``Conv2d``
except the stem convolution that reads the RGB pixels, and the projection head. peft
adapts ``Linear``, ``Conv1d/2d/3d``, ``Embedding`` and ``MultiheadAttention`` layers, so
normalisation layers are never adapted (they stay frozen) and grouped (depthwise)
convolutions are skipped.
"""

from __future__ import annotations

import copy
import logging
import re
import time
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from revision_pipeline.evaluation.adaptation import (
    ALL_SHOTS,
    AdaptationBudget,
    AdaptationError,
    Task,
    absent_train_classes,
    check_labels,
    check_trainable,
    results_frame,
    sample_shots,
    score_predictions,
)

logger = logging.getLogger(__name__)

_VIT_TARGETS = re.compile(r".*\.attn\.(qkv|proj)$")


class PrototypeClassifier(nn.Module):
    """Image tower + cosine classifier initialised from class prototypes.

    Attributes:
        tower: the (copied) image tower.
        weight: ``(C, D)`` class directions, trainable when ``train_head``.
        bias: ``(C,)`` per-class bias, trainable for multi-label tasks only.
        scale: fixed logit scale.
    """

    def __init__(
        self,
        tower: nn.Module,
        prototypes: torch.Tensor,
        scale: float,
        task: Task,
        train_head: bool,
    ) -> None:
        super().__init__()
        self.tower = tower
        protos = prototypes.detach().float().clone()
        self.weight = nn.Parameter(protos, requires_grad=train_head)
        self.bias = nn.Parameter(torch.zeros(len(protos)), requires_grad=task == "multi")
        self.scale = float(scale)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits ``(B, C)`` of ``images`` ``(B, 3, H, W)``."""
        feats = F.normalize(self.tower(images), dim=-1)
        return self.scale * feats @ F.normalize(self.weight, dim=-1).T + self.bias


def lora_target_modules(tower: nn.Module) -> list[str]:
    """Names (inside ``tower``) of the layers that LoRA adapts by default.

    ViT (a module named ``*.attn.qkv`` exists): every attention ``qkv`` and ``proj``
    linear layer. Otherwise every ungrouped ``Conv2d`` except those reading 3 input
    channels (the stem) and every ``Linear``. In both cases the ``Linear`` layers of the
    projection head (``proj``) are included.
    """
    modules = dict(tower.named_modules())
    head = [n for n, m in modules.items() if n.split(".")[0] == "proj" and isinstance(m, nn.Linear)]
    vit = [n for n, m in modules.items() if _VIT_TARGETS.match(n) and isinstance(m, nn.Linear)]
    if vit:
        return vit + head
    body = [
        n
        for n, m in modules.items()
        if n.split(".")[0] != "proj"
        and (
            (isinstance(m, nn.Conv2d) and m.in_channels != 3 and m.groups == 1)
            or isinstance(m, nn.Linear)
        )
    ]
    return body + head


def count_trainable(module: nn.Module) -> int:
    """Number of parameters with ``requires_grad``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def _apply_lora(tower: nn.Module, budget: AdaptationBudget) -> nn.Module:
    """Wrap ``tower`` (modified in place) with peft LoRA adapters; only they train."""
    from peft import LoraConfig, get_peft_model

    if budget.lora_targets is not None:
        pattern = budget.lora_targets
        names = [n for n, _ in tower.named_modules() if n and re.fullmatch(pattern, n)]
    else:
        names = lora_target_modules(tower)
        pattern = "^(?:" + "|".join(re.escape(n) for n in names) + ")$"
    if not names:
        raise AdaptationError(
            f"no layer of the image tower matches lora_targets {budget.lora_targets!r}"
        )
    config = LoraConfig(
        r=budget.rank,
        lora_alpha=budget.alpha,
        lora_dropout=budget.dropout,
        target_modules=pattern,
        bias="none",
    )
    logger.info("LoRA rank %d on %d layers of the image tower", budget.rank, len(names))
    return get_peft_model(tower, config)


def _check_images(images: torch.Tensor, n_rows: int, what: str) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise AdaptationError(f"{what}: expected a (N, 3, H, W) tensor, got {shape}")
    if not images.is_floating_point():
        raise AdaptationError(
            f"{what}: images must be preprocessed float tensors (normalised), got {images.dtype}"
        )
    if len(images) != n_rows:
        raise AdaptationError(f"{what}: {len(images)} images but {n_rows} labels")
    return images


def _subsample(y: np.ndarray, n_classes: int, cap: int | None, seed: int) -> np.ndarray:
    """Class-balanced subsample of at most ``cap`` rows (all rows when ``cap`` is None)."""
    if cap is None or len(y) <= cap:
        return np.arange(len(y))
    idx = sample_shots(y, max(1, cap // n_classes), seed)
    if len(idx) > cap:  # multi-label: rows carry several classes
        idx = np.sort(np.random.default_rng(seed).choice(idx, size=cap, replace=False))
    return idx


def _test_subset(n: int, cap: int | None, seed: int) -> torch.Tensor:
    """Sorted random subset of at most ``cap`` test rows (all when ``cap`` is None)."""
    if cap is None or n <= cap:
        return torch.arange(n)
    rng = np.random.default_rng(seed)
    return torch.from_numpy(np.sort(rng.choice(n, size=cap, replace=False)))


@torch.no_grad()
def _predict(classifier: nn.Module, images: torch.Tensor, batch: int, device: str) -> np.ndarray:
    classifier.eval()
    out = [
        classifier(images[i : i + batch].to(device)).float().cpu()
        for i in range(0, len(images), batch)
    ]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


@torch.no_grad()
def _centre_bias(classifier: PrototypeClassifier, images: torch.Tensor, batch: int, device: str):
    """Start each class's logit at zero on average over the training images.

    Scaled cosines are all large and positive, so binary cross-entropy would first spend
    big gradients (through the whole tower) pushing every logit down; shifting by a
    constant per class keeps the zero-shot ranking and removes that jolt.
    """
    logits = torch.from_numpy(_predict(classifier, images, batch, device))
    classifier.bias.sub_(logits.mean(dim=0).to(classifier.bias.device))


def _train(
    classifier: nn.Module,
    images: torch.Tensor,
    y: np.ndarray,
    task: Task,
    lr: float,
    budget: AdaptationBudget,
    seed: int,
    device: str,
) -> None:
    params = [p for p in classifier.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=budget.weight_decay)
    target = torch.as_tensor(y, dtype=torch.long if task == "single" else torch.float32)
    gen = torch.Generator().manual_seed(seed)
    classifier.eval()  # frozen batch-norm statistics, no dropout (module docstring)
    for epoch in range(budget.epochs):
        order = torch.randperm(len(images), generator=gen)
        total = 0.0
        for i in range(0, len(order), budget.batch_size):
            b = order[i : i + budget.batch_size]
            logits = classifier(images[b].to(device))
            t = target[b].to(device)
            if task == "single":
                loss = F.cross_entropy(logits, t)
            else:
                loss = F.binary_cross_entropy_with_logits(logits, t)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        logger.debug("epoch %d: loss %.4f", epoch + 1, total / max(1, len(order)))


def _finetune(
    method: str,
    model: nn.Module,
    train_images: torch.Tensor,
    train_y: np.ndarray,
    test_images: torch.Tensor,
    test_y: np.ndarray,
    prototypes: torch.Tensor,
    *,
    task: Task,
    n_classes: int,
    budget: AdaptationBudget,
    seed: int,
    shots: int | None,
) -> pd.DataFrame:
    start = time.perf_counter()
    train_y = check_labels(np.asarray(train_y), task, n_classes, "train_y")
    test_y = check_labels(np.asarray(test_y), task, n_classes, "test_y")
    _check_images(train_images, len(train_y), "train_images")
    _check_images(test_images, len(test_y), "test_images")
    prototypes = torch.as_tensor(prototypes)
    embed_dim = model.config.embed_dim
    if prototypes.shape != (n_classes, embed_dim):
        raise AdaptationError(
            f"prototypes must be (n_classes={n_classes}, embed_dim={embed_dim}), "
            f"got {tuple(prototypes.shape)}"
        )
    check_trainable(train_y, task, n_classes)
    idx = _subsample(train_y, n_classes, budget.max_train_images, seed)
    x, y = train_images[idx], train_y[idx]
    check_trainable(y, task, n_classes)
    device = budget.device or ("cuda" if torch.cuda.is_available() else "cpu")

    torch.manual_seed(seed)  # LoRA's A matrices are initialised randomly
    tower = copy.deepcopy(model.visual).float()
    if method == "lora":
        tower = _apply_lora(tower, budget)
        lr = budget.lr
    else:
        for p in tower.parameters():
            p.requires_grad_(True)
        lr = budget.full_lr
    scale = float(model.scale().detach())
    classifier = PrototypeClassifier(tower, prototypes, scale, task, budget.train_head).to(device)
    n_params = count_trainable(classifier)
    trained = time.perf_counter()
    if task == "multi":
        _centre_bias(classifier, x, budget.eval_batch_size, device)
    _train(classifier, x, y, task, lr, budget, seed, device)
    trained = time.perf_counter() - trained
    if method == "lora":  # fold B @ A into the base weights: scoring costs no extra layers
        classifier.tower = classifier.tower.merge_and_unload()
    test_idx = _test_subset(len(test_y), budget.max_test_images, seed)
    scores = _predict(classifier, test_images[test_idx], budget.eval_batch_size, device)
    row: dict[str, Any] = {
        "method": method,
        "shots": ALL_SHOTS if shots is None else int(shots),
        "seed": seed,
        "n_train": len(idx),
        **score_predictions(test_y[test_idx], scores, task, n_classes),
        "trainable_params": n_params,
        "seconds": time.perf_counter() - start,
        "absent_train_classes": absent_train_classes(y, task, n_classes),
    }
    logger.info(
        "%s: AUROC %.3f, %d trainable parameters, %.1f s (training %.1f s)",
        method,
        row["auroc"],
        n_params,
        row["seconds"],
        trained,
    )
    return results_frame([row])


def lora_finetune(
    model: nn.Module,
    train_images: torch.Tensor,
    train_y: np.ndarray,
    test_images: torch.Tensor,
    test_y: np.ndarray,
    prototypes: torch.Tensor,
    *,
    task: Task,
    n_classes: int,
    budget: AdaptationBudget | None = None,
    seed: int = 0,
    shots: int | None = None,
) -> pd.DataFrame:
    """LoRA on a copy of the image tower (peft), with a prototype-initialised classifier.

    Args:
        model: a :class:`~revision_pipeline.models.RetinaCLIP` (not modified).
        train_images: ``(N, 3, H, W)`` preprocessed float images.
        train_y: class indices ``(N,)`` or multi-hot ``(N, C)``.
        test_images: ``(M, 3, H, W)`` images to score.
        test_y: their labels.
        prototypes: ``(C, D)`` class prototypes (the zero-shot classifier).
        task: ``single`` or ``multi``.
        n_classes: ``C``.
        budget: training budget (:class:`AdaptationBudget` defaults when None).
        seed: seed of the subsample, LoRA initialisation and batch order.
        shots: recorded in the ``shots`` column (the caller's k; None = -1, all data).

    Returns:
        One row, ``method="lora"``; ``trainable_params`` counts the LoRA weights plus the
        classifier head (``C * D`` when ``budget.train_head``, ``+ C`` bias for
        multi-label).

    Raises:
        OneClassTrainingSetError: the training images hold one class.
        AdaptationError: shapes, label values or LoRA targets that do not fit.
    """
    import peft  # noqa: F401 - imported here so its import (seconds) is not timed

    return _finetune(
        "lora",
        model,
        train_images,
        train_y,
        test_images,
        test_y,
        prototypes,
        task=task,
        n_classes=n_classes,
        budget=budget or AdaptationBudget(),
        seed=seed,
        shots=shots,
    )


def full_finetune(
    model: nn.Module,
    train_images: torch.Tensor,
    train_y: np.ndarray,
    test_images: torch.Tensor,
    test_y: np.ndarray,
    prototypes: torch.Tensor,
    *,
    task: Task,
    n_classes: int,
    budget: AdaptationBudget | None = None,
    seed: int = 0,
    shots: int | None = None,
) -> pd.DataFrame:
    """Fine-tune every weight of a copy of the image tower (the reference for LoRA).

    Same arguments and row as :func:`lora_finetune` (``method="full_finetune"``, learning
    rate ``budget.full_lr``); ``trainable_params`` counts the whole image tower plus the
    classifier head.
    """
    return _finetune(
        "full_finetune",
        model,
        train_images,
        train_y,
        test_images,
        test_y,
        prototypes,
        task=task,
        n_classes=n_classes,
        budget=budget or AdaptationBudget(),
        seed=seed,
        shots=shots,
    )
