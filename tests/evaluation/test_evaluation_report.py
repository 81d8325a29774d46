"""The Markdown report: every table, intervals, baselines, low classes explained."""

from __future__ import annotations

import pandas as pd

from revision_pipeline.evaluation.report import build_report
from revision_pipeline.evaluation.zero_shot import METRIC_COLUMNS, mean_auroc, metric_row


def _metrics() -> pd.DataFrame:
    rows = [
        metric_row(
            section="zero_shot",
            benchmark="aptos",
            metric="auroc",
            value=0.9,
            ci_low=0.85,
            ci_high=0.94,
            n=80,
        ),
        metric_row(
            section="zero_shot",
            benchmark="aptos",
            model="random_init",
            metric="auroc",
            value=0.51,
            n=80,
        ),
        metric_row(
            section="zero_shot", benchmark="aptos", model="chance", metric="auroc", value=0.5, n=80
        ),
        metric_row(section="zero_shot", benchmark="aptos", metric="kappa", value=0.6, n=80),
        metric_row(
            section="zero_shot", benchmark="aptos", metric="auroc_class", label="1", value=0.62, n=9
        ),
        metric_row(
            section="zero_shot",
            benchmark="odir",
            metric="auroc",
            value=0.8,
            ci_low=0.7,
            ci_high=0.88,
            n=50,
        ),
        metric_row(
            section="cohort",
            benchmark="test_split",
            metric="auroc",
            value=0.93,
            ci_low=0.9,
            ci_high=0.95,
            n=200,
        ),
        metric_row(
            section="cohort",
            benchmark="test_split",
            metric="auroc_finding",
            label="dr1",
            value=0.7,
            n=12,
        ),
        metric_row(
            section="retrieval",
            benchmark="test_split",
            metric="i2t_R@5",
            value=0.4,
            ci_low=0.35,
            ci_high=0.45,
            n=200,
        ),
    ]
    for model, base in (("trained", 0.8), ("random_init", 0.55)):
        for shots in (1, 16, -1):
            for seed in range(3):
                rows.append(
                    metric_row(
                        section="linear_probe",
                        benchmark="aptos",
                        model=model,
                        metric="auroc",
                        shots=shots,
                        seed=seed,
                        value=base + 0.01 * seed,
                        trainable_params=645,
                    )
                )
    rows.append(
        metric_row(
            section="lora",
            benchmark="aptos",
            metric="auroc",
            shots=-1,
            seed=0,
            value=0.91,
            trainable_params=9000,
        )
    )
    return pd.DataFrame(rows, columns=list(METRIC_COLUMNS))


def test_report_has_every_table_and_explains_low_classes() -> None:
    metrics = _metrics()
    counts = {
        "aptos": {"task": "single", "photos": 200, "test": 80, "contaminated": 1, "split": "seeded"}
    }
    contamination = pd.DataFrame(
        {"benchmark": ["aptos"], "image_path": ["/x.png"], "match": ["crop"], "pair_id": ["p1"]}
    )
    skips = [{"benchmark": "eyepacs", "task": "all", "reason": "not found: /data/eyepacs"}]
    report = build_report(metrics, counts, skips, contamination, {"model": "m"})
    assert "0.900 [0.850, 0.940]" in report  # AUROC with its interval
    assert "| **mean** |  |  | 0.850 |" in report
    assert "aptos/1 (0.62)" in report and "resolution" in report
    assert "0.810 ± 0.010" in report  # probe mean ± sd over seeds
    assert "| yes |" in report  # trained beats random init at 16 shots
    assert "not found: /data/eyepacs" in report
    assert "i2t_R@5" in report and "0.400 [0.350, 0.450]" in report
    assert "| lora | all | 0.910 | 9000 |" in report
    assert abs(mean_auroc(metrics) - 0.85) < 1e-9
