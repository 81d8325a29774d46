"""Wiring of the ``curate`` pipeline."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.curate import nodes

PARAMS = "params:curate"


def create_pipeline(**kwargs) -> Pipeline:
    """Ingest, de-identify, judge photo quality, deduplicate, pair, account, audit."""
    return Pipeline(
        [
            Node(
                func=nodes.ingest_archive,
                inputs=["archive", "institutions"],
                outputs=["matched_images", "exam_reports", "ingest_rejects", "archive_inventory"],
                name="ingest_archive",
            ),
            Node(
                func=nodes.assess_photos,
                inputs=["matched_images", "archive", PARAMS],
                outputs="photo_quality",
                name="assess_photos",
            ),
            Node(
                func=nodes.decide_photos,
                inputs=["photo_quality", PARAMS],
                outputs="photo_decisions",
                name="decide_photos",
            ),
            Node(
                func=nodes.deidentify_reports,
                inputs=["exam_reports", "pseudonym_secret", PARAMS],
                outputs=["deidentified_exams", "archive_identifiers"],
                name="deidentify_reports",
            ),
            Node(
                func=nodes.build_pairs,
                inputs=[
                    "matched_images",
                    "photo_decisions",
                    "deidentified_exams",
                    "pseudonym_secret",
                    PARAMS,
                ],
                outputs=["pairs", "pair_index"],
                name="build_pairs",
            ),
            Node(
                func=nodes.account_for_items,
                inputs=["ingest_rejects", "photo_decisions", "pair_index", "archive_inventory"],
                outputs=["rejects", "curation_funnel", "curation_metrics"],
                name="account_for_items",
            ),
            Node(
                func=nodes.plot_funnel,
                inputs="curation_funnel",
                outputs=["curation_funnel_plot", "curation_funnel_plots"],
                name="plot_funnel",
            ),
            Node(
                func=nodes.find_suspected_names,
                inputs=["deidentified_exams", "archive_identifiers"],
                outputs=["suspected_names", "suspected_name_metrics"],
                name="find_suspected_names",
            ),
            Node(
                func=nodes.audit_curated,
                inputs=[
                    "archive_identifiers",
                    "demo_truth_phi_optional",
                    "suspected_names",
                    PARAMS,
                    # read last: the audit must run after everything it scans is written
                    "pairs",
                    "curation_funnel",
                    "curation_funnel_plot",
                    "curation_funnel_plots",
                ],
                outputs="phi_audit",
                name="audit_phi",
            ),
        ]
    )
