"""Optimiser and learning-rate schedule for contrastive pretraining."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

_NO_DECAY_KEYS = ("bias", "norm", "ln_", ".ln", "bn", "logit_scale", "LayerNorm")


def no_weight_decay(name: str, param: torch.Tensor) -> bool:
    """Whether ``param`` is exempt from weight decay (biases, norms, gains, logit scale)."""
    return param.ndim < 2 or any(key in name for key in _NO_DECAY_KEYS)


def build_optimizer(
    model: nn.Module, lr: float, weight_decay: float, betas: tuple[float, float] = (0.9, 0.98)
) -> torch.optim.AdamW:
    """AdamW with two parameter groups: decayed weights, and undecayed biases/norms/scale.

    Args:
        model: Model (may be DDP- or compile-wrapped; parameter names are only matched).
        lr: Peak learning rate.
        weight_decay: Decoupled weight decay of the first group.
        betas: Adam betas (CLIP uses 0.98 for stability at large batch).
    """
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if no_weight_decay(name, param) else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-6)


def lr_lambda(
    warmup_steps: int, total_steps: int, schedule: str = "cosine", min_lr_ratio: float = 0.0
) -> Callable[[int], float]:
    """Multiplier of the peak LR at optimiser step ``step`` (0-based).

    Linear warmup from ``1/warmup_steps`` to 1 over ``warmup_steps``, then either a
    cosine decay to ``min_lr_ratio`` at ``total_steps`` or a constant.
    """
    if schedule not in {"cosine", "constant"}:
        raise ValueError(f"schedule must be cosine or constant, got {schedule!r}")

    def factor(step: int) -> float:
        if warmup_steps > 0 and step < warmup_steps:
            return (step + 1) / warmup_steps
        if schedule == "constant":
            return 1.0
        decay_steps = max(1, total_steps - warmup_steps)
        progress = min(1.0, (step - warmup_steps) / decay_steps)
        return min_lr_ratio + (1 - min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    warmup_steps: int,
    total_steps: int,
    schedule: str = "cosine",
    min_lr_ratio: float = 0.0,
) -> torch.optim.lr_scheduler.LambdaLR:
    """A ``LambdaLR`` following :func:`lr_lambda`; call ``step()`` after each update."""
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(warmup_steps, total_steps, schedule, min_lr_ratio)
    )
