"""One training step of RetinaCLIP against open_clip, side by side in one process.

Times, for our model config (default ``vit-b16-bert-base``) and an open_clip
architecture (default ``ViT-B-16``, random init), the median seconds of:

* ``full step``: forward, contrastive loss, backward, gradient clipping at 1.0, AdamW
  update, logit-scale clamp (ours: the project's ``StepRunner`` and ``ClipLoss``;
  open_clip: the body of ``open_clip_train.train.train_one_epoch``);
* ``image tower``: forward + backward of the image tower and its projection alone;
* ``text tower``: the same for the text tower;
* ``optimizer``: gradient clipping + ``optimizer.step()`` alone (each side's AdamW, with
  its own parameter groups).

Rounds alternate between the two models and swap which goes first, so a shared
machine's load drifts hit both alike. Images are random tensors (compute does not
depend on pixels); text batches are the demo's real train reports, a fresh random
draw of ``--batch`` reports per round, the same for both sides: ours through the
project's tokenizer and ``PairCollator`` (padded as ``--pad-to`` says), open_clip's
through its own tokenizer (always 77 tokens). CPU runs in fp32; CUDA in bf16
autocast for both (open_clip's ``amp_bf16``).

open_clip is a peer for this benchmark only: ``pip install -e '.[bench]'``.

Examples::

    python benchmarks/train_vs_open_clip.py --batch 8                 # CPU, ~3 min
    python benchmarks/train_vs_open_clip.py --batch 8 --pad-to max_len --max-len 128 \\
        --optimizer-kernel loop                                        # the old defaults
    python benchmarks/train_vs_open_clip.py --device cuda --batch 256 --rounds 10

The last line printed is one JSON object: ``device``, ``batch``, ``ours_s_per_step``,
``open_clip_s_per_step``, ``ratio``, ``image_tower_ratio``, ``text_tower_ratio`` (ours
divided by open_clip), and more detail.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import math
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from revision_pipeline.models import ClipLoss, build_model, load_config, load_tokenizer
from revision_pipeline.models.tokenizer import encode_batch, length_covering, train_tokenizer
from revision_pipeline.training import PairCollator
from revision_pipeline.training.app import train_reports
from revision_pipeline.training.optim import build_optimizer
from revision_pipeline.training.step import StepRunner

logger = logging.getLogger("train_vs_open_clip")

PARTS = ("full step", "image tower", "text tower", "optimizer")
GRAD_CLIP = 1.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _backward_of(features: torch.Tensor) -> None:
    features.float().square().mean().backward()


def _images(batch: int, size: int, device: torch.device) -> torch.Tensor:
    return torch.randn(batch, 3, size, size, device=device)


def _fake_grads(params: list[torch.Tensor]) -> None:
    for p in params:
        p.grad = torch.randn_like(p).mul_(1e-3)


class Side:
    """One model with its optimiser and the four timed callables."""

    def __init__(
        self,
        name: str,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        full_step: Callable[[dict], None],
        image_tower: Callable[[torch.Tensor], torch.Tensor],
        text_tower: Callable[[dict], torch.Tensor],
        device: torch.device,
        precision: str,
    ) -> None:
        self.name, self.model, self.optimizer = name, model, optimizer
        self._full, self._image, self._text = full_step, image_tower, text_tower
        self.device, self.precision = device, precision
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.times: dict[str, list[float]] = {part: [] for part in PARTS}

    def _tower(self, fn: Callable[[Any], torch.Tensor], arg: Any) -> None:
        with _autocast(self.device, self.precision):
            out = fn(arg)
        _backward_of(out)
        self.model.zero_grad(set_to_none=True)

    def _optimizer(self) -> None:
        torch.nn.utils.clip_grad_norm_(self.params, GRAD_CLIP)
        self.optimizer.step()

    def run(self, part: str, batch: dict, record: bool) -> None:
        """Run ``part`` on ``batch`` (the side's own view of it), timing it if ``record``."""
        if part == "optimizer":
            _fake_grads(self.params)  # not timed
        calls = {
            "full step": lambda: self._full(batch),
            "image tower": lambda: self._tower(self._image, batch["images"]),
            "text tower": lambda: self._tower(self._text, batch),
            "optimizer": self._optimizer,
        }
        _sync(self.device)
        start = time.perf_counter()
        calls[part]()
        _sync(self.device)
        if record:
            self.times[part].append(time.perf_counter() - start)
        if part == "optimizer":
            self.optimizer.zero_grad(set_to_none=True)

    def medians(self) -> dict[str, float]:
        """Median seconds of every part."""
        return {part: float(np.median(t)) for part, t in self.times.items()}

    def minima(self) -> dict[str, float]:
        """Fastest round of every part (the least disturbed by other jobs)."""
        return {part: float(np.min(t)) for part, t in self.times.items()}


def ours_side(args: argparse.Namespace, tokenizer: Any, device: torch.device) -> Side:
    """Our model, optimiser and ``StepRunner`` as the training loop builds them."""
    config = load_config(args.model_config)
    config.text.max_len = args.max_len
    vocab = max(len(tokenizer), args.vocab_size or 0)
    torch.manual_seed(0)
    model = build_model(config, vocab, tokenizer.pad_token_id).to(device).train()
    optimizer = build_optimizer(model, 1e-4, 0.2, kernel=args.optimizer_kernel)
    runner = StepRunner(model, model, optimizer, None, ClipLoss(), device, args.precision, 1.0)
    return Side(
        f"ours ({config.name})",
        model,
        optimizer,
        lambda b: runner([b]),
        model.visual,
        lambda b: model.text(b["input_ids"].to(device), b["attention_mask"].to(device)),
        device,
        args.precision,
    )


def open_clip_side(args: argparse.Namespace, device: torch.device) -> tuple[Side, Any]:
    """open_clip's model, AdamW groups and step, as ``open_clip_train`` runs them."""
    import open_clip

    torch.manual_seed(0)
    model = open_clip.create_model(args.open_clip_model, pretrained=None, output_dict=True)
    model = model.to(device).train()

    def exclude(n: str, p: torch.Tensor) -> bool:  # open_clip_train/main.py
        return p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n

    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
            {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": 0.2},
        ],
        lr=1e-4,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    loss_fn = open_clip.ClipLoss()

    def full_step(batch: dict) -> None:  # open_clip_train.train.train_one_epoch, accum 1
        optimizer.zero_grad()
        with _autocast(device, args.precision):
            out = model(batch["images"], batch["texts"])
            total = sum(loss_fn(**out, output_dict=True).values())
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP, norm_type=2.0)
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))

    side = Side(
        f"open_clip {open_clip.__version__} ({args.open_clip_model})",
        model,
        optimizer,
        full_step,
        model.encode_image,
        lambda b: model.encode_text(b["texts"]),
        device,
        args.precision,
    )
    return side, open_clip.get_tokenizer(args.open_clip_model)


