"""Nodes of the ``curate`` pipeline: plumbing between the catalog and ``curation``/``deid``.

The rules live in the libraries (``curation.decisions``, ``curation.pairing``,
``curation.accounting``, ``deid.phi_audit``), tested without Kedro; a node parses its
parameters and passes the datasets on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from PIL import Image

from revision_pipeline.curation import accounting, decisions, pairing
from revision_pipeline.curation.config import CurateConfig
from revision_pipeline.curation.images import process_images
from revision_pipeline.curation.ingest import ingest_archive
from revision_pipeline.curation.plots import institution_plots, overview_plot
from revision_pipeline.curation.records import deidentify_exams, identifiers_of
from revision_pipeline.deid import phi_audit

logger = logging.getLogger(__name__)

__all__ = [
    "account_for_items",
    "assess_photos",
    "audit_curated",
    "build_pairs",
    "decide_photos",
    "deidentify_reports",
    "find_suspected_names",
    "ingest_archive",
    "plot_funnel",
]

account_for_items = accounting.account_for_items


def _config(params: dict[str, Any]) -> CurateConfig:
    return CurateConfig.model_validate(params)


def assess_photos(matched: pd.DataFrame, archive: Path, params: dict[str, Any]) -> pd.DataFrame:
    """Quality, crop and hashes of every matched photo (parallel, cached across runs)."""
    config = _config(params)
    results = process_images(
        archive, matched["source"].tolist(), config.image_settings(), Path(config.cache_dir),
        workers=config.workers, progress=config.progress,
    )  # fmt: skip
    return results.assign(institution_id=matched["institution_id"].to_numpy())


def decide_photos(photos: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per photo: kept, or rejected at the ``read``, ``quality`` or ``dedup`` stage."""
    config = _config(params)
    return decisions.decide_photos(
        photos, config.image_side, config.near_duplicate_max_distance,
        config.near_duplicate_min_correlation,
    )  # fmt: skip


def deidentify_reports(
    reports: pd.DataFrame, secret: bytes, params: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scrub and normalise every exam's report; pseudonyms for patients and exams.

    Returns:
        The de-identified exams and the archive's own identifiers (for the PHI audit).
    """
    config = _config(params)
    return deidentify_exams(reports, secret, progress=config.progress), identifiers_of(reports)


def build_pairs(
    matched: pd.DataFrame,
    photo_decisions: pd.DataFrame,
    exams: pd.DataFrame,
    secret: bytes,
    params: dict[str, Any],
) -> tuple[Iterator[pa.Table], pd.DataFrame]:
    """The pairs dataset (written shard by shard) and the index of kept photos."""
    config = _config(params)
    pairs = pairing.build_pairs(matched, photo_decisions, exams, secret, config.splits)
    return pairing.pair_chunks(pairs, config.rows_per_shard), pairing.pair_index(pairs)


def plot_funnel(
    funnel: pd.DataFrame,
) -> tuple[Image.Image, dict[str, Callable[[], Image.Image]]]:
    """The overview (a bar per institution) and one funnel figure per institution."""
    return overview_plot(funnel), institution_plots(funnel)


def find_suspected_names(
    exams: pd.DataFrame, identifiers: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Name-shaped spans left in the scrubbed reports, per institution (no text), and the
    counts for MLflow (``curate.suspected_names``, ``curate.suspected_name_report_rate``)."""
    known = set(identifiers["value"].astype(str)) if "value" in identifiers else set()
    table = phi_audit.suspected_name_table(exams["institution_id"], exams["report"], known)
    flagged = int(table["reports_flagged"].sum())
    logger.info("suspected names: %d in %d of %d reports", table["suspected_names"].sum(),
                flagged, table["reports"].sum())  # fmt: skip
    metrics = {
        "suspected_names": {"value": float(table["suspected_names"].sum()), "step": 0},
        "suspected_name_report_rate": {"value": phi_audit.flagged_rate(table), "step": 0},
    }
    return table, metrics


def audit_curated(
    identifiers: pd.DataFrame,
    planted: pd.DataFrame,
    suspected: pd.DataFrame,
    params: dict[str, Any],
    *written: Any,
) -> pd.DataFrame:
    """The PHI audit over everything curate wrote (``written``: read so the audit runs
    last), plus one ``suspected_name`` row per institution; fails on a hit, or on a share
    of suspected names above ``curate.audit.suspected_name_max_rate``."""
    audit = _config(params).audit
    table = phi_audit.audit_written(identifiers, planted, audit)
    rows = phi_audit.suspected_name_rows(suspected)
    table = pd.concat([table, rows], ignore_index=True) if len(rows) else table
    if audit.fail_on_suspected_names:
        phi_audit.check_suspected_rate(
            suspected, audit.suspected_name_max_rate,
            "curate.audit.suspected_name_max_rate in conf/base/parameters_curate.yml",
        )  # fmt: skip
    return table
