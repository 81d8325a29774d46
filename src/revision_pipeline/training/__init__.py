"""Training application for the retinal CLIP model (kedro-free).

Streaming Parquet data (:mod:`.data`), the loop (:mod:`.loop`), validation retrieval
(:mod:`.evaluate`), checkpoints (:mod:`.checkpoint`) and torch.distributed set-up
(:mod:`.distributed`). Command line: ``python -m revision_pipeline.training --help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revision_pipeline._lazy import lazy_exports

# Lazy exports, as in revision_pipeline.models: ``TrainConfig`` (validated when any
# pipeline starts) must not pull in torch, so `kedro run --pipeline=curate` never loads it.
_EXPORTS = {
    "TrainConfig": "config",
    "PairCollator": "data",
    "PairsDataset": "data",
    "build_transforms": "data",
    "DistInfo": "distributed",
    "cleanup_distributed": "distributed",
    "init_distributed": "distributed",
    "launch": "distributed",
    "wrap_ddp": "distributed",
    "evaluate_retrieval": "evaluate",
    "recall_at_k": "evaluate",
    "LoggingMetricsLogger": "loop",
    "MetricsLogger": "loop",
    "TrainResult": "loop",
    "train": "loop",
}

if TYPE_CHECKING:
    from revision_pipeline.training.config import TrainConfig
    from revision_pipeline.training.data import PairCollator, PairsDataset, build_transforms
    from revision_pipeline.training.distributed import (
        DistInfo,
        cleanup_distributed,
        init_distributed,
        launch,
        wrap_ddp,
    )
    from revision_pipeline.training.evaluate import evaluate_retrieval, recall_at_k
    from revision_pipeline.training.loop import (
        LoggingMetricsLogger,
        MetricsLogger,
        TrainResult,
        train,
    )


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "DistInfo",
    "LoggingMetricsLogger",
    "MetricsLogger",
    "PairCollator",
    "PairsDataset",
    "TrainConfig",
    "TrainResult",
    "build_transforms",
    "cleanup_distributed",
    "evaluate_retrieval",
    "init_distributed",
    "launch",
    "recall_at_k",
    "train",
    "wrap_ddp",
]
