"""Which photos curate keeps: rejected at the ``read``, ``quality`` or ``dedup`` stage."""

from __future__ import annotations

import json
import logging
import math

import pandas as pd

from revision_pipeline.curation.dedup import choose_keepers, duplicate_groups
from revision_pipeline.curation.images import crop_problems, phash_values

logger = logging.getLogger(__name__)


def disc_offset(metrics: str) -> float:
    """The optic disc's horizontal offset recorded in a photo's metrics (JSON).

    NaN for an unreadable photo, or one cached before disc offsets were measured.
    """
    return float(json.loads(metrics).get("disc_offset", math.nan)) if metrics else math.nan


def _first_reasons(photos: pd.DataFrame, crop_problem: pd.Series) -> pd.Series:
    """Why an unreadable photo was not read: its crop's problem, or the quality reasons."""
    return (
        photos["reasons"]
        .map(lambda r: "; ".join(r) if len(r) else "unreadable: no field of view")
        .where(crop_problem.eq(""), "unreadable: " + crop_problem)
    )


def decide_photos(
    photos: pd.DataFrame,
    image_side: int,
    max_distance: int = 8,
    min_correlation: float = 0.9,
) -> pd.DataFrame:
    """Per photo: kept, or rejected at the ``read``, ``quality`` or ``dedup`` stage.

    Deduplication runs over the readable photos of the whole archive; the copy kept is
    the best-scored one, and the others are rejected naming it (``duplicate_of: <source>``).
    The pairs carry the cached crops' bytes: a crop changed, truncated or lost since it
    was written is rejected as unreadable, never copied into the pairs.

    Args:
        photos: from :func:`~revision_pipeline.curation.images.process_images`, with
            ``institution_id``.
        image_side: the side the cached crops must have.
        max_distance: perceptual-hash bits two copies differ by at most.
        min_correlation: vessel-signature correlation that confirms a near duplicate.

    Returns:
        ``institution_id, source, quality_score, crop_path, disc_offset, stage, reason,
        kept`` in the photos' order; ``stage`` and ``reason`` are empty for a kept photo.
    """
    decisions = photos[["institution_id", "source", "quality_score", "crop_path"]].copy()
    decisions["disc_offset"] = photos["metrics"].map(disc_offset)
    decisions["stage"], decisions["reason"] = "", ""
    crop_problem = crop_problems(photos, image_side)
    if crop_problem.ne("").any():
        logger.warning("%d cached crops failed verification", int(crop_problem.ne("").sum()))
    unreadable = photos["crop_path"].eq("") | photos["sha256"].eq("") | crop_problem.ne("")
    decisions.loc[unreadable, "stage"] = "read"
    decisions.loc[unreadable, "reason"] = _first_reasons(photos, crop_problem)[unreadable]
    failed = ~unreadable & ~photos["passed"].astype(bool)
    decisions.loc[failed, "stage"] = "quality"
    decisions.loc[failed, "reason"] = "quality: " + photos.loc[failed, "reasons"].map("; ".join)
    readable = photos[~unreadable]
    groups = duplicate_groups(
        readable["sha256"].tolist(), phash_values(readable["phash"]), max_distance,
        readable["signature"].tolist(), min_correlation,
    )  # fmt: skip
    keepers = choose_keepers(readable, groups)
    duplicate = keepers.ne(readable["source"])
    dup_index = readable.index[duplicate.to_numpy()]
    decisions.loc[dup_index, "stage"] = "dedup"
    decisions.loc[dup_index, "reason"] = "duplicate_of: " + keepers[duplicate].to_numpy()
    decisions["kept"] = decisions["stage"].eq("")
    logger.info(
        "Photos: %d kept, %d unreadable, %d failed quality, %d duplicates",
        int(decisions["kept"].sum()), int(unreadable.sum()),
        int((failed & ~photos.index.isin(dup_index)).sum()),
        len(dup_index),
    )  # fmt: skip
    return decisions
