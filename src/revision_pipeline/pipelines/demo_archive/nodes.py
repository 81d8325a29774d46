"""Nodes of the ``demo_archive`` pipeline (thin: the work lives in ``revision_pipeline.synth``)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.export import SyntheticArchive
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.truth import exams_truth, images_truth, phi_truth


def plan_demo_archive(
    params: dict[str, Any],
) -> tuple[SyntheticArchive, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plan the synthetic archive and its ground truth.

    Args:
        params: ``params:demo_archive`` (validated by ``DemoArchiveConfig``).

    Returns:
        The archive (rendered and written when the catalog saves it), and the truth
        tables for images, exams and planted PHI.
    """
    config = DemoArchiveConfig.model_validate(params)
    plan = plan_archive(config)
    return (
        SyntheticArchive(plan, workers=config.workers),
        images_truth(plan),
        exams_truth(plan),
        phi_truth(plan),
    )
