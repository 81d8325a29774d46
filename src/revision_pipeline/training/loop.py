"""The contrastive pretraining loop: config, metrics, checkpoints, resume, validation."""

from __future__ import annotations

import functools
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from revision_pipeline.training import checkpoint as ckpt
from revision_pipeline.training.config import TrainConfig
from revision_pipeline.training.data import PairCollator
from revision_pipeline.training.distributed import DistInfo, barrier, wrap_ddp
from revision_pipeline.training.evaluate import evaluate_retrieval
from revision_pipeline.training.optim import build_optimizer, build_scheduler
from revision_pipeline.training.step import StepRunner, resolve_precision

logger = logging.getLogger(__name__)


@runtime_checkable
class MetricsLogger(Protocol):
    """Receives metrics (the pretrain node forwards them to MLflow)."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Record ``metrics`` at optimiser step ``step``."""


class LoggingMetricsLogger:
    """Default :class:`MetricsLogger`: one ``logging`` line per call."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Log ``metrics`` at INFO."""
        text = " ".join(f"{k}={v:.4g}" for k, v in metrics.items())
        logger.info("step %d %s", step, text)


@dataclass
class TrainResult:
    """What :func:`train` returns (``model`` is the bare, unwrapped model)."""

    model: nn.Module
    steps: int
    epochs_completed: int
    final_loss: float | None
    history: list[dict[str, float]] = field(default_factory=list)
    val_metrics: list[dict[str, float]] = field(default_factory=list)
    last_checkpoint: Path | None = None


def _dist_info(device: str) -> DistInfo:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), dist.get_world_size(), dev.index or 0, dev)
    return DistInfo(device=dev)


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _batches_per_epoch(data: Any, config: TrainConfig) -> int | None:
    if hasattr(data, "batches_per_epoch"):
        return int(data.batches_per_epoch(config.batch_size, config.num_workers))
    if hasattr(data, "__len__"):
        return len(data) // config.batch_size
    return None


def static_shapes(config: TrainConfig) -> bool:
    """Whether batches are padded to ``max_len`` (``pad_to``; ``auto``: under compile)."""
    return config.pad_to == "max_len" or (config.pad_to == "auto" and config.compile)


def text_encoder(config: TrainConfig) -> Callable[..., dict[str, torch.Tensor]]:
    """``models.encode_batch`` padding as ``config.pad_to`` says (see :func:`static_shapes`)."""
    from revision_pipeline.models import encode_batch

    return functools.partial(encode_batch, pad_to_max=static_shapes(config))


def _default_loss(config: TrainConfig, info: DistInfo) -> Callable[..., Any]:
    from revision_pipeline.models import ClipLoss

    return ClipLoss(config.local_loss, config.gather_with_grad, info.rank, info.world_size)


