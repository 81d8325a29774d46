"""Every item found ends kept or rejected: the rejects table, the funnel, the run's counts."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from revision_pipeline.curation.funnel import (
    build_funnel,
    check_funnel,
    eye_disc_agreement,
    laterality_alerts,
    quality_alerts,
    reason_family,
)
from revision_pipeline.curation.schema import REJECT_COLUMNS

logger = logging.getLogger(__name__)


def item_kind(source: str, report_file: str) -> str:
    """``report`` for a row of the report file (``<report file>#<row>``), else ``image``
    (an image's own name may contain ``#`` too)."""
    return "report" if str(source).split("#", 1)[0] == report_file else "image"


def all_rejects(
    ingest_rejects: pd.DataFrame, decisions: pd.DataFrame, pair_index: pd.DataFrame
) -> pd.DataFrame:
    """Ingest rejects, photos rejected by the decisions, and kept photos left unpaired
    (``pairing`` stage, ``no_report_for_eye``), with a ``kind`` column."""
    rejected_photos = decisions[~decisions["kept"]].assign(kind="image")
    lost = decisions[decisions["kept"] & ~decisions["source"].isin(pair_index["source"])]
    lost = lost.assign(kind="image", stage="pairing", reason="no_report_for_eye")
    return pd.concat(
        [
            ingest_rejects,
            rejected_photos[[*REJECT_COLUMNS, "kind"]],
            lost[[*REJECT_COLUMNS, "kind"]],
        ],
        ignore_index=True,
    )


def account_for_items(
    ingest_rejects: pd.DataFrame,
    decisions: pd.DataFrame,
    pair_index: pd.DataFrame,
    inventory: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The rejects table, the funnel, and the counts logged to MLflow.

    Every image found ends kept or in the rejects table: checked here, so the run fails
    loudly rather than losing a photo silently. Logs the sites' quality and laterality
    alerts, and a warning when no pair is kept at all.

    Args:
        ingest_rejects: ``REJECT_COLUMNS`` plus ``kind``, from ingestion.
        decisions: from :func:`~revision_pipeline.curation.decisions.decide_photos`.
        pair_index: from :func:`~revision_pipeline.curation.pairing.pair_index`.
        inventory: ``institution_id, kind, n``: the items found.

    Returns:
        The rejects (``REJECT_COLUMNS``, as strings), the funnel, and the metrics
        (``{name: {"value": v, "step": 0}}``).
    """
    rejects = all_rejects(ingest_rejects, decisions, pair_index)
    found = inventory.loc[inventory.index.repeat(inventory["n"]), ["institution_id", "kind"]]
    funnel = build_funnel(found, rejects, pair_index)
    check_funnel(funnel, pair_index)
    photos = inventory[inventory["kind"] == "image"].groupby("institution_id")["n"].sum()
    alerts = quality_alerts(rejects, {str(k): int(v) for k, v in photos.items()})
    agreement = eye_disc_agreement(pair_index)
    eye_alerts = laterality_alerts(agreement)
    for alert in alerts + eye_alerts:
        logger.warning(alert)
    if pair_index.empty:
        logger.warning(nothing_kept(inventory, rejects))
    metrics = curation_metrics(inventory, rejects, pair_index)
    metrics["quality_alerts"] = {"value": float(len(alerts)), "step": 0}
    metrics["laterality_alerts"] = {"value": float(len(eye_alerts)), "step": 0}
    judged = int(agreement["judged"].sum())
    if judged:
        share = int(agreement["contradicted"].sum()) / judged
        metrics["eye_disc_contradiction_rate"] = {"value": share, "step": 0}
    return rejects[list(REJECT_COLUMNS)].astype(str), funnel, metrics


def nothing_kept(inventory: pd.DataFrame, rejects: pd.DataFrame) -> str:
    """The warning for a run that kept no pair: how many photos, rejected at which stage."""
    images = int(inventory.loc[inventory["kind"] == "image", "n"].sum())
    stages = rejects.loc[rejects["kind"] == "image", "stage"].value_counts()
    counts = ", ".join(f"{stage} {n}" for stage, n in stages.items()) or "none"
    return (
        f"No pair kept: all {images} photos found were rejected (by stage: {counts}). The "
        "pairs are empty; the rejects table (data/02_intermediate/rejects.parquet) gives each "
        "photo's reason. Too strict curate.quality thresholds in parameters_curate.yml reject "
        "every photo at the quality stage."
    )


def curation_metrics(
    inventory: pd.DataFrame, rejects: pd.DataFrame, pairs: pd.DataFrame
) -> dict[str, Any]:
    """Items found and kept, the kept rate, image rejections per stage and per reason
    family, pairs per split (MLflow metrics at step 0)."""
    images = int(inventory.loc[inventory["kind"] == "image", "n"].sum())
    reports = int(inventory.loc[inventory["kind"] == "report", "n"].sum())
    values: dict[str, float] = {
        "images_found": images,
        "report_rows_found": reports,
        "pairs_kept": len(pairs),
        "images_kept_rate": len(pairs) / images if images else 0.0,
        "institutions": int(inventory["institution_id"].nunique()),
    }
    image_rejects = rejects[rejects["kind"] == "image"]
    for stage, count in image_rejects["stage"].value_counts().items():
        values[f"images_rejected_{stage}"] = int(count)
    for family, count in image_rejects["reason"].map(reason_family).value_counts().items():
        values[f"images_rejected_reason/{family}"] = int(count)  # MLflow names allow '/'
    for split, count in pairs["split"].value_counts().items():
        values[f"pairs_{split}"] = int(count)
    return {k: {"value": float(v), "step": 0} for k, v in values.items()}
