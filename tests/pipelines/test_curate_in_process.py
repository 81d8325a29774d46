"""The curate pipeline in process (SequentialRunner, in-memory catalog) on a hand-written
archive: node wiring and the outcomes no subprocess is needed to see."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pyarrow as pa
import pytest
from curate_helpers import (
    curate_params,
    fundus,
    good_archive,
    reports_csv,
    run_curate,
    write_institution,
)
from PIL import Image

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


@pytest.fixture
def bad_archive(tmp_path: Path) -> Path:
    """Five institutions: good, corrupt files, UTF-16 reports, missing column, empty."""
    root = tmp_path / "archive"
    write_institution(root, "GOOD", ["EX000001", "EX000002"], 0)
    (root / "GOOD/reports.csv").write_text(reports_csv(["EX000001", "EX000002"]), encoding="utf-8")

    write_institution(root, "CORRUPT", ["CX000001"], 4)
    (root / "CORRUPT/images/CX000002_OD.jpg").write_bytes(fundus(10)[:600])  # truncated JPEG
    (root / "CORRUPT/images/CX000003_OD.jpg").write_bytes(b"this is not an image at all\n" * 20)
    (root / "CORRUPT/reports.csv").write_text(
        reports_csv(["CX000001", "CX000002", "CX000003"]), encoding="utf-8"
    )

    write_institution(root, "UTF16", ["UX000001"], 6)
    (root / "UTF16/reports.csv").write_bytes(reports_csv(["UX000001"]).encode("utf-16-le"))

    write_institution(root, "NOCOL", ["NX000001"], 8)
    no_exam_id = ("patient_id", "patient_name", "exam_date", "report")
    (root / "NOCOL/reports.csv").write_text(reports_csv(["NX000001"], no_exam_id), encoding="utf-8")

    (root / "EMPTY").mkdir()
    return root


def test_bad_inputs_are_rejected_by_name_and_the_run_completes(
    bad_archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        catalog = run_curate(bad_archive, curate_params(tmp_path))
    assert re.search(r"EMPTY:? (is|institution folder is) empty|folder is empty", caplog.text)
    # broken files are named in the rejects table (inside the boundary), never in the log
    assert not re.search(r"[A-Z]X0000\d\d", caplog.text)
    rejects = catalog.load("rejects")
    reason = dict(zip(rejects["source"], rejects["reason"], strict=True))
    pairs = pa.concat_tables(list(catalog.load("pairs"))).to_pandas()
    index = catalog.load("pair_index")

    # the good institution is curated, the broken ones do not stop the run
    good = {f"GOOD/images/EX00000{e}_{y}.jpg" for e in (1, 2) for y in ("OD", "OS")}
    assert set(index["source"]) >= good
    assert set(pairs["institution_id"]) <= {"GOOD", "CORRUPT"}
    # corrupt files: named, with a reason saying they could not be read
    for name in ("CX000002_OD.jpg", "CX000003_OD.jpg"):
        assert re.search(
            r"unreadable|corrupt|truncated|decode|empty", reason[f"CORRUPT/images/{name}"]
        )
    assert {f"CORRUPT/images/CX000001_{y}.jpg" for y in ("OD", "OS")} <= set(index["source"])
    # a report table in an unknown encoding: the file is named, its images are orphans
    utf16 = rejects[rejects["institution_id"] == "UTF16"]
    assert "UTF16/reports.csv" in set(utf16["source"]), utf16
    assert re.search(r"unreadable.*UTF-8.*GB18030", reason["UTF16/reports.csv"])
    assert reason["UTF16/images/UX000001_OD.jpg"] and reason["UTF16/images/UX000001_OS.jpg"]
    # a missing column: the file and the column are named
    nocol = rejects[rejects["institution_id"] == "NOCOL"]
    assert "NOCOL/reports.csv" in set(nocol["source"]), nocol
    assert "exam_id" in reason["NOCOL/reports.csv"]
    assert {"NOCOL/images/NX000001_OD.jpg", "NOCOL/images/NX000001_OS.jpg"} <= set(reason)
    # accounting holds for every institution; the empty one is present with nothing in it
    funnel = catalog.load("curation_funnel")
    for inst, rows in funnel[funnel["kind"] == "image"].groupby("institution_id"):
        kept = int((index["institution_id"] == inst).sum())
        assert rows["items_in"].iloc[0] == kept + rows["rejected"].sum(), inst
    assert catalog.load("phi_audit").empty


def test_a_site_that_swaps_left_and_right_is_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fundus_render = pytest.importorskip("revision_pipeline.synth.fundus")
    from revision_pipeline.synth.spec import Camera, EyeState, PhotoSpec

    camera = Camera(
        side=384, aspect="4:3", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90,
        field_fraction=0.95,
    )  # fmt: skip
    root = tmp_path / "archive"
    exams = [f"SW{k:04d}" for k in range(12)]
    for inst, swapped in (("SWAPPED", True), ("RIGHT", False)):
        images = root / inst / "images"
        images.mkdir(parents=True)
        for k, exam in enumerate(exams):
            for eye, other in (("OD", "OS"), ("OS", "OD")):
                state = EyeState(eye=other if swapped else eye, codes=("normal",),
                                 severity=0.0, cup_disc=0.4)  # fmt: skip
                seed = 2 * k + (eye == "OS") + (100 if swapped else 0)
                photo = fundus_render.render_photo(PhotoSpec(seed=seed, state=state, camera=camera))
                buffer = io.BytesIO()
                Image.fromarray(photo).save(buffer, "JPEG", quality=92)
                (images / f"{exam}_{eye}.jpg").write_bytes(buffer.getvalue())
        (root / inst / "reports.csv").write_text(reports_csv(exams), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        run_curate(root, curate_params(tmp_path, image_side=256))
    alert = r"SWAPPED: in 2\d of 2\d photos \(\d+%\) the optic disc is on the side of the other"
    assert re.search(alert, caplog.text), caplog.text[-3000:]
    assert "RIGHT: in" not in caplog.text
