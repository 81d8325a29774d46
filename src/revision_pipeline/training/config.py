"""Training hyper-parameters, importable without torch (the pipelines validate them at
start-up, before anything trains)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrainConfig(BaseModel):
    """Training hyper-parameters (unknown keys fail loudly).

    ``max_steps`` (optimiser steps), when set, takes precedence over ``epochs``.
    ``batch_size`` is per process and per micro-batch: the global batch of one step is
    ``batch_size × accumulation_steps × world_size``. ``pad_to``: ``longest`` pads each
    batch to its longest report (fastest), ``max_len`` to ``max_len`` (static shapes, for
    ``torch.compile``); ``auto`` is ``max_len`` when ``compile`` is on, else ``longest``.
    """

    model_config = ConfigDict(extra="forbid")

    epochs: int | None = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(5e-4, gt=0)
    weight_decay: float = Field(0.2, ge=0)
    warmup_steps: int = Field(500, ge=0)
    schedule: Literal["cosine", "constant"] = "cosine"
    min_lr_ratio: float = Field(0.0, ge=0, le=1)
    grad_clip: float | None = Field(1.0, ge=0)
    accumulation_steps: int = Field(1, ge=1)
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    compile: bool = False
    device: str = "auto"
    checkpoint_every: int = Field(1000, ge=0)
    checkpoint_dir: str | None = None
    keep_last: int = Field(3, ge=1)
    resume: bool = False
    seed: int = 0
    num_workers: int = Field(4, ge=0)
    log_every: int = Field(10, ge=1)
    local_loss: bool = True
    gather_with_grad: bool = True
    group_by: Literal["report", "labels", "none"] = "report"
    max_len: int = Field(128, ge=1)
    pad_to: Literal["auto", "longest", "max_len"] = "auto"
    eval_batch_size: int = Field(64, ge=1)
    progress: bool = True

    @model_validator(mode="after")
    def _length_given(self) -> TrainConfig:
        if self.epochs is None and self.max_steps is None:
            raise ValueError("set epochs or max_steps")
        if self.resume and not self.checkpoint_dir:
            raise ValueError("resume=True needs checkpoint_dir")
        return self
