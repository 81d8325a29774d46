"""The ``demo_benchmarks`` pipeline: synthetic stand-ins for public benchmarks."""

from revision_pipeline.pipelines.demo_benchmarks.pipeline import create_pipeline

__all__ = ["create_pipeline"]
