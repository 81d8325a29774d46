"""The PHI audit as a library call: every pipeline wires it to a node of its own.

Scans what a pipeline wrote across the PHI boundary (docs/contracts.md §4) for the
archive's own identifiers, the demo's planted PHI and PHI patterns; the table it returns
names files and kinds, never values. Also the curate audit's second line of defence:
name-shaped spans left in scrubbed reports, counted per institution (no text).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)

#: Everything written across the PHI boundary in a Kedro project (docs/contracts.md §4).
BOUNDARY_PATHS: tuple[str, ...] = (
    "data/03_primary",
    "data/04_feature",
    "data/05_model_input",
    "data/06_models",
    "data/07_model_output",
    "data/08_reporting",
    "mlflow.db",
    "mlruns",
    "logs",
)

#: The columns of an audit table.
AUDIT_COLUMNS: tuple[str, ...] = ("file", "kind", "count", "read_as")


class AuditConfig(BaseModel):
    """Where the PHI audit looks, and whether a hit fails the run."""

    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(default_factory=lambda: list(BOUNDARY_PATHS))
    fail_on_hit: bool = True


class PhiAuditError(RuntimeError):
    """Identifiers, PHI patterns or too many name-shaped spans crossed the PHI boundary."""


def audit_values(identifiers: pd.DataFrame, planted: pd.DataFrame) -> set[str]:
    """What the audit looks for: the archive's identifiers, exam dates in every spelling
    (:func:`~revision_pipeline.deid.audit.date_variants`), and the planted PHI list."""
    from revision_pipeline.deid.audit import date_variants

    values = set(identifiers["value"].astype(str)) if "value" in identifiers else set()
    if "kind" in identifiers:
        for text in identifiers.loc[identifiers["kind"] == "exam_date", "value"]:
            try:
                values |= date_variants(pd.Timestamp(text).date())
            except ValueError:
                continue
    if "value" in planted:
        values |= set(planted["value"].astype(str))
    return values


def audit_written(
    identifiers: pd.DataFrame, planted: pd.DataFrame, config: AuditConfig
) -> pd.DataFrame:
    """Scan ``config.paths`` (those that exist) for identifiers and PHI patterns.

    Args:
        identifiers: ``kind, value`` of the archive's identifiers (inside the boundary).
        planted: the demo's planted PHI (``value`` column); empty for a real archive.
        config: where to look, and whether a hit fails.

    Returns:
        One row per file and kind of hit (``file, kind, count, read_as``), no values.

    Raises:
        PhiAuditError: any hit, when ``config.fail_on_hit``.
    """
    from revision_pipeline.deid.audit import audit_paths

    values = audit_values(identifiers, planted)
    paths = [Path(p) for p in config.paths if Path(p).exists()]
    hits = audit_paths(paths, values, patterns=True)
    table = pd.DataFrame(
        [{"file": str(h.path), "kind": h.kind, "count": h.count, "read_as": h.where} for h in hits],
        columns=list(AUDIT_COLUMNS),
    )
    logger.info(
        "PHI audit: %d identifiers over %d paths, %d hits", len(values), len(paths), len(table)
    )
    if len(table) and config.fail_on_hit:
        files = ", ".join(sorted(set(table["file"])))
        raise PhiAuditError(f"PHI audit failed: identifiers or PHI patterns found in {files}")
    return table


def suspected_name_table(
    institutions: pd.Series, reports: pd.Series, known: set[str]
) -> pd.DataFrame:
    """Name-shaped spans left in scrubbed reports, per institution (counts, no text).

    Returns:
        ``institution_id, reports, reports_flagged, suspected_names``.
    """
    from revision_pipeline.deid.suspects import count_suspected

    counts = count_suspected(institutions, reports.fillna(""), known)
    return pd.DataFrame(
        [(inst, *row) for inst, row in counts.items()],
        columns=["institution_id", "reports", "reports_flagged", "suspected_names"],
    )


def flagged_rate(suspected: pd.DataFrame) -> float:
    """The share of reports holding at least one suspected name."""
    reports = int(suspected["reports"].sum())
    return int(suspected["reports_flagged"].sum()) / reports if reports else 0.0


def suspected_name_rows(suspected: pd.DataFrame) -> pd.DataFrame:
    """One audit row per institution whose scrubbed reports hold a suspected name."""
    flagged = suspected[suspected["suspected_names"] > 0]
    return pd.DataFrame(
        {
            "file": "05_model_input/pairs: reports of " + flagged["institution_id"].astype(str),
            "kind": "suspected_name",
            "count": flagged["suspected_names"].astype(int),
            "read_as": "report text",
        },
        columns=list(AUDIT_COLUMNS),
    )


def check_suspected_rate(suspected: pd.DataFrame, max_rate: float, where: str) -> None:
    """Fail when more than ``max_rate`` of the reports hold a suspected name.

    Args:
        suspected: from :func:`suspected_name_table`.
        max_rate: the share allowed.
        where: the parameter that sets ``max_rate``, for the message.

    Raises:
        PhiAuditError: naming the rate, the limit and the institutions' flagged reports.
    """
    rate = flagged_rate(suspected)
    if rate <= max_rate:
        return
    flagged = suspected[suspected["suspected_names"] > 0]
    pairs = zip(flagged["institution_id"], flagged["reports_flagged"], strict=True)
    counts = ", ".join(f"{i} ({n})" for i, n in pairs)
    raise PhiAuditError(
        f"PHI audit failed: {rate:.2%} of reports still hold name-shaped text after "
        f"scrubbing (limit {max_rate:.2%}; reports per institution: {counts}). Check them "
        f"inside the boundary, extend the scrubber, or raise {where}"
    )
