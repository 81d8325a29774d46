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
from curate_helpers import reports_csv, write_institution
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
