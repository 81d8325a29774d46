"""REFUGE and PAPILA: labels in spreadsheets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from benchmark_layouts import papila, refuge

from revision_pipeline.benchmarks import LabelError, load_benchmark


def test_papila_unknown_diagnosis_names_the_row(tmp_path: Path) -> None:
    papila(tmp_path, diagnoses=(0, 1, 5))
    with pytest.raises(LabelError, match=r"patient_data_od\.xlsx#5: Diagnosis '5'"):
        load_benchmark("papila", tmp_path)


def test_papila_rows_carry_patient_and_eye(tmp_path: Path) -> None:
    papila(tmp_path)
    df = load_benchmark("papila", tmp_path)
    row = df.loc[df["image_id"] == "RET004OS"].iloc[0]
    assert (row["label"], row["eye"], row["patient_id"]) == ("glaucoma", "OS", "004")


def test_refuge_training_folders_alone(tmp_path: Path) -> None:
    refuge(tmp_path)
    for folder in ("REFUGE-Validation400-GT", "REFUGE-Test-GT"):
        shutil.rmtree(tmp_path / folder)
    df = load_benchmark("refuge", tmp_path)
    assert "split" not in df.columns  # one publisher split only
    assert sorted(df["label"]) == ["glaucoma", "non-glaucoma", "non-glaucoma"]


def test_refuge_bad_label_names_the_row(tmp_path: Path) -> None:
    import pandas as pd

    refuge(tmp_path)
    sheet = tmp_path / "REFUGE-Test-GT" / "Glaucoma_label_and_Fovea_location.xlsx"
    pd.DataFrame({"ImgName": ["T0001.jpg"], "Label(Glaucoma=1)": ["maybe"]}).to_excel(
        sheet, index=False
    )
    with pytest.raises(LabelError, match=r"Glaucoma_label_and_Fovea_location\.xlsx#1"):
        load_benchmark("refuge", tmp_path)


def test_refuge_ground_truth_is_not_taken_for_photos(tmp_path: Path) -> None:
    refuge(tmp_path)
    df = load_benchmark("refuge", tmp_path)
    assert not any(p.endswith(".bmp") or "Annotation" in p for p in df["image_path"])
    assert df.attrs["dropped"] == []
