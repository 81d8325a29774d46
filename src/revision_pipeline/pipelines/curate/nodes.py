"""Nodes of the ``curate`` pipeline: thin wrappers over ``archive``, ``deid``, ``text``,
``imaging`` and ``curation``, plus the DataFrame plumbing between them."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from revision_pipeline.archive import Dialect, iter_institutions
from revision_pipeline.curation.dedup import choose_keepers, duplicate_groups
from revision_pipeline.curation.funnel import (
    build_funnel,
    check_funnel,
    eye_disc_agreement,
    laterality_alerts,
    quality_alerts,
    reason_family,
)
from revision_pipeline.curation.images import (
    ImageSettings,
    crop_problems,
    phash_values,
    process_images,
)
from revision_pipeline.curation.plots import institution_plots, overview_plot
from revision_pipeline.curation.records import (
    chunked,
    deidentify_exams,
    exam_key,
    identifiers_of,
    pair_rows,
    read_crops,
    says_nothing,
)
from revision_pipeline.curation.schema import PAIR_COLUMNS, PAIR_SCHEMA, REJECT_COLUMNS
from revision_pipeline.curation.splits import SplitConfig, assign_splits
from revision_pipeline.deid import pseudonymize
from revision_pipeline.imaging import QualityThresholds

logger = logging.getLogger(__name__)


class AuditConfig(BaseModel):
    """Where the PHI audit looks, and whether a hit fails the run."""

    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(default_factory=list)
    fail_on_hit: bool = True
    # second line of defence: reports whose scrubbed text still holds a name-shaped span
    fail_on_suspected_names: bool = True
    suspected_name_max_rate: float = Field(0.005, ge=0, le=1)  # of reports, before failing


class CurateConfig(BaseModel):
    """``params:curate``, validated at start-up."""

    model_config = ConfigDict(extra="forbid")
    image_side: int = Field(512, ge=32, le=4096)
    jpeg_quality: int = Field(90, ge=50, le=100)
    workers: int = Field(0, ge=0)
    cache_dir: str = "data/02_intermediate/image_cache"
    near_duplicate_max_distance: int = Field(8, ge=0, le=15)
    near_duplicate_min_correlation: float = Field(0.9, ge=0, le=1)
    rows_per_shard: int = Field(2000, ge=1)
    progress: bool = True
    quality: dict[str, float] = Field(default_factory=dict)
    splits: SplitConfig = SplitConfig()
    audit: AuditConfig = AuditConfig()

    @field_validator("quality")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        QualityThresholds.from_dict(value)  # unknown names and out-of-range limits, at start-up
        return value

    def image_settings(self) -> ImageSettings:
        """Crop settings with validated quality thresholds."""
        return ImageSettings(
            self.image_side, self.jpeg_quality, QualityThresholds.from_dict(self.quality)
        )


def _config(params: dict[str, Any]) -> CurateConfig:
    return CurateConfig.model_validate(params)


def ingest_archive(
    archive: Path, dialects: dict[str, Dialect]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every institution, one at a time.

    Returns:
        matched images (one row per image with a report, PHI included), the report
        rows (one per exam), ingest rejects, and the inventory of items found
        (``institution_id, kind, source``).
    """
    matched, reports, rejects, inventory = [], [], [], []
    for inst in iter_institutions(archive, dialects):
        report_file = f"{inst.institution_id}/{inst.dialect.reports.file}"
        kinds = inst.rejects["source"].map(lambda s, f=report_file: _item_kind(s, f))
        matched.append(inst.matched)
        reports.append(inst.reports)
        rejects.append(inst.rejects.assign(kind=kinds))
        inventory.append(pd.DataFrame({"institution_id": inst.institution_id, "kind": "image",
                                       "n": [inst.n_images]}))  # fmt: skip
        inventory.append(pd.DataFrame({"institution_id": inst.institution_id, "kind": "report",
                                       "n": [inst.n_report_rows]}))  # fmt: skip
    if not inventory:
        raise ValueError(f"{archive}: no institution folders found (docs/contracts.md §3)")
    return (
        pd.concat(matched, ignore_index=True).astype({"exam_id": str}),
        pd.concat(reports, ignore_index=True),
        pd.concat(rejects, ignore_index=True),
        pd.concat(inventory, ignore_index=True),
    )


