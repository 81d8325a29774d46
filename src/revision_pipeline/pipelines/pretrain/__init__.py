"""The ``pretrain`` pipeline: curated pairs -> tokenizer and RetinaCLIP model."""

from revision_pipeline.pipelines.pretrain.pipeline import create_pipeline

__all__ = ["create_pipeline"]
