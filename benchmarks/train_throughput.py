"""Training throughput (images/s) and data-pipeline overhead.

Measures, for a model config (default: ViT-B/16 + BERT-base text at 224 px):

* ``memory``: optimiser steps on in-memory random tensors (pure compute);
* ``parquet``: the same steps fed by the real pipeline (streaming Parquet pairs, JPEG
  decode, augmentation, tokenisation, DataLoader workers);
* ``data only``: the pipeline alone, no model.

Overhead = parquet step time / memory step time − 1. With ``--device cuda`` the batch
size is searched by doubling until CUDA runs out of memory (bf16 autocast).

Examples::

    python benchmarks/train_throughput.py --steps 3 --batch-size 2          # CPU, quick
    python benchmarks/train_throughput.py --device cuda --steps 20 --num-workers 8
    python benchmarks/train_throughput.py --pairs data/05_model_input/pairs
"""

from __future__ import annotations

import argparse
import io
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from PIL import Image, ImageDraw
from torch.utils.data import DataLoader

from revision_pipeline.curation.schema import PAIR_COLUMNS
from revision_pipeline.models import ClipLoss, build_model, load_config, train_tokenizer
from revision_pipeline.training import PairCollator, PairsDataset, build_transforms
from revision_pipeline.training.optim import build_optimizer
from revision_pipeline.training.step import StepRunner

logger = logging.getLogger("train_throughput")

WORDS = ["视网膜出血", "黄斑水肿", "视盘水肿", "玻璃体混浊", "眼底未见明显异常", "硬性渗出"]


def synthetic_pairs(directory: Path, n: int, side: int, seed: int = 0) -> Path:
    """Write ``n`` synthetic fundus-like JPEG pairs (``side`` px) as a Parquet dataset."""
    rng = np.random.default_rng(seed)
    rows: dict[str, list] = {k: [] for k in PAIR_COLUMNS}
    for i in range(n):
        img = Image.new("RGB", (side, side))
        colour = tuple(int(c) for c in rng.integers(80, 220, 3))
        ImageDraw.Draw(img).ellipse((4, 4, side - 4, side - 4), fill=colour)
        arr = np.asarray(img).astype(np.int16) + rng.integers(-20, 20, (side, side, 3))
        buf = io.BytesIO()
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
        words = rng.choice(WORDS, size=3, replace=False)
        for key, value in (
            ("pair_id", f"p{i}"),
            ("institution_id", f"inst{i % 7}"),
            ("patient_pid", f"pt{i // 2}"),
            ("exam_pid", f"ex{i // 2}"),
            ("eye", "OD" if i % 2 else "OS"),
            ("split", "train"),
            ("image", buf.getvalue()),
            ("quality_score", 0.9),
            ("report", f"{'右眼' if i % 2 else '左眼'}" + "，".join(words) + "。建议随诊。"),
            ("labels", list(words[:2])),
        ):
            rows[key].append(value)
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(rows), directory / "part-000.parquet", row_group_size=64)
    return directory


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def random_batch(batch: int, size: int, max_len: int, vocab: int, device: torch.device) -> dict:
    """An in-memory batch of random images and token ids."""
    return {
        "images": torch.randn(batch, 3, size, size, device=device),
        "input_ids": torch.randint(5, vocab, (batch, max_len), device=device),
        "attention_mask": torch.ones(batch, max_len, dtype=torch.long, device=device),
        "group_ids": torch.arange(batch, device=device),
    }


def time_interleaved(
    runner: StepRunner, sources: dict[str, Iterator[dict]], steps: int, warmup: int
) -> dict[str, float]:
    """Median seconds per optimiser step for each batch source.

    Steps alternate between the sources so that a shared machine's load drifts
    affect them alike.
    """
    for _ in range(warmup):
        for batches in sources.values():
            runner([next(batches)])
    times: dict[str, list[float]] = {name: [] for name in sources}
    for _ in range(steps):
        for name, batches in sources.items():
            _sync(runner.device)
            start = time.perf_counter()
            runner([next(batches)])
            _sync(runner.device)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def largest_batch(make_runner, make_batch, start: int, limit: int) -> int:
    """Double the batch size until CUDA OOM; return the largest that ran a step."""
    best, batch = 0, start
    while batch <= limit:
        try:
            runner = make_runner()
            runner([make_batch(batch)])
            runner([make_batch(batch)])
            best = batch
            logger.info("batch %d fits", batch)
            batch *= 2
        except torch.OutOfMemoryError:
            break
        finally:
            torch.cuda.empty_cache()
    if best == 0:
        raise RuntimeError(f"batch {start} does not fit on the GPU")
    return best


