"""Wiring of the ``pretrain`` pipeline."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.pretrain import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Tokenizer, contrastive pretraining of RetinaCLIP, then the PHI audit again.

    The audit (``deid.phi_audit``, with ``pretrain.audit``'s own paths) reuses the
    archive's identifiers that ``curate`` kept inside the boundary
    (``archive_identifiers``), so it needs a curate run first, as the pairs do.
    """
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
            Node(
                func=nodes.audit_after_pretraining,
                inputs=[
                    "archive_identifiers",
                    "demo_truth_phi_optional",
                    "params:pretrain",
                    # read last: the tokenizer vocabulary and the model are audited too
                    "tokenizer",
                    "retina_clip",
                    "pretrain_summary",
                ],
                outputs="phi_audit_pretrain",
                name="audit_phi_after_pretraining",
            ),
        ]
    )
