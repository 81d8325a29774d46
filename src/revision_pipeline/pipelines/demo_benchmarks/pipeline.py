"""Wiring of the ``demo_benchmarks`` pipeline (also part of ``demo_archive``)."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.demo_benchmarks.nodes import plan_demo_benchmarks


def create_pipeline(**kwargs) -> Pipeline:
    """Benchmark stand-ins in ``data/01_raw/benchmarks/<name>/``, each with ``_truth.csv``."""
    return Pipeline(
        [
            Node(
                func=plan_demo_benchmarks,
                inputs="params:demo_archive.benchmarks",
                outputs="demo_benchmarks",
                name="generate_demo_benchmarks",
            )
        ]
    )
