"""The pairs: every kept photo with its exam's pseudonyms, eye-specific report and split."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa

from revision_pipeline.curation.records import (
    chunked,
    exam_key,
    pair_rows,
    read_crops,
    says_nothing,
)
from revision_pipeline.curation.schema import PAIR_COLUMNS, PAIR_SCHEMA
from revision_pipeline.curation.splits import SplitConfig, assign_splits
from revision_pipeline.deid import pseudonymize

logger = logging.getLogger(__name__)

#: The columns of the pair index (``pair_index``): what was kept, inside the boundary.
INDEX_COLUMNS: tuple[str, ...] = (
    "institution_id", "source", "pair_id", "split", "eye", "disc_offset",
)  # fmt: skip


def build_pairs(
    matched: pd.DataFrame,
    decisions: pd.DataFrame,
    exams: pd.DataFrame,
    secret: bytes,
    splits: SplitConfig,
) -> pd.DataFrame:
    """One row per kept photo whose report says something about its eye.

    A report about one eye only says nothing about the other eye's photo: no pair (the
    accounting rejects that photo at the pairing stage as ``no_report_for_eye``).

    Args:
        matched: matched images (``source, exam_id, eye``).
        decisions: from :func:`~revision_pipeline.curation.decisions.decide_photos`.
        exams: from :func:`~revision_pipeline.curation.records.deidentify_exams`.
        secret: the pseudonymisation secret (``pair_id`` is a pseudonym of the photo).
        splits: the patient-level split fractions and external institutions.

    Returns:
        The pairs sorted by ``institution_id, pair_id``, with ``crop_path`` and the
        index columns; empty (with every column) when nothing is kept.
    """
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
    pairs["split"] = assign_splits(pairs["patient_pid"], pairs["institution_id"], splits)
    silent = pairs["report"].map(says_nothing).astype(bool)  # bool even when empty
    if silent.any():
        logger.info("%d photos not paired: their report says nothing about their eye", silent.sum())
    return pairs[~silent].sort_values(["institution_id", "pair_id"]).reset_index(drop=True)


def pair_index(pairs: pd.DataFrame) -> pd.DataFrame:
    """What was kept: ``institution_id, source, pair_id, split, eye, disc_offset``."""
    return pairs[list(INDEX_COLUMNS)].copy()


def pair_chunks(pairs: pd.DataFrame, rows_per_shard: int) -> Iterator[pa.Table]:
    """The pairs in the contract's schema, ``rows_per_shard`` at a time, crops read lazily.

    An empty ``pairs`` still gives one empty table, so the dataset exists with its schema.
    """
    if pairs.empty:
        yield PAIR_SCHEMA.empty_table()
        return
    for chunk in chunked(pairs, rows_per_shard):
        out = chunk.assign(image=read_crops(chunk["crop_path"]))
        out = out[list(PAIR_COLUMNS)].astype({"quality_score": float})
        yield pa.Table.from_pandas(out, schema=PAIR_SCHEMA, preserve_index=False)
