"""The one table every adapter returns, checked and finished in one place."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from revision_pipeline.benchmarks.errors import EmptyBenchmark, LabelError, SingleClassBenchmark

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")
_BASE_COLUMNS = ("image_path", "label", "split", "image_id")


@dataclass
class RawTable:
    """What an adapter read, before the common checks.

    ``rows`` are dicts with ``image_path`` (a path, or None when the file is missing),
    ``expected`` (when missing: the path looked for), ``label`` (str, or a list for
    multi-label sets), ``image_id``, ``source`` (``<file>#<row>``), ``split`` when the
    dataset defines one, and any extras. ``unlabelled`` lists the rows the publisher
    left without a usable label (ungradable photos...), as ``{"source", "reason"}``.
    ``classes`` is set by generic adapters, whose classes come from the data.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    unlabelled: list[dict[str, str]] = field(default_factory=list)
    classes: tuple[str, ...] | None = None


def _check_labels(rows: list[dict[str, Any]], classes: tuple[str, ...], task: str) -> None:
    allowed = set(classes)
    for row in rows:
        label = row["label"]
        values = label if task == "multi" else [label]
        if task == "multi" and not isinstance(label, list):
            raise LabelError(f"{row['source']}: expected a list of labels, got {label!r}")
        bad = [v for v in values if not isinstance(v, str) or v not in allowed]
        if bad or (task == "multi" and not values):
            raise LabelError(
                f"{row['source']}: label {bad[0] if bad else label!r} is not one of the "
                f"classes {list(classes)}"
            )


def finish(
    name: str, raw: RawTable, classes: tuple[str, ...], task: str, *, min_classes: int = 2
) -> pd.DataFrame:
    """Check labels, drop (and list) missing images and duplicates, order the rows.

    Raises:
        LabelError: a label is not one of ``classes`` (file and row named).
        EmptyBenchmark: no labelled image left.
        SingleClassBenchmark: fewer than ``min_classes`` classes present.
    """
    _check_labels(raw.rows, classes, task)
    dropped: list[dict[str, str]] = []
    kept: list[dict[str, Any]] = []
    first_source: dict[str, str] = {}
    for row in raw.rows:
        path = row["image_path"]
        if path is None:
            dropped.append(
                {"source": row["source"], "reason": f"image not found: {row['expected']}"}
            )
            continue
        path = os.path.abspath(path)  # adapters build paths under the resolved root
        if path in first_source:
            dropped.append({
                "source": row["source"],
                "reason": f"duplicate row for {os.path.basename(path)} (kept {first_source[path]})",
            })  # fmt: skip
            continue
        first_source[path] = row["source"]
        row["image_path"] = path
        kept.append(row)
    if dropped:
        logger.warning(
            "%s: %d of %d labelled rows dropped (first: %s — %s); listed in df.attrs['dropped']",
            name, len(dropped), len(raw.rows), dropped[0]["source"], dropped[0]["reason"],
        )  # fmt: skip
    if raw.unlabelled:
        logger.info(
            "%s: %d rows carry no usable label (df.attrs['unlabelled'])", name, len(raw.unlabelled)
        )
    if not kept:
        raise EmptyBenchmark(
            f"{name}: no labelled image found ({len(raw.rows)} labelled rows, "
            f"{len(dropped)} dropped; first: {dropped[0] if dropped else 'none'})"
        )
    df = pd.DataFrame(kept).drop(columns=["expected"], errors="ignore")
    present = sorted({v for lab in df["label"] for v in (lab if task == "multi" else [lab])})
    if len(present) < min_classes:
        raise SingleClassBenchmark(
            f"{name}: only the class(es) {present} among {len(df)} labelled images; "
            f"at least {min_classes} are needed to score (check the root)"
        )
    if "split" in df.columns and df["split"].nunique() < 2:
        df = df.drop(columns="split")  # one publisher split: the set defines no partition
    if "split" in df.columns:
        rank = {s: i for i, s in enumerate(SPLITS)}
        df["_rank"] = df["split"].map(lambda s: rank.get(s, len(rank)))
        df = df.sort_values(["_rank", "image_path"], kind="stable").drop(columns="_rank")
    else:
        df = df.sort_values("image_path", kind="stable")
    front = [c for c in _BASE_COLUMNS if c in df.columns]
    df = df[front + [c for c in df.columns if c not in front]].reset_index(drop=True)
    df.attrs.update({
        "benchmark": name,
        "classes": classes,
        "dropped": dropped,
        "unlabelled": raw.unlabelled,
    })  # fmt: skip
    return df
