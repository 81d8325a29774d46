"""Contrastive loss (open_clip's ClipLoss structure), false-negative aware.

Reports are highly repetitive ("眼底未见明显异常" appears thousands of times), so two
samples in one batch often share a report. With hard InfoNCE targets those pairs push
each other apart. Here the caller may pass ``group_ids`` (e.g. a hash of the normalised
report, see :func:`group_ids_from_texts`): samples with the same id are positives for
each other, and the targets become the row-normalised equality matrix; the loss is the
symmetric KL divergence from these targets (soft cross-entropy minus the targets'
entropy: same gradients, zero at the optimum). With all ids distinct this is exactly
the standard symmetric InfoNCE.

Under ``torch.distributed`` features (and group ids) are gathered from all ranks; all
ranks must pass batches of the same size.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

_WHITESPACE = re.compile(r"\s+")


def group_ids_from_texts(texts: Iterable[str]) -> torch.Tensor:
    """Stable int64 ids: blake2b (8 bytes) of each text with whitespace collapsed.

    Identical reports (up to whitespace) get identical ids in every process and run.
    """
    ids = []
    for text in texts:
        key = _WHITESPACE.sub(" ", text).strip().encode("utf-8")
        digest = hashlib.blake2b(key, digest_size=8).digest()
        ids.append(int.from_bytes(digest, "little", signed=True))
    return torch.tensor(ids, dtype=torch.int64)


def gather_features(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    local_loss: bool = False,
    gather_with_grad: bool = True,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate features of all ranks (in rank order).

    With ``gather_with_grad`` gradients flow back to every rank (all_gather autograd);
    otherwise only the local slice keeps its gradient (unless ``local_loss``, where the
    local features are used directly and the gathered ones are constants).
    """
    if gather_with_grad:
        return _AllGatherWithGrad.apply(image_features), _AllGatherWithGrad.apply(text_features)
    images = [torch.zeros_like(image_features) for _ in range(world_size)]
    texts = [torch.zeros_like(text_features) for _ in range(world_size)]
    dist.all_gather(images, image_features)
    dist.all_gather(texts, text_features)
    if not local_loss:  # keep the gradient of the local slice
        images[rank] = image_features
        texts[rank] = text_features
    return torch.cat(images, 0), torch.cat(texts, 0)


class _AllGatherWithGrad(torch.autograd.Function):
    """All-gather along dim 0 whose backward sums every rank's gradient for this rank's
    slice: the semantics of the deprecated ``torch.distributed.nn.functional.all_gather``
    (torch 2.14 warns), with plain ``dist`` collectives that gloo and NCCL both support."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        world_size, rank = dist.get_world_size(), dist.get_rank()
        tensor = tensor.contiguous()
        parts = [torch.empty_like(tensor) for _ in range(world_size)]
        dist.all_gather(parts, tensor)
        ctx.rank, ctx.rows = rank, tensor.shape[0]
        return torch.cat(parts, 0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        grad = grad.contiguous().clone()
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)
        return grad[ctx.rank * ctx.rows : (ctx.rank + 1) * ctx.rows]


def gather_group_ids(group_ids: torch.Tensor, world_size: int) -> torch.Tensor:
    """All-gather int64 group ids (no gradient) in rank order."""
    gathered = [torch.zeros_like(group_ids) for _ in range(world_size)]
    dist.all_gather(gathered, group_ids)
    return torch.cat(gathered, 0)


class ClipLoss(nn.Module):
    """Symmetric contrastive loss over (gathered) image/text features.

    Args:
        local_loss: each rank computes logits only for its own rows against all
            gathered columns (memory O(n * N) instead of O(N^2)).
        gather_with_grad: back-propagate through the gather (recommended; with DDP's
            gradient averaging it reproduces the full-batch gradient).
        rank: this process's rank.
        world_size: number of processes; 1 means no gathering.
    """

    def __init__(
        self,
        local_loss: bool = False,
        gather_with_grad: bool = True,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        super().__init__()
        self.local_loss = local_loss
        self.gather_with_grad = gather_with_grad
        self.rank = rank
        self.world_size = world_size

    def get_ground_truth(self, device: torch.device, num_logits: int) -> torch.Tensor:
        """Hard labels: index of each local row's positive among the logits' columns."""
        labels = torch.arange(num_logits, device=device, dtype=torch.long)
        if self.world_size > 1 and self.local_loss:
            labels = labels + num_logits * self.rank
        return labels

    def get_soft_targets(self, group_ids: torch.Tensor) -> torch.Tensor:
        """Soft targets from group ids: row-normalised equality matrix.

        Rows are this rank's samples (``local_loss``) or all samples; columns are all
        samples. Ids are gathered across ranks when ``world_size > 1``.
        """
        all_ids = gather_group_ids(group_ids, self.world_size) if self.world_size > 1 else group_ids
        row_ids = group_ids if self.local_loss else all_ids
        same = (row_ids[:, None] == all_ids[None, :]).float()
        return same / same.sum(1, keepdim=True)

    def get_logits(
        self, image_features: torch.Tensor, text_features: torch.Tensor, logit_scale: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Scaled similarity logits ``(logits_per_image, logits_per_text)``."""
        if self.world_size > 1:
            all_images, all_texts = gather_features(
                image_features,
                text_features,
                self.local_loss,
                self.gather_with_grad,
                self.rank,
                self.world_size,
            )
            if self.local_loss:
                return (
                    logit_scale * image_features @ all_texts.T,
                    logit_scale * text_features @ all_images.T,
                )
            logits_per_image = logit_scale * all_images @ all_texts.T
            return logits_per_image, logits_per_image.T
        logits_per_image = logit_scale * image_features @ text_features.T
        return logits_per_image, logits_per_image.T

    def forward(
        self,
        image_features: torch.Tensor,
        text_features: torch.Tensor,
        logit_scale: torch.Tensor,
        group_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Mean of image→text and text→image cross-entropy (KL with ``group_ids``).

        Args:
            image_features: normalised ``[n, D]`` features of this rank.
            text_features: normalised ``[n, D]`` features of this rank.
            logit_scale: scalar, already exponentiated.
            group_ids: optional int64 ``[n]``; equal ids are mutual positives.
        """
        logits_per_image, logits_per_text = self.get_logits(
            image_features, text_features, logit_scale
        )
        if group_ids is None:
            targets = self.get_ground_truth(image_features.device, logits_per_image.shape[0])
        else:
            if group_ids.shape != (image_features.shape[0],):
                raise ValueError(
                    f"group_ids must have shape ({image_features.shape[0]},), "
                    f"got {tuple(group_ids.shape)}"
                )
            targets = self.get_soft_targets(group_ids.to(image_features.device))
            # KL(targets || softmax) = CE - H(targets): same gradient as soft CE, but 0 at
            # the optimum; H = 0 for one-hot rows, so distinct ids give plain InfoNCE.
            entropy = -torch.special.xlogy(targets, targets).sum(1).mean()
            return (
                F.cross_entropy(logits_per_image, targets)
                + F.cross_entropy(logits_per_text, targets)
            ) / 2 - entropy
        return (
            F.cross_entropy(logits_per_image, targets) + F.cross_entropy(logits_per_text, targets)
        ) / 2
