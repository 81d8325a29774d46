"""One optimiser step: forward/backward over micro-batches, clipping, update."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from revision_pipeline.training.evaluate import autocast_context


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` → ``bf16`` on CUDA, ``fp32`` elsewhere; others pass through."""
    if precision == "auto":
        return "bf16" if device.type == "cuda" else "fp32"
    return precision


def loss_value(out: Any) -> torch.Tensor:
    """A loss function's result as one scalar (a tensor, or a dict of terms summed)."""
    if isinstance(out, dict):
        return sum(out.values())  # type: ignore[return-value]
    return out


class StepRunner:
    """Runs one optimiser step of contrastive training.

    Args:
        model: The (possibly DDP/compile-wrapped) model to call.
        bare: The unwrapped model (for the logit-scale clamp).
        optimizer: Optimiser over ``bare``'s parameters.
        scheduler: LR scheduler stepped after each update (or ``None``).
        loss_fn: ``(image_features, text_features, logit_scale, group_ids) -> loss``.
        device: Where batches go.
        precision: ``fp32``, ``bf16`` or ``fp16`` (fp16 uses a gradient scaler).
        grad_clip: Max global grad norm (``None``/0: no clipping).
    """

    def __init__(
        self,
        model: nn.Module,
        bare: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any,
        loss_fn: Callable[..., Any],
        device: torch.device,
        precision: str,
        grad_clip: float | None,
    ) -> None:
        self.model, self.bare, self.optimizer, self.scheduler = model, bare, optimizer, scheduler
        self.loss_fn, self.device, self.grad_clip = loss_fn, device, grad_clip
        self.precision = resolve_precision(precision, device)
        use_scaler = self.precision == "fp16" and device.type == "cuda"
        self.scaler = torch.amp.GradScaler(device.type, enabled=use_scaler)

    def _to_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v.to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
            for k, v in batch.items()
        }

    def __call__(self, micro_batches: Sequence[dict[str, Any]]) -> dict[str, float]:
        """Forward/backward every micro-batch, then clip and update once.

        Each micro-batch is its own contrastive problem (negatives from that
        micro-batch only); gradients are averaged over micro-batches. Under DDP the
        gradient all-reduce runs only on the last micro-batch.

        Returns:
            ``loss`` (mean over micro-batches), ``logit_scale`` and ``grad_norm``.
        """
        n = len(micro_batches)
        total = 0.0
        scale = torch.tensor(float("nan"))
        for i, raw in enumerate(micro_batches):
            batch = self._to_device(raw)
            sync = i == n - 1 or not hasattr(self.model, "no_sync")
            ctx = contextlib.nullcontext() if sync else self.model.no_sync()
            with ctx:
                with autocast_context(self.device, self.precision):
                    out = self.model(batch["images"], batch["input_ids"], batch["attention_mask"])
                    loss = loss_value(
                        self.loss_fn(
                            out["image_features"],
                            out["text_features"],
                            out["logit_scale"],
                            batch.get("group_ids"),
                        )
                    )
                self.scaler.scale(loss / n).backward()
            total += float(loss.detach())
            scale = out["logit_scale"].detach()
        self.scaler.unscale_(self.optimizer)
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        max_norm = self.grad_clip if self.grad_clip else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        if self.scheduler is not None:
            self.scheduler.step()
        clamp = getattr(self.bare, "clamp_logit_scale_", None)
        if callable(clamp):
            clamp()
        return {
            "loss": total / n,
            "logit_scale": float(scale.float().mean()),
            "grad_norm": float(grad_norm),
        }
