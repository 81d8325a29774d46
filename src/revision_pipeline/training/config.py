"""Training hyper-parameters and the pretrain pipeline's parameters, importable without
torch (the pipelines validate them at start-up, before anything trains)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revision_pipeline.deid.phi_audit import AuditConfig


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


class TokenizerConfig(BaseModel):
    """Train a WordPiece tokenizer, or use a local pretrained model's tokenizer."""

    model_config = ConfigDict(extra="forbid")
    pretrained_dir: str | None = None
    vocab_size: int = Field(8000, ge=100)
    min_patients: int = Field(5, ge=1)  # a token must occur in this many patients' reports


class PretrainConfig(BaseModel):
    """``params:pretrain`` (the pretrain pipeline), validated at start-up.

    ``audit``: the PHI audit after pretraining, over what it wrote (the tokenizer's
    vocabulary and the model included); its own paths, not curate's.
    """

    model_config = ConfigDict(extra="forbid")
    model: str = "demo-tiny"
    tokenizer: TokenizerConfig = TokenizerConfig()
    work_dir: str = "data/06_models/pretrain_run"
    nproc: int | None = Field(None, ge=1)
    hflip: bool = False
    shuffle_buffer: int = Field(2048, ge=1)
    balance_alpha: float | None = Field(None, ge=0, le=1)
    train: TrainConfig = TrainConfig()
    audit: AuditConfig = AuditConfig()

    @model_validator(mode="before")
    @classmethod
    def _checkpoints_in_work_dir(cls, data: Any) -> Any:
        """``train.checkpoint_dir`` defaults to ``<work_dir>/checkpoints``, so that
        ``--params=pretrain.train.resume=true`` alone resumes (the library's own
        :class:`TrainConfig` refuses ``resume`` without a folder)."""
        if isinstance(data, dict) and isinstance(data.get("train"), dict):
            train = data["train"]
            if train.get("checkpoint_dir") is None:
                work = data.get("work_dir") or cls.model_fields["work_dir"].default
                train = {**train, "checkpoint_dir": str(Path(work) / "checkpoints")}
                data = {**data, "train": train}
        return data

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from revision_pipeline.models import list_configs

        if value not in list_configs() and not Path(value).is_file():
            raise ValueError(
                f"unknown model config {value!r}; expected one of {list_configs()} or a JSON path"
            )
        return value