def _tokenizer(args: argparse.Namespace, reports: list[str]) -> Any:
    if args.tokenizer:
        return load_tokenizer(args.tokenizer)
    logger.info("training a WordPiece tokenizer on %d train reports", len(reports))
    return train_tokenizer(reports, vocab_size=4000)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--device", default="cpu")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds (after one warm-up)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--model-config", default="vit-b16-bert-base")
    p.add_argument("--open-clip-model", default="ViT-B-16")
    p.add_argument("--pairs", type=Path, default=Path("data/05_model_input/pairs"))
    p.add_argument("--tokenizer", type=Path, help="saved tokenizer; default: train one")
    p.add_argument(
        "--vocab-size",
        type=int,
        default=21128,
        help="text embedding rows (default: a Chinese BERT vocabulary, as at paper scale)",
    )
    p.add_argument("--pad-to", choices=("longest", "max_len"), default="longest")
    p.add_argument("--max-len", type=int, help="default: chosen from the reports (95%%)")
    p.add_argument(
        "--optimizer-kernel", choices=("auto", "fused", "foreach", "loop"), default="auto"
    )
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the comparison, print a table and the JSON line; return the JSON object."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    device = torch.device(args.device)
    args.precision = "bf16" if device.type == "cuda" else "fp32"
    reports = train_reports(args.pairs)
    if len(reports) < args.batch:
        raise SystemExit(f"{args.pairs}: {len(reports)} train reports, fewer than --batch")
    tokenizer = _tokenizer(args, reports)
    if args.max_len is None:
        args.max_len = length_covering(tokenizer, reports)
    collate = PairCollator(
        tokenizer,
        args.max_len,
        "report",
        encode_fn=functools.partial(encode_batch, pad_to_max=args.pad_to == "max_len"),
    )
    ours = ours_side(args, tokenizer, device)
    theirs, oc_tokenize = open_clip_side(args, device)
    size = ours.model.config.vision.image_size
    oc_size = theirs.model.visual.image_size
    oc_size = oc_size[0] if isinstance(oc_size, tuple | list) else oc_size
    rng = np.random.default_rng(args.seed)
    text_lengths: list[int] = []
    for round_ in range(args.warmup + args.rounds):
        record = round_ >= args.warmup
        texts = [reports[i] for i in rng.choice(len(reports), args.batch, replace=False)]
        images = _images(args.batch, size, device)
        samples = zip(images, texts, strict=True)
        mine = collate([{"image": img, "report": t, "pair_id": ""} for img, t in samples])
        text_lengths.append(int(mine["input_ids"].shape[1]))
        batches = {
            ours.name: mine,
            theirs.name: {
                "images": images if oc_size == size else _images(args.batch, oc_size, device),
                "texts": oc_tokenize(texts).to(device),
            },
        }
        sides = (ours, theirs) if round_ % 2 == 0 else (theirs, ours)
        for part in PARTS:
            for side in sides:
                side.run(part, batches[side.name], record)
        logger.info(
            "round %d/%d%s: %s",
            round_ + 1,
            args.warmup + args.rounds,
            "" if record else " (warm-up)",
            {side.name: {k: round(v[-1], 3) for k, v in side.times.items() if v} for side in sides},
        )
    return report(args, ours, theirs, text_lengths[args.warmup :])


