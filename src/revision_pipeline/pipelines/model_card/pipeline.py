"""Wiring of the ``model_card`` pipeline (not part of the plain ``kedro run``)."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.model_card import nodes

PARAMS = "params:model_card"


def create_pipeline(**kwargs) -> Pipeline:
    """The card from curate's, pretrain's and evaluate's outputs; then the registry entry.

    Reads the latest ``retina_clip`` and evaluation versions; run it after ``kedro run``.
    """
    return Pipeline(
        [
            Node(
                func=nodes.write_model_card,
                inputs=[
                    "retina_clip",
                    "curation_funnel",
                    "pretrain_summary",
                    "evaluation_metrics",
                    "phi_audit",
                    "phi_audit_pretrain",
                    "suspected_names",
                    PARAMS,
                ],
                outputs=["model_card", "model_card_curves"],
                name="write_model_card",
            ),
            Node(
                func=nodes.register_model,
                inputs=["retina_clip", "model_card", "model_card_curves", PARAMS, "params:curate"],
                outputs="model_registration",
                name="register_model_with_card",
            ),
        ]
    )
