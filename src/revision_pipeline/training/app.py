"""One pretraining job, end to end: tokenizer, model, data, loop, saved outputs.

Shared by the command line (``python -m revision_pipeline.training``, also under
``torchrun``) and the Kedro ``pretrain`` pipeline, which launches it on every GPU of
the machine. Rank 0 writes ``<output>/model/`` (weights, config, tokenizer) and
``<output>/train_summary.json`` (steps, losses, per-step history, validation recall).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.dataset as pads
import torch

from revision_pipeline.training.checkpoint import check_tokenizer
from revision_pipeline.training.config import TrainConfig
from revision_pipeline.training.data import PairsDataset, build_transforms
from revision_pipeline.training.distributed import (
    barrier,
    cleanup_distributed,
    init_distributed,
    launch,
)
from revision_pipeline.training.loop import MetricsLogger, train

logger = logging.getLogger(__name__)

SUMMARY = "train_summary.json"


@dataclass(frozen=True)
class PretrainJob:
    """Everything one pretraining run needs (picklable, so it can be spawned per GPU)."""

    pairs: Path
    output: Path
    model_config: str
    train: TrainConfig
    tokenizer: Path | None = None  # a saved or local pretrained tokenizer; None: train one
    vocab_size: int = 8000
    hflip: bool = False
    shuffle_buffer: int = 2048
    balance_alpha: float | None = None


def train_reports(pairs: Path) -> list[str]:
    """The non-empty reports of the train split (only that column is read)."""
    dataset = pads.dataset(str(pairs), format="parquet")
    table = dataset.to_table(columns=["report"], filter=pc.field("split") == "train")
    return [r for r in table.column("report").to_pylist() if r]


def record_report_length(tokenizer: Any, reports: list[str]) -> int:
    """Choose the text length from ``reports`` and store it in ``tokenizer``'s config.

    The length is the shortest that keeps 95% of the reports whole, rounded up to a
    multiple of 8 (:func:`~revision_pipeline.models.tokenizer.length_covering`, which
    logs it), capped at the tokenizer's ``model_max_length``. A model config with
    ``text.max_len: null`` takes it.
    """
    from revision_pipeline.models.tokenizer import REPORT_LEN_KEY, length_covering

    chosen = min(length_covering(tokenizer, reports), int(tokenizer.model_max_length))
    tokenizer.init_kwargs[REPORT_LEN_KEY] = chosen
    return chosen


def prepare_tokenizer(pairs: Path, out: Path, vocab_size: int, min_patients: int = 5) -> Path:
    """Train a WordPiece tokenizer on the train split's reports and save it to ``out``,
    with the text length chosen from the same reports (:func:`record_report_length`).

    Only strings found in the reports of at least ``min_patients`` distinct patients
    (``patient_pid``) can become vocabulary entries.
    """
    from revision_pipeline.models import train_tokenizer

    table = pads.dataset(str(pairs), format="parquet").to_table(
        columns=["report", "patient_pid"], filter=pc.field("split") == "train"
    )
    reports, pids = table.column("report").to_pylist(), table.column("patient_pid").to_pylist()
    rows = [(r, p) for r, p in zip(reports, pids, strict=True) if r]
    if not rows:
        raise ValueError(f"{pairs}: the train split has no reports to train a tokenizer on")
    tokenizer = train_tokenizer(
        [r for r, _ in rows], vocab_size=vocab_size,
        patients=[str(p) for _, p in rows], min_patients=min_patients,
    )  # fmt: skip
    record_report_length(tokenizer, [r for r, _ in rows])
    tokenizer.save_pretrained(str(out))
    return out


def resolve_max_len(model_config: Any, tokenizer: Any, pairs: Path) -> int:
    """Fill a null ``text.max_len`` of ``model_config`` (in place) and return it.

    Taken from the tokenizer when its node recorded one, else chosen from the train
    split's reports now (:func:`record_report_length`).
    """
    from revision_pipeline.models.tokenizer import REPORT_LEN_KEY

    if model_config.text.max_len is None:
        chosen = tokenizer.init_kwargs.get(REPORT_LEN_KEY)
        if chosen is None:
            chosen = record_report_length(tokenizer, train_reports(pairs))
        model_config.text.max_len = int(chosen)
        logger.info("text.max_len = %d, chosen from the training reports", chosen)
    return model_config.text.max_len


def _tokenizer(job: PretrainJob, is_main: bool) -> Any:
    from revision_pipeline.models import load_tokenizer

    if job.tokenizer:
        return load_tokenizer(job.tokenizer)
    out = job.output / "tokenizer"
    if is_main:
        prepare_tokenizer(job.pairs, out, job.vocab_size)
    barrier()
    return load_tokenizer(out)


def weight_digests(model: torch.nn.Module, world_size: int) -> list[str]:
    """SHA-256 of the model's parameters on every rank (a DDP consistency check).

    Buffers are left out: BatchNorm running statistics are per rank between DDP's
    broadcasts (rank 0's are the ones saved).
    """
    h = hashlib.sha256()
    for name, value in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    digests = [h.hexdigest()]
    if world_size > 1:
        digests = [""] * world_size
        torch.distributed.all_gather_object(digests, h.hexdigest())
    return digests


def run_job(job: PretrainJob, metrics_logger: MetricsLogger | None = None) -> None:
    """Train in this process (one rank); rank 0 saves model, tokenizer and summary.

    Every input is checked before the first step: a missing or empty pairs dataset or
    split, an unknown timm name, a tokenizer that does not fit the text tower, or a
    checkpoint from another configuration stop with an error naming the cause.
    """
    from revision_pipeline.models import (
        build_model,
        check_tokenizer_matches,
        load_config,
        save_pretrained,
    )

    config = job.train
    info = init_distributed(config.device)
    try:
        if info.is_main:
            job.output.mkdir(parents=True, exist_ok=True)
        model_config = load_config(job.model_config)
        tokenizer = _tokenizer(job, info.is_main)
        resolve_max_len(model_config, tokenizer, job.pairs)
        torch.manual_seed(config.seed)  # same initial weights on every rank
        model = build_model(model_config, len(tokenizer), tokenizer.pad_token_id)
        check_tokenizer_matches(model, tokenizer)
        vision = model_config.vision
        size = vision.image_size
        norm = {"mean": vision.mean, "std": vision.std}
        train_data = PairsDataset(
            job.pairs,
            "train",
            build_transforms(size, True, hflip=job.hflip, **norm),
            seed=config.seed,
            shuffle_buffer=job.shuffle_buffer,
            balance_alpha=job.balance_alpha,
            drop_remainder=True,
            decode_size=size,
        )
        try:
            val_data = PairsDataset(
                job.pairs,
                "val",
                build_transforms(size, False, **norm),
                shuffle=False,
                rank=0,
                world_size=1,
                decode_size=size,
            )
        except ValueError as exc:
            logger.warning("no validation: %s", exc)
            val_data = None
        config = config.model_copy(update={"max_len": model_config.text.max_len})
        if config.checkpoint_dir:  # every input checked: only now touch the checkpoints
            check_tokenizer(config.checkpoint_dir, tokenizer, config.resume, info.is_main)
        result = train(model, tokenizer, train_data, val_data, config, metrics_logger)
        digests = weight_digests(result.model, info.world_size)
        if len(set(digests)) > 1:
            logger.error("ranks ended with different weights: %s", digests)
        if info.is_main:
            save_pretrained(result.model, model_config, job.output / "model")
            tokenizer.save_pretrained(str(job.output / "model"))
            summary = {
                "steps": result.steps,
                "epochs_completed": result.epochs_completed,
                "final_loss": result.final_loss,
                "history": result.history,
                "val_metrics": result.val_metrics,
                "world_size": info.world_size,
                "weights_sha256_per_rank": digests,
            }
            (job.output / SUMMARY).write_text(json.dumps(summary, indent=2), encoding="utf-8")
            logger.info("saved model to %s", job.output / "model")
        barrier()
    finally:
        cleanup_distributed()


def run_pretraining(job: PretrainJob, nproc: int | None = None) -> dict[str, Any]:
    """Run the job on every GPU of this machine (one process each), or in this process.

    Returns:
        The summary rank 0 wrote (``train_summary.json``).
    """
    launch(run_job, nproc, (job,))
    return json.loads((job.output / SUMMARY).read_text(encoding="utf-8"))
