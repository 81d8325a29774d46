"""No stand-in photo is a copy of an archive photo by curate's duplicate rule."""

from __future__ import annotations

import numpy as np
from standin_helpers import tiny_config

from revision_pipeline.curation.dedup import duplicate_groups
from revision_pipeline.imaging.process import encode_jpeg, process_image
from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.fundus import render_photo
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.standins import plan_standins
from revision_pipeline.synth.standins.render import render_standin


def test_stand_ins_are_not_near_duplicates_of_archive_photos() -> None:
    archive = plan_archive(
        DemoArchiveConfig(n_institutions=3, n_exams=14, min_image_side=256, max_image_side=256)
    )
    images = [render_photo(p.spec) for p in archive.photos if p.spec.defect is None][:24]
    n_archive = len(images)
    config = tiny_config().model_dump()
    for cfg in config["sets"].values():
        cfg["camera"]["heights"] = [256]
    for standin in plan_standins(type(tiny_config()).model_validate(config)):
        images += [render_standin(p, standin.camera) for p in standin.photos[:6]]
    processed = [process_image(encode_jpeg(img), side=128) for img in images]
    assert all(p.phash is not None for p in processed)
    groups = duplicate_groups(
        [p.sha256 or "" for p in processed],
        [p.phash for p in processed],
        signatures=[p.signature for p in processed],
    )
    archive_groups = set(groups[:n_archive].tolist())
    assert not archive_groups & set(groups[n_archive:].tolist())
    # and distinct photos stay distinct among themselves
    assert len(np.unique(groups)) >= len(images) - 2
