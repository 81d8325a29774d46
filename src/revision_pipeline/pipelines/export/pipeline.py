"""Wiring of the ``export`` pipeline (not part of the plain ``kedro run``)."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.export import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The latest ``retina_clip`` (or ``export.model_dir``) -> ``screening_model``.

    The export folder (ONNX image tower fp32 and INT8, finding prototypes, preprocessing,
    manifest) is what ``python -m revision_pipeline.screen`` reads; docs/deployment.md.
    """
    return Pipeline(
        [
            Node(
                func=nodes.export_screening_model,
                inputs=["retina_clip", "params:export", "params:curate"],
                outputs="screening_model",
                name="export_screening_model",
            ),
        ]
    )
