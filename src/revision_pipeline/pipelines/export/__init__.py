"""The ``export`` pipeline: a trained model -> ONNX image tower and prototypes for screening."""

from revision_pipeline.pipelines.export.pipeline import create_pipeline

__all__ = ["create_pipeline"]