def report(args: argparse.Namespace, ours: Side, theirs: Side, lengths: list[int]) -> dict:
    """Print the table and the final JSON line."""
    a, b = ours.medians(), theirs.medians()
    if args.device.startswith("cuda"):
        where = torch.cuda.get_device_name(torch.device(args.device))
    else:
        cpu = platform.processor() or platform.machine()
        where = f"CPU {cpu}, {torch.get_num_threads()} threads"
    print(f"\n{where}, {args.precision}, batch {args.batch}, median of {args.rounds} rounds")
    print(
        f"ours: text padded to {args.pad_to} (max_len {args.max_len}; mean padded length "
        f"{np.mean(lengths):.1f}), AdamW kernel {args.optimizer_kernel}\n"
    )
    print(f"| part | {ours.name} s | {theirs.name} s | ratio |")
    print("| --- | --- | --- | --- |")
    for part in PARTS:
        print(f"| {part} | {a[part]:.3f} | {b[part]:.3f} | {a[part] / b[part]:.2f} |")
    result = {
        "device": where,
        "batch": args.batch,
        "ours_s_per_step": round(a["full step"], 4),
        "open_clip_s_per_step": round(b["full step"], 4),
        "ratio": round(a["full step"] / b["full step"], 3),
        "image_tower_ratio": round(a["image tower"] / b["image tower"], 3),
        "text_tower_ratio": round(a["text tower"] / b["text tower"], 3),
        "optimizer_ratio": round(a["optimizer"] / b["optimizer"], 3),
        "ratio_of_fastest_rounds": {
            part: round(ours.minima()[part] / theirs.minima()[part], 3) for part in PARTS
        },
        "ours": {k: round(v, 4) for k, v in a.items()},
        "open_clip": {k: round(v, 4) for k, v in b.items()},
        "model_config": args.model_config,
        "open_clip_model": args.open_clip_model,
        "precision": args.precision,
        "pad_to": args.pad_to,
        "max_len": args.max_len,
        "mean_text_len": round(float(np.mean(lengths)), 1),
        "optimizer_kernel": args.optimizer_kernel,
        "rounds": args.rounds,
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    main()
