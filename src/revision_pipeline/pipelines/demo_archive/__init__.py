"""The ``demo_archive`` pipeline: a synthetic telemedicine archive to test everything on."""

from revision_pipeline.pipelines.demo_archive.pipeline import create_pipeline

__all__ = ["create_pipeline"]