def main() -> None:
    """Run the benchmark and print a table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model-config", default="vit-b16-bert-base")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch-size", type=int, default=None, help="default: 2 on CPU, search on GPU")
    p.add_argument("--max-batch", type=int, default=4096)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument("--pairs", type=Path, help="curated pairs; default: synthetic JPEGs")
    p.add_argument("--synthetic-side", type=int, default=512)
    p.add_argument("--vocab-size", type=int, default=21128, help="text embedding rows")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    device = torch.device(args.device)
    config = load_config(args.model_config)
    size, max_len = config.vision.image_size, config.text.max_len
    precision = "bf16" if device.type == "cuda" else "fp32"
    tokenizer = train_tokenizer(WORDS * 10, vocab_size=500)
    torch.manual_seed(0)

    def make_runner() -> StepRunner:
        model = build_model(config, args.vocab_size, tokenizer.pad_token_id).to(device)
        opt = build_optimizer(model, 1e-4, 0.1)
        return StepRunner(model, model, opt, None, ClipLoss(), device, precision, 1.0)

    def make_batch(b: int) -> dict:
        return random_batch(b, size, max_len, len(tokenizer), device)

    if args.batch_size is not None:
        batch = args.batch_size
    elif device.type == "cuda":
        batch = largest_batch(make_runner, make_batch, 32, args.max_batch)
    else:
        batch = 2
    runner = make_runner()
    n_params = sum(q.numel() for q in runner.bare.parameters())

    def memory_batches() -> Iterator[dict]:
        b = make_batch(batch)
        while True:
            yield b

    with tempfile.TemporaryDirectory() as tmp:
        n_needed = batch * (args.steps + args.warmup + 1) * 2
        pairs = args.pairs or synthetic_pairs(Path(tmp) / "pairs", n_needed, args.synthetic_side)
        data = PairsDataset(
            pairs, "train", build_transforms(size, True), shuffle_buffer=256, decode_size=size
        )
        loader = DataLoader(
            data,
            batch_size=batch,
            num_workers=args.num_workers,
            drop_last=True,
            collate_fn=PairCollator(tokenizer, max_len, "report"),
            pin_memory=device.type == "cuda",
            persistent_workers=args.num_workers > 0,
        )

        def loader_batches() -> Iterator[dict]:
            while True:
                yield from loader

        t_data = time_steps_data(loader_batches(), args.steps, args.warmup)
        timed = time_interleaved(
            runner,
            {"memory": memory_batches(), "parquet": loader_batches()},
            args.steps,
            args.warmup,
        )
        t_mem, t_pq = timed["memory"], timed["parquet"]

    rows = [
        ("memory (random tensors)", t_mem),
        ("parquet pipeline + model", t_pq),
        ("data pipeline only", t_data),
    ]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"\n{config.name} ({n_params / 1e6:.1f}M params), {size}px, {precision}, {name}")
    print(f"batch {batch}, {args.steps} timed steps, {args.num_workers} workers\n")
    print(f"| {'mode':<26} | {'s/step':>8} | {'images/s':>9} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 11}|")
    for label, t in rows:
        print(f"| {label:<26} | {t:8.3f} | {batch / t:9.1f} |")
    print(f"\ndata-pipeline overhead: {100 * (t_pq / t_mem - 1):+.1f}% step time")


def time_steps_data(batches, steps: int, warmup: int) -> float:
    """Median seconds per batch of the data pipeline alone."""
    for _ in range(warmup):
        next(batches)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        next(batches)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


if __name__ == "__main__":
    main()
