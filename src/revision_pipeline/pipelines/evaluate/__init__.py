"""The ``evaluate`` pipeline: a model -> zero-shot, cohorts, adaptation, baselines, report."""

from revision_pipeline.pipelines.evaluate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
