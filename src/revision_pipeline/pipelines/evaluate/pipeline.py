"""Wiring of the ``evaluate`` pipeline."""

from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipelines.evaluate import nodes

PARAMS = "params:evaluate"


def create_pipeline(**kwargs) -> Pipeline:
    """Benchmarks through curate's crop, contamination check, scoring, cohorts, report.

    ``retina_clip`` (the latest version ``pretrain`` wrote) is the default model, which also
    makes the plain ``kedro run`` evaluate after pretraining; ``evaluate.model_dir`` names
    any other saved model folder.
    """
    return Pipeline(
        [
            Node(
                func=nodes.prepare_benchmarks,
                inputs=[PARAMS, "params:curate"],
                outputs=["evaluation_benchmarks", "evaluation_load_skips"],
                name="prepare_benchmarks",
            ),
            Node(
                func=nodes.check_contamination,
                inputs=["evaluation_benchmarks", "pairs", PARAMS],
                outputs="evaluation_contamination",
                name="check_contamination",
            ),
            Node(
                func=nodes.evaluate_benchmarks,
                inputs=["retina_clip", "evaluation_benchmarks", "evaluation_contamination", PARAMS],
                outputs="evaluation_results",
                name="evaluate_benchmarks",
            ),
            Node(
                func=nodes.evaluate_cohorts,
                inputs=["retina_clip", "pairs", PARAMS, "params:curate"],
                outputs="evaluation_cohorts",
                name="evaluate_cohorts",
            ),
            Node(
                func=nodes.report_evaluation,
                inputs=[
                    "evaluation_results",
                    "evaluation_cohorts",
                    "evaluation_contamination",
                    "evaluation_load_skips",
                    PARAMS,
                    "retina_clip",
                ],
                outputs=[
                    "evaluation_metrics",
                    "evaluation_metrics_mlflow",
                    "evaluation_report",
                    "evaluation_plots",
                    "evaluation_mlflow_metrics",
                ],
                name="report_evaluation",
            ),
        ]
    )
