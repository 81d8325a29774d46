"""Wiring of the ``demo_archive`` pipeline."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.demo_archive.nodes import plan_demo_archive
from revision_pipeline.pipelines.demo_benchmarks import create_pipeline as demo_benchmarks


def create_pipeline(**kwargs) -> Pipeline:
    """Synthetic archive in ``data/01_raw/archive``, its truth in ``data/01_raw/demo_truth``.

    Also the benchmark stand-ins (the ``demo_benchmarks`` pipeline) in
    ``data/01_raw/benchmarks``.
    """
    archive = Pipeline(
        [
            Node(
                func=plan_demo_archive,
                inputs="params:demo_archive",
                outputs=["archive", "demo_truth_images", "demo_truth_exams", "demo_truth_phi"],
                name="generate_demo_archive",
            )
        ]
    )
    return archive + demo_benchmarks()
