"""Writing the stand-ins: publisher files, truth, markers, reruns, a user's own data."""

from __future__ import annotations

from pathlib import Path

import cv2
import pandas as pd
from standin_helpers import tiny_config

from revision_pipeline.synth.standins import MARKER, TRUTH_FILE, plan_standins, write_standins
from revision_pipeline.synth.standins.sets import ODIR_LETTERS, RFMID_COLUMNS


def _truth(root: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(root / name / TRUTH_FILE, dtype=str, keep_default_na=False)


def test_every_planned_file_is_written_and_the_missing_ones_are_not(written: Path) -> None:
    for name in ("aptos2019", "messidor2", "idrid", "odir5k", "rfmid", "imagefolder_demo"):
        truth = _truth(written, name)
        assert (written / name / MARKER).exists()
        for row in truth.itertuples():
            assert (written / name / row.path).exists() == (row.written == "True"), row.path
        files = {
            p.relative_to(written / name).as_posix()
            for p in (written / name).rglob("*")
            if p.suffix.lower() in (".png", ".jpg")
        }
        assert files == set(truth.loc[truth["written"] == "True", "path"])


def test_publisher_files_have_their_exact_names_and_columns(written: Path) -> None:
    aptos = pd.read_csv(written / "aptos2019/train.csv", dtype=str)
    assert list(aptos.columns) == ["id_code", "diagnosis"]
    assert list(pd.read_csv(written / "aptos2019/test.csv").columns) == ["id_code"]
    image = cv2.imread(str(written / f"aptos2019/train_images/{aptos.id_code[0]}.png"))
    assert image is not None and image.shape[1] > image.shape[0]  # a wide PNG frame
    messidor = pd.read_csv(written / "messidor2/messidor_data.csv", dtype=str,
                           keep_default_na=False)  # fmt: skip
    assert list(messidor.columns) == [
        "image_id", "adjudicated_dr_grade", "adjudicated_dme", "adjudicated_gradable",
    ]  # fmt: skip
    ungradable = messidor[messidor["adjudicated_gradable"] == "0"]
    assert len(ungradable) == 2 and (ungradable["adjudicated_dr_grade"] == "").all()
    idrid = pd.read_csv(
        written / "idrid/B. Disease Grading/2. Groundtruths/"
        "a. IDRiD_Disease Grading_Training Labels.csv"
    )
    assert list(idrid.columns) == ["Image name", "Retinopathy grade", "Risk of macular edema "]
    assert (written / "idrid/B. Disease Grading/1. Original Images/b. Testing Set").is_dir()
    odir = pd.read_excel(
        written / "odir5k/ODIR-5K_Training_Annotations(Updated)_V2.xlsx", engine="openpyxl"
    )
    assert list(odir.columns)[:7] == [
        "ID", "Patient Age", "Patient Sex", "Left-Fundus", "Right-Fundus",
        "Left-Diagnostic Keywords", "Right-Diagnostic Keywords",
    ]  # fmt: skip
    assert list(odir.columns)[7:] == list(ODIR_LETTERS)
    keywords = pd.concat([odir["Left-Diagnostic Keywords"], odir["Right-Diagnostic Keywords"]])
    assert keywords.str.contains("lens dust").sum() == 2
    assert keywords.str.contains("，").any() or len(odir) < 5
    for part in ("Training_Set/Training_Set/RFMiD_Training_Labels.csv",
                 "Evaluation_Set/Evaluation_Set/RFMiD_Validation_Labels.csv",
                 "Test_Set/Test_Set/RFMiD_Testing_Labels.csv"):  # fmt: skip
        rfmid = pd.read_csv(written / "rfmid" / part)
        assert list(rfmid.columns) == ["ID", "Disease_Risk", *RFMID_COLUMNS]
        assert (rfmid["Disease_Risk"] == rfmid[list(RFMID_COLUMNS)].max(axis=1)).all()
    assert {p.name for p in (written / "imagefolder_demo").iterdir() if p.is_dir()} == {
        "train", "val", "test",
    }  # fmt: skip


def test_a_rerun_replaces_its_own_folders_but_never_a_users_dataset(tmp_path: Path) -> None:
    sets = [s for s in plan_standins(tiny_config()) if s.name in ("aptos2019", "rfmid")]
    write_standins(sets, tmp_path, workers=1, progress=False)
    stray = tmp_path / "aptos2019/train_images/stale.png"
    stray.write_bytes(b"old")
    real = tmp_path / "rfmid"
    for p in sorted(real.rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    (real / "my_labels.csv").write_text("ID,DR\n1,1\n", encoding="utf-8")
    written = write_standins(sets, tmp_path, workers=1, progress=False)
    assert not stray.exists()  # a generated folder is replaced whole
    assert "rfmid" not in written
    assert [p.name for p in real.iterdir()] == ["my_labels.csv"]


def test_two_processes_write_the_same_files_as_one(tmp_path: Path) -> None:
    config = tiny_config(sets={"odir5k": {"splits": {"all": 3}, "camera": {"heights": [96]}}})
    sets = [s for s in plan_standins(config) if s.name == "odir5k"]
    write_standins(sets, tmp_path / "one", workers=1, progress=False)
    write_standins(sets, tmp_path / "two", workers=2, progress=False)
    for p in (tmp_path / "one").rglob("*.jpg"):
        assert p.read_bytes() == (tmp_path / "two" / p.relative_to(tmp_path / "one")).read_bytes()
