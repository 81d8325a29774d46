"""Nodes of the ``export`` pipeline (thin: the work lives in ``revision_pipeline.deploy``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from revision_pipeline.deploy.config import ExportConfig

logger = logging.getLogger(__name__)


def export_screening_model(
    model: Path | None, params: dict[str, Any], curate: dict[str, Any]
) -> Path:
    """Export the model for CPU screening with curate's crop and quality thresholds.

    Returns:
        The export folder (staged in ``export.work_dir``; the catalog versions it).
    """
    from revision_pipeline.deploy.export import export_screening
    from revision_pipeline.evaluation.features import choose_model_dir

    config = ExportConfig.model_validate(params)
    model_dir = choose_model_dir(model, config.model_dir, "export.model_dir")
    out = Path(config.work_dir) / "screening"
    manifest = export_screening(
        model_dir,
        out,
        crop_side=int(curate.get("image_side", 512)),
        jpeg_quality=int(curate.get("jpeg_quality", 90)),
        quality_thresholds=dict(curate.get("quality") or {}),
        prompts=config.prompts,
        opset=config.opset,
        int8=config.int8,
        tolerance=config.tolerance,
    )
    logger.info(
        "screening export of %s: %s",
        manifest["model_id"],
        ", ".join(f"{k} {v['bytes'] / 1e6:.1f} MB" for k, v in manifest["files"].items()),
    )
    return out
