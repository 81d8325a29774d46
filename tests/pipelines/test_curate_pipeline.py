"""`kedro run --pipeline=curate` end to end, in a throw-away project.

One slow test curates a small generated demo archive and checks it against the truth;
the bad-input tests curate a tiny archive written by hand (no generator).
"""

from __future__ import annotations

import importlib.util
import io
import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from curate_helpers import fundus, reports_csv, write_institution
from PIL import Image

from revision_pipeline.curation.funnel import eye_disc_agreement

_SPEC = importlib.util.spec_from_file_location(
    "curate_quality", Path(__file__).resolve().parents[2] / "benchmarks" / "curate_quality.py"
)
quality = importlib.util.module_from_spec(_SPEC)
sys.modules["curate_quality"] = quality
_SPEC.loader.exec_module(quality)

IMAGE_SIDE = 256
DEMO = quality.params_arg(
    "demo_archive",
    {"n_institutions": 10, "n_exams": 60, "min_image_side": 384, "max_image_side": 512},
)
CURATE = quality.params_arg("curate", {"image_side": IMAGE_SIDE, "progress": "false"})

#: docs/contracts.md §5, exactly.
PAIR_SCHEMA = {
    "pair_id": pa.string(),
    "institution_id": pa.string(),
    "patient_pid": pa.string(),
    "exam_pid": pa.string(),
    "eye": pa.string(),
    "split": pa.string(),
    "image": pa.binary(),
    "quality_score": pa.float64(),
    "report": pa.string(),
    "labels": pa.list_(pa.string()),
}


@pytest.mark.slow
def test_curate_demo_archive_meets_targets(kedro_project, run_kedro) -> None:
    # the archive alone: the benchmark stand-ins are not what this test curates
    run_kedro(
        kedro_project, "run", "--pipeline=demo_archive", "--nodes=generate_demo_archive", DEMO
    )
    first = run_kedro(kedro_project, "run", "--pipeline=curate", CURATE)
    data = kedro_project / "data"

    # schema exactly per docs/contracts.md §5
    dataset = ds.dataset(data / "05_model_input/pairs", format="parquet")
    assert {f.name: f.type for f in dataset.schema} == PAIR_SCHEMA
    assert [f.name for f in dataset.schema] == list(PAIR_SCHEMA)
    pairs = dataset.to_table().to_pandas()
    assert len(pairs) > 100
    assert pairs["pair_id"].is_unique
    assert set(pairs["eye"]) <= {"OD", "OS", "unknown"}
    assert set(pairs["split"]) <= {"train", "val", "test"} and "train" in set(pairs["split"])
    assert pairs["quality_score"].between(0, 1).all()
    for blob in pairs["image"].sample(10, random_state=0):
        img = Image.open(io.BytesIO(blob))
        assert (img.format, img.mode, img.size) == ("JPEG", "RGB", (IMAGE_SIDE, IMAGE_SIDE))
    # no patient in two splits
    assert pairs.groupby("patient_pid")["split"].nunique().max() == 1

    figures = quality.evaluate(kedro_project)
    assert figures["unaccounted_images"] == 0  # every truth image is kept or rejected
    assert figures["defects"] > 0 and figures["defect_rejection_rate"] >= 0.95
    assert figures["good_keep_rate"] >= 0.97, figures["good_lost"]
    assert figures["duplicates_truth"] > 0 and figures["dedup_recall"] == 1.0
    assert figures["duplicates_name_kept_copy"]
    assert figures["label_macro_f1"] >= 0.95, figures["label_f1_by_code"]
    assert figures["eye_agreement"] >= 0.99
    assert figures["phi_in_pair_reports"] == []
    assert figures["phi_in_boundary_files"] == []
    assert figures["phi_audit_rows"] == 0

    # the funnel invariant, per institution, from the written funnel
    funnel = pd.read_csv(data / "08_reporting/curation_funnel.csv")
    images = funnel[funnel["kind"] == "image"]
    index = pd.read_parquet(data / "02_intermediate/pair_index.parquet")
    for inst, rows in images.groupby("institution_id"):
        kept = int((index["institution_id"] == inst).sum())
        assert rows["items_in"].iloc[0] == kept + rows["rejected"].sum(), inst
    # one funnel figure per institution beside the overview
    drawn = {p.stem for p in (data / "08_reporting/curation_funnel").glob("*.png")}
    assert drawn == set(funnel["institution_id"])
    assert (data / "08_reporting/curation_funnel.png").is_file()
    # every photo's optic disc sits on the side of the eye its file names: no site alert
    named = index[index["eye"].isin(["OD", "OS"])]
    agreement = eye_disc_agreement(index)
    assert agreement["judged"].sum() >= 0.9 * len(named)
    assert agreement["contradicted"].sum() <= 0.03 * agreement["judged"].sum(), agreement
    assert "optic disc is on the side" not in first.stdout + first.stderr

    # the console log is past the PHI boundary: no exam id, patient id or planted value
    exams = pd.read_csv(data / "01_raw/demo_truth/exams.csv", dtype=str).fillna("")
    planted = pd.read_csv(data / "01_raw/demo_truth/phi.csv", dtype=str).fillna("")
    log = first.stdout + first.stderr
    secrets = set(exams["exam_id"]) | set(exams["patient_id"]) | set(planted["value"])
    assert [v for v in sorted(secrets) if len(v) >= 4 and v in log] == []

    # counts and rates in the run's MLflow record
    with sqlite3.connect(kedro_project / "mlflow.db") as db:
        logged = dict(db.execute("SELECT key, value FROM metrics"))
    assert logged["curate.pairs_kept"] == len(pairs)
    assert logged["curate.images_found"] == figures["images"]
    assert logged["curate.images_kept_rate"] == pytest.approx(len(pairs) / figures["images"])
    reasons = {k.split("/", 1)[1]: v for k, v in logged.items() if "rejected_reason/" in k}
    assert reasons.get("blurred", 0) > 0 and "quality" not in reasons  # by actual reason
    assert logged["curate.quality_alerts"] == 0 and logged["curate.laterality_alerts"] == 0
    assert logged["curate.eye_disc_contradiction_rate"] <= 0.03

    assert re.search(r"Images:\s+\d+\s+to\s+process", first.stdout + first.stderr)
    rerun = run_kedro(kedro_project, "run", "--pipeline=curate", CURATE)
    assert re.search(r"Images:\s+0\s+to\s+process", rerun.stdout + rerun.stderr)
    again = ds.dataset(data / "05_model_input/pairs", format="parquet").to_table().to_pandas()
    assert sorted(again["pair_id"]) == sorted(pairs["pair_id"])


