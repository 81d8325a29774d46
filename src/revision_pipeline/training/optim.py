"""Optimiser and learning-rate schedule for contrastive pretraining."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

logger = logging.getLogger(__name__)

# Parameter-name fragments exempt from weight decay (beyond the module-type rules):
# position/patch/class embeddings of timm ViTs and BERT, and the CLIP temperature.
_NO_DECAY_KEYS = (
    "bias",
    "logit_scale",
    "pos_embed",
    "cls_token",
    "dist_token",
    "reg_token",
    "embeddings.",
    "embedding",
)
_NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.normalization.LayerNorm,
    nn.modules.normalization.GroupNorm,
    nn.modules.batchnorm._NormBase,
    nn.RMSNorm,
)


def _exempt_by_module(model: nn.Module) -> set[int]:
    """Ids of parameters owned by norm layers or embedding tables (any name)."""
    exempt: set[int] = set()
    for module in model.modules():
        is_norm = isinstance(module, _NORM_TYPES) or "norm" in type(module).__name__.lower()
        if is_norm or isinstance(module, nn.Embedding):
            exempt.update(id(p) for p in module.parameters(recurse=False))
    return exempt


def no_weight_decay(name: str, param: torch.Tensor) -> bool:
    """Whether ``param`` is exempt from weight decay judging by its name and shape.

    Exempt: every parameter of fewer than 2 dimensions (biases, norm gains, the logit
    scale), and names holding ``bias``, ``logit_scale``, an embedding
    (``pos_embed``, ``cls_token``, BERT's ``embeddings.``) or a norm (``norm``,
    ``LayerNorm``, ``ln_``, ``.ln``, ``bn``). :func:`param_groups` adds parameters of
    norm and ``nn.Embedding`` modules whatever their names.
    """
    if param.ndim < 2 or any(key in name for key in _NO_DECAY_KEYS):
        return True
    parts = name.lower().split(".")
    return any("norm" in part or part.startswith(("ln_", "bn")) or part == "ln" for part in parts)


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two AdamW groups: decayed weight matrices, and everything exempt (decay 0).

    Exempt (as open_clip, plus embeddings): biases, norm layers' parameters, embedding
    tables and position/class embeddings, the logit scale, any 1-D parameter.
    """
    by_module = _exempt_by_module(model)
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        exempt = id(param) in by_module or no_weight_decay(name, param)
        (no_decay if exempt else decay).append(param)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def fast_kernel(params: Iterable[torch.Tensor]) -> dict[str, bool]:
    """``{"fused": True}`` when every parameter is a floating tensor on a device with
    fused AdamW kernels (CUDA, CPU, XPU, MPS in torch ≥ 2.4), else ``{"foreach": True}``."""
    from torch.utils._foreach_utils import _get_fused_kernels_supported_devices

    supported = set(_get_fused_kernels_supported_devices())
    params = list(params)
    fused = bool(params) and all(
        p.device.type in supported and torch.is_floating_point(p) for p in params
    )
    return {"fused": True} if fused else {"foreach": True}


def build_optimizer(
    model: nn.Module,
    lr: float,
    weight_decay: float,
    betas: tuple[float, float] = (0.9, 0.98),
    kernel: str = "auto",
) -> torch.optim.AdamW:
    """AdamW with two parameter groups (see :func:`param_groups`).

    Build it after the model is on its device: the kernel is chosen from where the
    parameters are.

    Args:
        model: Model (may be DDP- or compile-wrapped; parameter names are only matched).
        lr: Peak learning rate.
        weight_decay: Decoupled weight decay of the first group.
        betas: Adam betas (CLIP uses 0.98 for stability at large batch).
        kernel: ``auto`` (fused where the device has the kernel, else foreach),
            ``fused``, ``foreach`` or ``loop`` (PyTorch's per-parameter reference).
    """
    groups = param_groups(model, weight_decay)
    params = [p for g in groups for p in g["params"]]
    options = {
        "auto": lambda: fast_kernel(params),
        "fused": lambda: {"fused": True},
        "foreach": lambda: {"foreach": True},
        "loop": lambda: {"foreach": False},
    }
    if kernel not in options:
        raise ValueError(f"kernel must be one of {sorted(options)}, got {kernel!r}")
    kwargs = options[kernel]()
    logger.debug("AdamW %s over %d tensors", kwargs, len(params))
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=1e-6, **kwargs)


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
