"""The curate pipeline in process (SequentialRunner, in-memory catalog) on a hand-written
archive: node wiring and the outcomes no subprocess is needed to see."""

from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pytest
from curate_helpers import curate_params, good_archive, run_curate

from revision_pipeline.curation.schema import PAIR_SCHEMA


def test_every_photo_rejected_ends_with_empty_pairs_and_a_full_account(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    archive = good_archive(tmp_path / "archive")
    params = curate_params(tmp_path, quality={"min_brightness": 255})  # no photo is that bright
    with caplog.at_level(logging.WARNING):
        catalog = run_curate(archive, params)
    pairs = pa.concat_tables(list(catalog.load("pairs")))
    assert pairs.num_rows == 0 and pairs.schema.equals(PAIR_SCHEMA)
    assert catalog.load("pair_index").empty
    rejects = catalog.load("rejects")
    assert len(rejects) == 8 and set(rejects["stage"]) == {"quality"}
    assert rejects["reason"].str.startswith("quality: underexposed").all()
    funnel = catalog.load("curation_funnel")
    images = funnel[(funnel["kind"] == "image") & (funnel["stage"] == "quality")]
    assert images.set_index("institution_id")["rejected"].to_dict() == {"GOOD": 4, "ALSO": 4}
    metrics = catalog.load("curation_metrics")
    assert metrics["pairs_kept"]["value"] == 0 and metrics["images_rejected_quality"]["value"] == 8
    assert "No pair kept: all 8 photos found were rejected (by stage: quality 8)" in caplog.text
    assert "curate.quality" in caplog.text
    assert catalog.load("phi_audit").empty