class _Trainer:
    """State of one :func:`train` call, split into helpers."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        train_data: Any,
        val_data: Any | None,
        config: TrainConfig,
        metrics: MetricsLogger | None,
        **fns: Callable[..., Any] | None,
    ) -> None:
        self.config, self.train_data, self.val_data, self.tokenizer = (
            config,
            train_data,
            val_data,
            tokenizer,
        )
        self.metrics = metrics or LoggingMetricsLogger()
        self.info = _dist_info(config.device)
        self.encode_fn = fns.get("encode_fn") or text_encoder(config)
        self.group_fn = fns.get("group_fn")
        seed_everything(config.seed + self.info.rank)
        self.bare = model.to(self.info.device)
        wrapped = wrap_ddp(self.bare, self.info)
        self.model = torch.compile(wrapped) if config.compile else wrapped
        self.optimizer = build_optimizer(self.bare, config.lr, config.weight_decay)
        bpe = _batches_per_epoch(train_data, config)
        self.steps_per_epoch = None if bpe is None else bpe // config.accumulation_steps
        if self.steps_per_epoch == 0:
            raise ValueError(
                f"training data gives {bpe} full batches of {config.batch_size} per rank and "
                f"epoch, fewer than accumulation_steps={config.accumulation_steps}: "
                "lower batch_size or add data"
            )
        if config.max_steps is not None:
            self.total_steps = config.max_steps
        elif self.steps_per_epoch is None:
            raise ValueError("training data has no length: set max_steps")
        else:
            self.total_steps = config.epochs * self.steps_per_epoch
        self.scheduler = build_scheduler(
            self.optimizer,
            config.warmup_steps,
            self.total_steps,
            config.schedule,
            config.min_lr_ratio,
        )
        loss_fn = fns.get("loss_fn") or _default_loss(config, self.info)
        self.runner = StepRunner(
            self.model,
            self.bare,
            self.optimizer,
            self.scheduler,
            loss_fn,
            self.info.device,
            config.precision,
            config.grad_clip,
        )
        self.collate = PairCollator(
            tokenizer, config.max_len, config.group_by, self.encode_fn, self.group_fn
        )
        self.step, self.epoch, self.batches_seen = 0, 0, 0
        self._saved_step = -1
        self.result = TrainResult(model=self.bare, steps=0, epochs_completed=0, final_loss=None)

    # ------------------------------------------------------------ checkpoints
    def _state(self) -> dict[str, Any]:
        rng = ckpt.rng_state()
        rngs = [rng]
        if self.info.distributed:
            rngs = [None] * self.info.world_size
            dist.all_gather_object(rngs, rng)
        b = self.config.batch_size
        return {
            "model": self.bare.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.runner.scaler.state_dict(),
            "rng": rngs,
            "step": self.step,
            "epoch": self.epoch,
            "data_position": {
                "epoch": self.epoch,
                "samples_seen": self.batches_seen * b,
                "batch_size": b,
                "num_workers": self.config.num_workers,
                "world_size": self.info.world_size,
            },
            "history": self.result.history,
            "val_metrics": self.result.val_metrics,
            "final_loss": self.result.final_loss,
            "config": self.config.model_dump(),
        }

    def save(self) -> None:
        if not self.config.checkpoint_dir:
            return
        state = self._state()  # collective when distributed: every rank calls it
        self._saved_step = self.step
        if self.info.is_main:
            self.result.last_checkpoint = ckpt.save_checkpoint(
                state, self.config.checkpoint_dir, self.step, self.config.keep_last
            )
        barrier()

    def maybe_resume(self) -> None:
        if not self.config.resume:
            if self.config.checkpoint_dir and self.info.is_main:
                ckpt.set_aside(self.config.checkpoint_dir)  # never mixed with this run's
            barrier()
            return
        path = ckpt.latest_checkpoint(self.config.checkpoint_dir)
        if path is None:
            logger.info("resume: no checkpoint in %s, starting fresh", self.config.checkpoint_dir)
            return
        state = ckpt.load_checkpoint(path)
        pos = state["data_position"]
        now = (self.config.batch_size, self.config.num_workers, self.info.world_size)
        if (pos["batch_size"], pos["num_workers"], pos["world_size"]) != now:
            logger.warning(
                "%s was written with batch_size/num_workers/world_size %s, now %s: "
                "the resumed data order differs from an uninterrupted run",
                path,
                (pos["batch_size"], pos["num_workers"], pos["world_size"]),
                now,
            )
        self.bare.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.runner.scaler.load_state_dict(state["scaler"])
        rngs = state["rng"]
        ckpt.set_rng_state(rngs[self.info.rank] if len(rngs) == self.info.world_size else rngs[0])
        self.step, self.epoch = state["step"], pos["epoch"]
        self._saved_step = self.step
        self.batches_seen = pos["samples_seen"] // self.config.batch_size
        self.result.history = list(state.get("history", []))
        self.result.val_metrics = list(state.get("val_metrics", []))
        self.result.final_loss = state.get("final_loss")  # a run resumed at its end trains no step
        self.result.last_checkpoint = path
        logger.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)

    # ------------------------------------------------------------ data
    def _batches(self) -> Iterator[dict[str, Any]]:
        data, b = self.train_data, self.config.batch_size
        if hasattr(data, "set_position"):
            data.set_position(self.epoch, self.batches_seen * b, b)
        elif hasattr(data, "set_epoch"):
            data.set_epoch(self.epoch)
        loader = DataLoader(
            data,
            batch_size=b,
            num_workers=self.config.num_workers,
            collate_fn=self.collate,
            drop_last=True,
            pin_memory=self.info.device.type == "cuda",
            generator=torch.Generator().manual_seed(self.config.seed + self.epoch),
        )
        return iter(loader)

    # ------------------------------------------------------------ loop
    def _epoch_finished(self) -> bool:
        accum = self.config.accumulation_steps
        return self.steps_per_epoch is not None and (
            self.batches_seen >= self.steps_per_epoch * accum
        )

    def run(self) -> TrainResult:
        self.maybe_resume()
        cfg, accum = self.config, self.config.accumulation_steps
        if self._epoch_finished():
            # resumed from a checkpoint written at an epoch's last step, before that epoch's
            # validation ran: finish the epoch as an uninterrupted run would have (when that
            # was the last step, the loop below does not run at all)
            self._end_epoch()
        show = cfg.progress and self.info.is_main and sys.stderr.isatty()
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not show, desc="train")
        world_images = cfg.batch_size * accum * self.info.world_size
        t_log, steps_since = time.perf_counter(), 0
        while self.step < self.total_steps:
            batches = self._batches()
            epoch_done = False
            while self.step < self.total_steps:
                if self._epoch_finished():
                    epoch_done = True
                    break
                micro = [b for b in (next(batches, None) for _ in range(accum)) if b is not None]
                if len(micro) < accum:  # data without a known length ran out
                    epoch_done = True
                    break
                lr = self.optimizer.param_groups[0]["lr"]  # the LR this step uses
                out = self.runner(micro)
                self.step += 1
                self.batches_seen += accum
                steps_since += 1
                self.result.final_loss = out["loss"]
                bar.update(1)
                bar.set_postfix(loss=f"{out['loss']:.3f}")
                if self.step % cfg.log_every == 0 or self.step == self.total_steps:
                    dt = time.perf_counter() - t_log
                    row = {
                        "loss": out["loss"],
                        "lr": lr,
                        "temperature": 1.0 / out["logit_scale"],
                        "grad_norm": out["grad_norm"],
                        "images_per_s": world_images * steps_since / max(dt, 1e-9),
                        "epoch": self.epoch,
                    }
                    self._log(row)
                    t_log, steps_since = time.perf_counter(), 0
                if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                    self.save()
            del batches
            epoch_done = epoch_done or self._epoch_finished()
            if epoch_done:
                self._end_epoch()
        bar.close()
        if cfg.checkpoint_dir and self._saved_step != self.step:
            self.save()  # the same decision on every rank (save() is collective)
        self.result.steps = self.step
        self.result.epochs_completed = self.epoch
        return self.result

    def _log(self, row: dict[str, float]) -> None:
        if not self.info.is_main:
            return
        self.result.history.append({"step": self.step, **row})
        self.metrics.log_metrics(row, self.step)

    def _end_epoch(self) -> None:
        if self.val_data is not None:
            if self.info.is_main:
                metrics = evaluate_retrieval(
                    self.bare,
                    self.val_data,
                    self.tokenizer,
                    max_len=self.config.max_len,
                    batch_size=self.config.eval_batch_size,
                    device=self.info.device,
                    precision=resolve_precision(self.config.precision, self.info.device),
                    encode_fn=self.encode_fn,
                )
                row = {f"val/{k}": v for k, v in metrics.items()} | {"epoch": self.epoch}
                self.result.val_metrics.append(row)
                self.metrics.log_metrics(row, self.step)
            barrier()
        self.epoch += 1
        self.batches_seen = 0


def train(
    model: nn.Module,
    tokenizer: Any,
    train_data: Any,
    val_data: Any | None,
    config: TrainConfig,
    metrics_logger: MetricsLogger | None = None,
    *,
    loss_fn: Callable[..., Any] | None = None,
    encode_fn: Callable[..., dict[str, torch.Tensor]] | None = None,
    group_fn: Callable[[list[str]], Any] | None = None,
) -> TrainResult:
    """Train ``model`` contrastively on ``train_data``.

    Under torchrun, call :func:`~revision_pipeline.training.distributed.init_distributed`
    first: the model is then wrapped in DDP and every rank reads its own shard.

    Args:
        model: A model ``(images, input_ids, attention_mask) -> {image_features,
            text_features, logit_scale}``; it is moved to the device and trained in place.
        tokenizer: Tokenizer for the reports.
        train_data: A :class:`~revision_pipeline.training.data.PairsDataset` (train
            transforms, ``drop_remainder=True``) or any dataset of samples.
        val_data: Samples for per-epoch retrieval recall (rank 0), or ``None``.
        config: Hyper-parameters.
        metrics_logger: Receives per-step and validation metrics (rank 0 only);
            default: :class:`LoggingMetricsLogger`.
        loss_fn: Default ``models.ClipLoss(local_loss, gather_with_grad, rank, world)``.
        encode_fn: Default ``models.encode_batch``, padded as ``config.pad_to`` says.
        group_fn: Default ``models.group_ids_from_texts``.

    Returns:
        A :class:`TrainResult`; with ``checkpoint_dir`` set, the final state is saved.
    """
    trainer = _Trainer(
        model,
        tokenizer,
        train_data,
        val_data,
        config,
        metrics_logger,
        loss_fn=loss_fn,
        encode_fn=encode_fn,
        group_fn=group_fn,
    )
    return trainer.run()