def _item_kind(source: str, report_file: str) -> str:
    # report rows are "<report file>#<row>"; an image's own name may contain "#" too
    return "report" if str(source).split("#", 1)[0] == report_file else "image"


def assess_photos(matched: pd.DataFrame, archive: Path, params: dict[str, Any]) -> pd.DataFrame:
    """Quality, crop and hashes of every matched photo (parallel, cached across runs)."""
    config = _config(params)
    results = process_images(
        archive, matched["source"].tolist(), config.image_settings(), Path(config.cache_dir),
        workers=config.workers, progress=config.progress,
    )  # fmt: skip
    return results.assign(institution_id=matched["institution_id"].to_numpy())


def decide_photos(photos: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Per photo: kept, or rejected at the ``read``, ``quality`` or ``dedup`` stage.

    Deduplication runs over the readable photos of the whole archive; the copy kept
    is the best-scored one, and the others are rejected naming it.
    """
    config = _config(params)
    decisions = photos[["institution_id", "source", "quality_score", "crop_path"]].copy()
    decisions["disc_offset"] = photos["metrics"].map(_disc_offset)
    decisions["stage"], decisions["reason"] = "", ""
    # the pairs carry the cached crops' bytes: a crop changed, truncated or lost since it
    # was written is rejected here, never copied into the pairs as an undecodable image
    crop_problem = crop_problems(photos, config.image_side)
    if crop_problem.ne("").any():
        logger.warning("%d cached crops failed verification", int(crop_problem.ne("").sum()))
    unreadable = photos["crop_path"].eq("") | photos["sha256"].eq("") | crop_problem.ne("")
    first_reason = (
        photos["reasons"]
        .map(lambda r: "; ".join(r) if len(r) else "unreadable: no field of view")
        .where(crop_problem.eq(""), "unreadable: " + crop_problem)
    )
    decisions.loc[unreadable, "stage"] = "read"
    decisions.loc[unreadable, "reason"] = first_reason[unreadable]
    failed = ~unreadable & ~photos["passed"].astype(bool)
    decisions.loc[failed, "stage"] = "quality"
    decisions.loc[failed, "reason"] = "quality: " + photos.loc[failed, "reasons"].map("; ".join)
    readable = photos[~unreadable]
    groups = duplicate_groups(
        readable["sha256"].tolist(), phash_values(readable["phash"]),
        config.near_duplicate_max_distance, readable["signature"].tolist(),
        config.near_duplicate_min_correlation,
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


def _disc_offset(metrics: str) -> float:
    # NaN for an unreadable photo, or one cached before disc offsets were measured
    return float(json.loads(metrics).get("disc_offset", math.nan)) if metrics else math.nan


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
    decisions: pd.DataFrame,
    exams: pd.DataFrame,
    secret: bytes,
    params: dict[str, Any],
) -> tuple[Iterator[pa.Table], pd.DataFrame]:
    """The pairs dataset (written shard by shard) and the index of kept photos.

    Returns:
        A lazy iterator of pair chunks in the contract's columns, and a small table
        ``institution_id, source, pair_id, split`` of what was kept.
    """
    config = _config(params)
    kept = decisions[decisions["kept"]].merge(
        matched[["source", "exam_id", "eye"]], on="source", how="left", validate="one_to_one"
    )
    kept["exam_key"] = [
        exam_key(i, e) for i, e in zip(kept["institution_id"], kept["exam_id"], strict=True)
    ]
    kept["pair_id"] = [
        pseudonymize(secret, f"{i}/{s}", "image")
        for i, s in zip(kept["institution_id"], kept["source"], strict=True)
    ]
    pairs = pair_rows(kept, exams)
    pairs["split"] = assign_splits(pairs["patient_pid"], pairs["institution_id"], config.splits)
    # a report about one eye only says nothing about the other eye's photo: no pair (it is
    # rejected at the pairing stage as no_report_for_eye, see account_for_items)
    silent = pairs["report"].map(says_nothing).astype(bool)  # bool even when empty
    if silent.any():
        logger.info("%d photos not paired: their report says nothing about their eye", silent.sum())
    pairs = pairs[~silent].sort_values(["institution_id", "pair_id"]).reset_index(drop=True)
    index = pairs[["institution_id", "source", "pair_id", "split", "eye", "disc_offset"]].copy()
    return _pair_chunks(pairs, config.rows_per_shard), index


def _pair_chunks(pairs: pd.DataFrame, rows_per_shard: int) -> Iterator[pa.Table]:
    if pairs.empty:  # still write one (empty) shard, so the dataset exists with its schema
        yield PAIR_SCHEMA.empty_table()
        return
    for chunk in chunked(pairs, rows_per_shard):
        out = chunk.assign(image=read_crops(chunk["crop_path"]))
        out = out[list(PAIR_COLUMNS)].astype({"quality_score": float})
        yield pa.Table.from_pandas(out, schema=PAIR_SCHEMA, preserve_index=False)


def account_for_items(
    ingest_rejects: pd.DataFrame,
    decisions: pd.DataFrame,
    pair_index: pd.DataFrame,
    inventory: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The rejects table, the funnel, and the counts logged to MLflow.

    Every image found ends kept or in the rejects table: checked here, so the run
    fails loudly rather than losing a photo silently.
    """
    rejected_photos = decisions[~decisions["kept"]].assign(kind="image")
    # a photo paired with no report row (should not happen after matching) is a pairing reject
    lost = decisions[decisions["kept"] & ~decisions["source"].isin(pair_index["source"])]
    lost = lost.assign(kind="image", stage="pairing", reason="no_report_for_eye")
    rejects = pd.concat(
        [
            ingest_rejects,
            rejected_photos[[*REJECT_COLUMNS, "kind"]],
            lost[[*REJECT_COLUMNS, "kind"]],
        ],
        ignore_index=True,
    )
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
        logger.warning(_nothing_kept(inventory, rejects))
    metrics = _metrics(inventory, rejects, pair_index)
    metrics["quality_alerts"] = {"value": float(len(alerts)), "step": 0}
    metrics["laterality_alerts"] = {"value": float(len(eye_alerts)), "step": 0}
    judged = int(agreement["judged"].sum())
    if judged:
        share = int(agreement["contradicted"].sum()) / judged
        metrics["eye_disc_contradiction_rate"] = {"value": share, "step": 0}
    return rejects[list(REJECT_COLUMNS)].astype(str), funnel, metrics


def _nothing_kept(inventory: pd.DataFrame, rejects: pd.DataFrame) -> str:
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


def _metrics(inventory: pd.DataFrame, rejects: pd.DataFrame, pairs: pd.DataFrame) -> dict[str, Any]:
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


def plot_funnel(
    funnel: pd.DataFrame,
) -> tuple[Image.Image, dict[str, Callable[[], Image.Image]]]:
    """The overview (a bar per institution) and one funnel figure per institution."""
    return overview_plot(funnel), institution_plots(funnel)


def find_suspected_names(
    exams: pd.DataFrame, identifiers: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Count name-shaped spans left in the scrubbed reports, per institution (no text).

    Returns:
        ``institution_id, reports, reports_flagged, suspected_names`` and the counts
        for MLflow (``curate.suspected_names``, ``curate.suspected_name_report_rate``).
    """
    from revision_pipeline.deid.suspects import count_suspected

    known = set(identifiers["value"].astype(str)) if "value" in identifiers else set()
    counts = count_suspected(exams["institution_id"], exams["report"].fillna(""), known)
    table = pd.DataFrame(
        [(inst, *row) for inst, row in counts.items()],
        columns=["institution_id", "reports", "reports_flagged", "suspected_names"],
    )
    reports = int(table["reports"].sum())
    flagged = int(table["reports_flagged"].sum())
    logger.info("suspected names: %d in %d of %d reports", table["suspected_names"].sum(),
                flagged, reports)  # fmt: skip
    metrics = {
        "suspected_names": {"value": float(table["suspected_names"].sum()), "step": 0},
        "suspected_name_report_rate": {"value": flagged / reports if reports else 0.0, "step": 0},
    }
    return table, metrics


def audit_curated(
    identifiers: pd.DataFrame,
    planted: pd.DataFrame,
    suspected: pd.DataFrame,
    params: dict[str, Any],
    *written: Any,
) -> pd.DataFrame:
    """`audit_phi`, plus one ``suspected_name`` row per institution whose scrubbed
    reports still hold name-shaped text (counts only).

    Fails the run when the share of reports with a suspected name exceeds
    ``audit.suspected_name_max_rate`` (and ``audit.fail_on_suspected_names``).
    """
    config = _config(params)
    table = audit_phi(identifiers, planted, params, *written)
    flagged = suspected[suspected["suspected_names"] > 0]
    rows = pd.DataFrame(
        {
            "file": "05_model_input/pairs: reports of " + flagged["institution_id"].astype(str),
            "kind": "suspected_name",
            "count": flagged["suspected_names"].astype(int),
            "read_as": "report text",
        }
    )
    table = pd.concat([table, rows], ignore_index=True) if len(rows) else table
    reports = int(suspected["reports"].sum())
    rate = int(suspected["reports_flagged"].sum()) / reports if reports else 0.0
    if rate > config.audit.suspected_name_max_rate and config.audit.fail_on_suspected_names:
        pairs = zip(flagged["institution_id"], flagged["reports_flagged"], strict=True)
        where = ", ".join(f"{i} ({n})" for i, n in pairs)
        raise RuntimeError(
            f"PHI audit failed: {rate:.2%} of reports still hold name-shaped text after "
            f"scrubbing (limit {config.audit.suspected_name_max_rate:.2%}; reports per "
            f"institution: {where}). Check them inside the boundary, extend the scrubber, "
            "or raise curate.audit.suspected_name_max_rate in conf/base/parameters_curate.yml"
        )
    return table


def audit_phi(
    identifiers: pd.DataFrame, planted: pd.DataFrame, params: dict[str, Any], *written: Any
) -> pd.DataFrame:
    """Scan everything written across the PHI boundary for identifiers and PHI patterns.

    Looks for every identifier the archive itself holds (names, patient and national
    ids, exam ids, exact dates in several spellings), the demo's planted PHI list when
    there is one, and PHI patterns. The table names files and kinds, never values;
    any hit fails the run (``audit.fail_on_hit``).

    Args:
        identifiers: from :func:`deidentify_reports` (inside the boundary).
        planted: the demo's planted PHI (``value`` column); empty for a real archive.
        params: ``params:curate``.
        written: outputs of the other nodes, so the audit runs after them.
    """
    from revision_pipeline.deid.audit import audit_paths, date_variants

    config = _config(params)
    values = set(identifiers["value"].astype(str))
    for text in identifiers.loc[identifiers["kind"] == "exam_date", "value"]:
        try:
            values |= date_variants(pd.Timestamp(text).date())
        except ValueError:
            continue
    if "value" in planted:
        values |= set(planted["value"].astype(str))
    paths = [Path(p) for p in config.audit.paths if Path(p).exists()]
    hits = audit_paths(paths, values, patterns=True)
    table = pd.DataFrame(
        [{"file": str(h.path), "kind": h.kind, "count": h.count, "read_as": h.where} for h in hits],
        columns=["file", "kind", "count", "read_as"],
    )
    logger.info(
        "PHI audit: %d identifiers over %d paths, %d hits", len(values), len(paths), len(table)
    )
    if len(table) and config.audit.fail_on_hit:
        files = ", ".join(sorted(set(table["file"])))
        raise RuntimeError(f"PHI audit failed: identifiers or PHI patterns found in {files}")
    return table
