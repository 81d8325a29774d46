"""Training application for the retinal CLIP model (kedro-free).

Streaming Parquet data (:mod:`.data`), the loop (:mod:`.loop`), validation retrieval
(:mod:`.evaluate`), checkpoints (:mod:`.checkpoint`) and torch.distributed set-up
(:mod:`.distributed`). Command line: ``python -m revision_pipeline.training --help``.
"""

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
    TrainConfig,
    TrainResult,
    train,
)

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
