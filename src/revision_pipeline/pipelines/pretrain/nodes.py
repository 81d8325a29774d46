"""Nodes of the ``pretrain`` pipeline (thin: the work lives in ``models`` and ``training``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revision_pipeline.training.config import TrainConfig

logger = logging.getLogger(__name__)


class TokenizerConfig(BaseModel):
    """Train a WordPiece tokenizer, or use a local pretrained model's tokenizer."""

    model_config = ConfigDict(extra="forbid")
    pretrained_dir: str | None = None
    vocab_size: int = Field(8000, ge=100)
    min_patients: int = Field(5, ge=1)  # a token must occur in this many patients' reports


class PretrainConfig(BaseModel):
    """``params:pretrain``, validated at start-up."""

    model_config = ConfigDict(extra="forbid")
    model: str = "demo-tiny"
    tokenizer: TokenizerConfig = TokenizerConfig()
    work_dir: str = "data/06_models/pretrain_run"
    nproc: int | None = Field(None, ge=1)
    hflip: bool = False
    shuffle_buffer: int = Field(2048, ge=1)
    balance_alpha: float | None = Field(None, ge=0, le=1)
    train: TrainConfig = TrainConfig()

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


def _root(pairs: ds.Dataset) -> Path:
    files = [Path(f) for f in pairs.files]
    if not files:
        raise ValueError("the pairs dataset is empty: run `kedro run --pipeline=curate` first")
    return Path(os.path.commonpath([f.parent for f in files]))


def build_tokenizer(pairs: ds.Dataset, params: dict[str, Any]) -> Path:
    """The tokenizer folder: a local pretrained one, or WordPiece trained on the train split.

    Either way the token length that keeps 95% of the train reports whole is logged and
    recorded in the folder; a model config with ``text.max_len: null`` trains with it.
    """
    from revision_pipeline.training.app import (  # torch: only when run
        prepare_tokenizer,
        record_report_length,
        train_reports,
    )

    config = PretrainConfig.model_validate(params)
    if config.tokenizer.pretrained_dir:
        from revision_pipeline.models import load_tokenizer

        source = Path(config.tokenizer.pretrained_dir)
        out = Path(config.work_dir) / "tokenizer"
        tokenizer = load_tokenizer(source)
        record_report_length(tokenizer, train_reports(_root(pairs)))
        tokenizer.save_pretrained(str(out))
        return out
    return prepare_tokenizer(
        _root(pairs),
        Path(config.work_dir) / "tokenizer",
        config.tokenizer.vocab_size,
        config.tokenizer.min_patients,
    )


def pretrain_model(
    pairs: ds.Dataset, tokenizer: Path, params: dict[str, Any]
) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """Contrastive pretraining on every GPU of the machine (or the CPU).

    Returns:
        The model folder (weights, config, tokenizer), the per-step and per-epoch
        metrics for MLflow, and a summary (steps, final loss, validation recall).
    """
    from revision_pipeline.training.app import PretrainJob, run_pretraining

    config = PretrainConfig.model_validate(params)
    work = Path(config.work_dir)
    train = config.train
    if train.checkpoint_dir is None:
        train = train.model_copy(update={"checkpoint_dir": str(work / "checkpoints")})
    job = PretrainJob(
        pairs=_root(pairs),
        output=work,
        model_config=config.model,
        train=train,
        tokenizer=Path(tokenizer),
        hflip=config.hflip,
        shuffle_buffer=config.shuffle_buffer,
        balance_alpha=config.balance_alpha,
    )
    summary = run_pretraining(job, config.nproc)
    metrics = history_to_metrics(summary["history"], summary["val_metrics"])
    brief = {k: v for k, v in summary.items() if k != "history"}
    brief["model"] = config.model
    if summary["val_metrics"]:
        # a random ranking of the distinct val reports finds the right one in the top 5 this often
        unique = summary["val_metrics"][-1].get("val/n_unique_reports", 0)
        brief["chance_i2t_R@5"] = min(1.0, 5 / unique) if unique else None
    return work / "model", metrics, brief


def history_to_metrics(
    history: list[dict[str, float]], validation: list[dict[str, float]]
) -> dict[str, Any]:
    """Per-step rows and per-epoch validation rows as MLflow metric histories."""
    metrics: dict[str, list[dict[str, float]]] = {}
    for row in history:
        step = int(row["step"])
        for key, value in row.items():
            if key != "step" and value is not None:
                metrics.setdefault(key, []).append({"value": float(value), "step": step})
    for epoch, row in enumerate(validation):
        for key, value in row.items():
            if key in ("epoch", "step"):
                continue
            name = key.replace("@", "_at_").replace("/", ".")
            metrics.setdefault(name, []).append(
                {"value": float(value), "step": int(row.get("epoch", epoch))}
            )
    return metrics
