"""The ``curate`` pipeline: archive -> de-identified, quality-checked, deduplicated pairs."""

from revision_pipeline.pipelines.curate.pipeline import create_pipeline

__all__ = ["create_pipeline"]
