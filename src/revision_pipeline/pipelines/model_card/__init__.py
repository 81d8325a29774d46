"""The ``model_card`` pipeline: the model card from the runs' outputs, and the registry entry."""

from revision_pipeline.pipelines.model_card.pipeline import create_pipeline

__all__ = ["create_pipeline"]