# ---- bad input: a tiny archive written by hand ------------------------------------------


@pytest.fixture
def bad_archive(kedro_project: Path) -> Path:
    """Five institutions: good, corrupt files, UTF-16 reports, missing column, empty."""
    root = kedro_project / "data/01_raw/archive"
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
    return kedro_project


@pytest.mark.slow
def test_bad_inputs_are_rejected_by_name_and_the_run_completes(bad_archive, run_kedro) -> None:
    proc = run_kedro(bad_archive, "run", "--pipeline=curate", CURATE)
    assert (
        re.search(
            r"EMPTY\s+is\s+empty|EMPTY:\s+institution\s+folder\s+is\s+empty",
            proc.stdout + proc.stderr,
        )
        or "folder is empty" in proc.stdout + proc.stderr
    )
    # broken files are named in the rejects table (inside the boundary), never in the log
    assert not re.search(r"[A-Z]X0000\d\d", proc.stdout + proc.stderr)
    data = bad_archive / "data"
    rejects = pd.read_parquet(data / "02_intermediate/rejects.parquet")
    reason = dict(zip(rejects["source"], rejects["reason"], strict=True))
    pairs = ds.dataset(data / "05_model_input/pairs", format="parquet").to_table().to_pandas()
    index = pd.read_parquet(data / "02_intermediate/pair_index.parquet")

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
    funnel = pd.read_csv(data / "08_reporting/curation_funnel.csv")
    for inst, rows in funnel[funnel["kind"] == "image"].groupby("institution_id"):
        kept = int((index["institution_id"] == inst).sum())
        assert rows["items_in"].iloc[0] == kept + rows["rejected"].sum(), inst
    assert pd.read_csv(data / "08_reporting/phi_audit.csv").empty


@pytest.mark.slow
def test_unknown_dialect_option_stops_at_start_naming_key_and_file(
    kedro_project, run_kedro
) -> None:
    root = kedro_project / "data/01_raw/archive"
    write_institution(root, "GOOD", ["EX000001"], 0)
    (root / "GOOD/reports.csv").write_text(reports_csv(["EX000001"]), encoding="utf-8")
    config = kedro_project / "conf/base/institutions.yml"
    config.write_text("GOOD:\n  reports:\n    file: reports.csv\n    delimeter: ';'\n")
    proc = run_kedro(kedro_project, "run", "--pipeline=curate", CURATE, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "delimeter" in output
    assert "institutions.yml" in output
    assert not (kedro_project / "data/02_intermediate/image_cache").exists()  # nothing ran
    assert not (kedro_project / "data/05_model_input").exists()


def test_bad_curate_parameter_stops_at_start_naming_key_and_file(kedro_project, run_kedro) -> None:
    proc = run_kedro(
        kedro_project, "run", "--pipeline=curate", "--params=curate.image_sidee=256", check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "curate.image_sidee" in output
    assert "parameters_curate.yml" in output
    assert not (kedro_project / "data/02_intermediate").exists()


@pytest.mark.slow
def test_a_site_that_swaps_left_and_right_is_named(kedro_project, run_kedro) -> None:
    fundus = pytest.importorskip("revision_pipeline.synth.fundus")
    from revision_pipeline.synth.spec import Camera, EyeState, PhotoSpec

    camera = Camera(
        side=384, aspect="4:3", cast=(1.0, 1.0, 1.0), vignetting=0.2, jpeg_quality=90,
        field_fraction=0.95,
    )  # fmt: skip
    root = kedro_project / "data/01_raw/archive"
    exams = [f"SW{k:04d}" for k in range(12)]
    for inst, swapped in (("SWAPPED", True), ("RIGHT", False)):
        images = root / inst / "images"
        images.mkdir(parents=True)
        for k, exam in enumerate(exams):
            for eye, other in (("OD", "OS"), ("OS", "OD")):
                state = EyeState(eye=other if swapped else eye, codes=("normal",),
                                 severity=0.0, cup_disc=0.4)  # fmt: skip
                seed = 2 * k + (eye == "OS") + (100 if swapped else 0)
                photo = fundus.render_photo(PhotoSpec(seed=seed, state=state, camera=camera))
                buffer = io.BytesIO()
                Image.fromarray(photo).save(buffer, "JPEG", quality=92)
                (images / f"{exam}_{eye}.jpg").write_bytes(buffer.getvalue())
        (root / inst / "reports.csv").write_text(reports_csv(exams), encoding="utf-8")
    proc = run_kedro(kedro_project, "run", "--pipeline=curate", CURATE)
    output = proc.stdout + proc.stderr
    alert = r"SWAPPED: in 2\d of 2\d photos \(\d+%\) the optic disc is on the side of the other"
    assert re.search(alert, output), output[-3000:]
    assert "RIGHT: in" not in output
