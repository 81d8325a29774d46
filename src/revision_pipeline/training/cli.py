"""Command line: ``python -m revision_pipeline.training --pairs PATH --model-config NAME``.

Single process, all GPUs of one machine (spawned), or one process per GPU under
``torchrun`` on one or many nodes (see docs/training.md).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import yaml

from revision_pipeline.training.app import PretrainJob, run_job
from revision_pipeline.training.config import TrainConfig
from revision_pipeline.training.distributed import launch

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the training command."""
    p = argparse.ArgumentParser(
        prog="python -m revision_pipeline.training",
        description="Contrastive pretraining of RetinaCLIP on curated pairs (Parquet).",
    )
    p.add_argument("--pairs", required=True, type=Path, help="curated pairs Parquet dataset")
    p.add_argument("--model-config", required=True, help="config name or JSON path")
    p.add_argument("--output", type=Path, default=Path("data/06_models/pretrain"))
    p.add_argument("--tokenizer", type=Path, help="tokenizer dir; default: train one")
    p.add_argument("--vocab-size", type=int, default=8000, help="for a newly trained tokenizer")
    p.add_argument("--train-config", type=Path, help="YAML/JSON of TrainConfig fields")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--warmup-steps", type=int)
    p.add_argument("--accumulation-steps", type=int)
    p.add_argument("--precision", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--num-workers", type=int)
    p.add_argument("--checkpoint-every", type=int)
    p.add_argument("--log-every", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--compile", action="store_true", default=None)
    p.add_argument("--resume", action="store_true", default=None)
    p.add_argument("--balance-alpha", type=float, default=None, help="institution balancing")
    p.add_argument("--shuffle-buffer", type=int, default=2048)
    p.add_argument("--hflip", action="store_true", help="random horizontal flips")
    p.add_argument(
        "--nproc", type=int, default=None, help="processes on this machine (default: #GPUs)"
    )
    p.add_argument("--log-level", default="INFO")
    return p


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Merge ``--train-config`` with the explicit flags (flags win)."""
    values: dict[str, Any] = {}
    if args.train_config:
        text = args.train_config.read_text("utf-8")
        loaded = json.loads(text) if args.train_config.suffix == ".json" else yaml.safe_load(text)
        values.update(loaded or {})
    flags = (
        "epochs",
        "max_steps",
        "batch_size",
        "lr",
        "warmup_steps",
        "accumulation_steps",
        "precision",
        "num_workers",
        "checkpoint_every",
        "log_every",
        "seed",
        "device",
        "compile",
        "resume",
    )
    values.update({k: getattr(args, k) for k in flags if getattr(args, k) is not None})
    values.setdefault("checkpoint_dir", str(args.output / "checkpoints"))
    return TrainConfig(**values)


def job_from_args(args: argparse.Namespace) -> PretrainJob:
    """The pretraining job the command line describes."""
    return PretrainJob(
        pairs=args.pairs,
        output=args.output,
        model_config=args.model_config,
        train=train_config_from_args(args),
        tokenizer=args.tokenizer,
        vocab_size=args.vocab_size,
        hflip=args.hflip,
        shuffle_buffer=args.shuffle_buffer,
        balance_alpha=args.balance_alpha,
    )


def run(args: argparse.Namespace) -> None:
    """Train in this process (one rank); see :func:`~revision_pipeline.training.app.run_job`."""
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    run_job(job_from_args(args))


def main(argv: list[str] | None = None) -> None:
    """Entry point: parse arguments and launch one process per GPU (or one)."""
    args = build_parser().parse_args(argv)
    nproc = args.nproc
    if nproc is None and args.device == "cpu":
        nproc = 1
    launch(run, nproc, (args,))
