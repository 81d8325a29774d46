"""Wiring of the ``pretrain`` pipeline."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.pretrain import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Tokenizer, then contrastive pretraining of RetinaCLIP on the curated pairs."""
    return Pipeline(
        [
            Node(
                func=nodes.build_tokenizer,
                inputs=["pairs", "params:pretrain"],
                outputs="tokenizer",
                name="build_tokenizer",
            ),
            Node(
                func=nodes.pretrain_model,
                inputs=["pairs", "tokenizer", "params:pretrain"],
                outputs=["retina_clip", "pretrain_metrics", "pretrain_summary"],
                name="pretrain_model",
            ),
        ]
    )
