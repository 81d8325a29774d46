"""Validation retrieval recall (image→text and text→image Recall@K).

Duplicated report texts: many fundus photographs share a report ("双眼眼底未见明显异常").
Each distinct report text is one candidate for image→text retrieval, and an image's
query is a hit at K when *its* report text is among the top-K distinct texts. For
text→image, every pair's report is a query and a hit at K is any of the top-K images
whose report is the same text. Both recalls are averaged over the pairs (images).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from revision_pipeline.training.data import PairCollator

logger = logging.getLogger(__name__)


def autocast_context(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """Autocast for ``precision`` (``auto``: bf16 on CUDA, fp32 on CPU)."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    return torch.autocast(device_type=device.type, dtype=dtype)


def _topk_hits(sim: torch.Tensor, target: torch.Tensor, candidate_group: torch.Tensor, k: int):
    """Per row: whether any of the top-k columns carries the row's target group."""
    k = min(k, sim.shape[1])
    top = sim.topk(k, dim=1).indices
    return (candidate_group[top] == target[:, None]).any(dim=1)


def recall_at_k(
    image_features: torch.Tensor,
    text_features: torch.Tensor,
    reports: Sequence[str],
    ks: Sequence[int] = (1, 5, 10),
    chunk: int = 1024,
) -> dict[str, float]:
    """Retrieval recall from precomputed, normalised features of N pairs.

    Args:
        image_features: ``[N, D]`` image embeddings.
        text_features: ``[N, D]`` text embeddings of each pair's report.
        reports: The N report texts (identical texts are the same candidate).
        ks: The K values.
        chunk: Query rows per similarity block (bounds memory at ``chunk × N``).

    Returns:
        ``i2t_R@K`` and ``t2i_R@K`` for every K, in [0, 1].
    """
    n = len(reports)
    if n == 0:
        raise ValueError("recall_at_k needs at least one pair")
    index: dict[str, int] = {}
    group = torch.tensor([index.setdefault(r, len(index)) for r in reports])
    first = torch.zeros(len(index), dtype=torch.long)
    first[group.flip(0)] = torch.arange(n - 1, -1, -1)  # first pair of each distinct text
    unique_text = text_features[first]
    unique_group = torch.arange(len(index))
    hits = {f"{d}_R@{k}": 0 for d in ("i2t", "t2i") for k in ks}
    for lo in range(0, n, chunk):
        rows = slice(lo, lo + chunk)
        img, txt, g = image_features[rows], text_features[rows], group[rows]
        sim_i2t = img @ unique_text.T
        sim_t2i = txt @ image_features.T
        for k in ks:
            hits[f"i2t_R@{k}"] += int(_topk_hits(sim_i2t, g, unique_group, k).sum())
            hits[f"t2i_R@{k}"] += int(_topk_hits(sim_t2i, g, group, k).sum())
    return {key: value / n for key, value in hits.items()}


@torch.no_grad()
def embed_pairs(
    model: nn.Module,
    batches: Iterable[dict[str, Any]],
    device: torch.device,
    precision: str = "auto",
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Image and text features (float32, CPU) and reports of every collated batch."""
    images, texts, reports = [], [], []
    for batch in batches:
        with autocast_context(device, precision):
            out = model(
                batch["images"].to(device, non_blocking=True),
                batch["input_ids"].to(device, non_blocking=True),
                batch["attention_mask"].to(device, non_blocking=True),
            )
        images.append(out["image_features"].float().cpu())
        texts.append(out["text_features"].float().cpu())
        reports.extend(batch["reports"])
    if not reports:
        raise ValueError("evaluation data yielded no pairs")
    image_f = nn.functional.normalize(torch.cat(images), dim=-1)
    text_f = nn.functional.normalize(torch.cat(texts), dim=-1)
    return image_f, text_f, reports


def evaluate_retrieval(
    model: nn.Module,
    data: Iterable[dict[str, Any]],
    tokenizer: Any,
    *,
    max_len: int = 128,
    batch_size: int = 64,
    device: torch.device | str | None = None,
    precision: str = "auto",
    num_workers: int = 0,
    ks: Sequence[int] = (1, 5, 10),
    encode_fn: Callable[..., dict[str, torch.Tensor]] | None = None,
) -> dict[str, float]:
    """Image→text and text→image Recall@K of ``model`` over every pair of ``data``.

    Args:
        model: A model returning ``image_features``/``text_features`` (bare, not DDP).
        data: Dataset of samples (e.g. a ``PairsDataset`` of the val split with eval
            transforms, ``shuffle=False``, ``rank=0, world_size=1``).
        tokenizer: Tokenizer for the reports.
        max_len: Token length.
        batch_size: Inference batch size.
        device: Default: the model's device.
        precision: ``auto``, ``bf16``, ``fp16`` or ``fp32``.
        num_workers: DataLoader workers.
        ks: Recall cut-offs.
        encode_fn: Tokenising function (default ``models.encode_batch``).

    Returns:
        ``i2t_R@K``/``t2i_R@K`` per K, plus ``n_pairs`` and ``n_unique_reports``.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    collate = PairCollator(tokenizer, max_len, group_by="none", encode_fn=encode_fn, group_fn=list)
    loader = DataLoader(
        data,
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=collate,
        generator=torch.Generator().manual_seed(0),  # leave the global RNG untouched
    )
    was_training = model.training
    model.eval()
    try:
        image_f, text_f, reports = embed_pairs(model, loader, device, precision)
    finally:
        model.train(was_training)
    metrics = recall_at_k(image_f, text_f, reports, ks)
    metrics["n_pairs"] = float(len(reports))
    metrics["n_unique_reports"] = float(len(set(reports)))
    return metrics
