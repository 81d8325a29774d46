"""RFMiD: disease columns set to 1 as the label list."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from benchmark_layouts import RFMID_DISEASES, rfmid, write_csv

from revision_pipeline.benchmarks import LabelError, LayoutError, benchmark_info, load_benchmark


def test_disease_columns_are_the_classes() -> None:
    assert benchmark_info("rfmid").classes == ("normal", *RFMID_DISEASES)


def test_a_flag_other_than_0_or_1_names_the_row(tmp_path: Path) -> None:
    rfmid(tmp_path, extra_value="2")
    with pytest.raises(LabelError, match=r"RFMiD_Training_Labels\.csv#2: column 'ARMD' holds '2'"):
        load_benchmark("rfmid", tmp_path)


def test_an_unknown_disease_column_is_a_layout_error(tmp_path: Path) -> None:
    rfmid(tmp_path)
    path = tmp_path / "Test_Set/Test_Set/RFMiD_Testing_Labels.csv"
    write_csv(path, ["ID", "Disease_Risk", "DR", "XYZ"], [[1, 1, 1, 0]])
    with pytest.raises(LayoutError, match="XYZ"):
        load_benchmark("rfmid", tmp_path)


def test_training_set_alone_has_no_split(tmp_path: Path) -> None:
    rfmid(tmp_path)
    shutil.rmtree(tmp_path / "Evaluation_Set")
    shutil.rmtree(tmp_path / "Test_Set")
    df = load_benchmark("rfmid", tmp_path / "Training_Set")
    assert "split" not in df.columns
    assert len(df) == 4
    assert df.loc[df["image_id"] == "3", "label"].item() == ["DR", "MH"]


def test_risk_without_disease_is_unlabelled(tmp_path: Path) -> None:
    rfmid(tmp_path)
    path = tmp_path / "Evaluation_Set/Evaluation_Set/RFMiD_Validation_Labels.csv"
    rows = [[1, 1, *[0] * len(RFMID_DISEASES)], [2, 0, *[0] * len(RFMID_DISEASES)]]
    write_csv(path, ["ID", "Disease_Risk", *RFMID_DISEASES], rows)
    df = load_benchmark("rfmid", tmp_path)
    assert df.attrs["unlabelled"][0]["source"].endswith("RFMiD_Validation_Labels.csv#1")
