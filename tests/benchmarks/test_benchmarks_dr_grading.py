"""DR-grading adapters: grades as classes, ungradable rows, splits, errors naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_layouts import (
    aptos2019,
    ddr,
    eyepacs,
    idrid,
    labels_of,
    messidor2,
    retfound_release,
    write_csv,
)

from revision_pipeline.benchmarks import (
    BenchmarkNotFound,
    EmptyBenchmark,
    LabelError,
    LayoutError,
    SingleClassBenchmark,
    load_benchmark,
)


def test_unknown_grade_names_file_and_row(tmp_path: Path) -> None:
    expected = aptos2019(tmp_path, grades=(0, 1, 7, 2))
    with pytest.raises(LabelError, match=r"train\.csv#3: label '7' is not one of") as err:
        load_benchmark("aptos2019", tmp_path)
    assert str(expected.label_file) in str(err.value)


def test_float_grades_are_read_as_classes(tmp_path: Path) -> None:
    aptos2019(tmp_path, grades=("0.0", "1", " 2", "4.0"))
    df = load_benchmark("aptos2019", tmp_path)
    assert sorted(df["label"]) == ["0", "1", "2", "4"]


def test_every_image_missing_is_an_empty_benchmark(tmp_path: Path) -> None:
    aptos2019(tmp_path, grades=(0, 1), missing=2)
    (tmp_path / "train_images").mkdir()
    with pytest.raises(EmptyBenchmark, match="no labelled image"):
        load_benchmark("aptos2019", tmp_path)


def test_one_class_set_is_refused_unless_allowed(tmp_path: Path) -> None:
    aptos2019(tmp_path, grades=(0, 0, 0))
    with pytest.raises(SingleClassBenchmark, match=r"only the class\(es\) \['0'\]"):
        load_benchmark("aptos2019", tmp_path)
    assert len(load_benchmark("aptos2019", tmp_path, min_classes=1)) == 3


def test_missing_column_is_a_layout_error(tmp_path: Path) -> None:
    aptos2019(tmp_path)
    write_csv(tmp_path / "train.csv", ["id_code", "grade"], [["a", 0]])
    with pytest.raises(LayoutError, match="no column 'diagnosis'"):
        load_benchmark("aptos2019", tmp_path)


def test_missing_image_folder_is_not_found(tmp_path: Path) -> None:
    write_csv(tmp_path / "trainLabels.csv", ["image", "level"], [["1_left", 0]])
    with pytest.raises(BenchmarkNotFound, match="image folder"):
        load_benchmark("eyepacs", tmp_path)


def test_unlabelled_test_set_of_aptos_is_not_read(tmp_path: Path) -> None:
    aptos2019(tmp_path)
    df = load_benchmark("aptos2019", tmp_path)
    assert not any("test_images" in p for p in df["image_path"])


def test_eyepacs_test_solution_adds_a_test_split(tmp_path: Path) -> None:
    expected = eyepacs(tmp_path, with_test=True)
    df = load_benchmark("eyepacs", tmp_path)
    assert df["split"].value_counts().to_dict() == dict(expected.splits)
    assert set(df.loc[df["split"] == "test", "usage"]) == {"Public", "Private"}


def test_idrid_keeps_dme_risk_and_reads_the_trailing_space_header(tmp_path: Path) -> None:
    idrid(tmp_path)
    df = load_benchmark("idrid", tmp_path / "B. Disease Grading")  # a level below
    assert set(df["dme_risk"]) == {"0"}
    assert df["image_id"].iloc[0] == "IDRiD_001"


def test_messidor_ungradable_rows_are_listed_not_returned(tmp_path: Path) -> None:
    messidor2(tmp_path)
    df = load_benchmark("messidor2", tmp_path)
    assert "IM003718.jpg" not in set(df["image_id"])
    [row] = df.attrs["unlabelled"]
    assert row["source"].endswith("messidor_data.csv#5")
    assert "ungradable" in row["reason"]
    assert df.loc[df["image_id"] == "IM002385.jpg", "image_path"].item().endswith("IM002385.JPG")


def test_ddr_grade_5_is_unlabelled(tmp_path: Path) -> None:
    ddr(tmp_path)
    df = load_benchmark("ddr", tmp_path)
    assert "5" not in set(df["label"])
    assert df.attrs["unlabelled"][0]["reason"] == "ungradable (DDR grade 5)"


def test_ddr_line_without_grade_is_a_layout_error(tmp_path: Path) -> None:
    ddr(tmp_path)
    path = tmp_path / "DDR-dataset" / "DR_grading" / "valid.txt"
    path.write_text("007-0000-valid.jpg 3\nbroken\n")
    with pytest.raises(LayoutError, match=r"valid\.txt#2"):
        load_benchmark("ddr", tmp_path)


@pytest.mark.parametrize(
    ("name", "folders"),
    [
        ("idrid", ["anoDR", "bmildDR", "cmoderateDR", "dsevereDR", "eproDR"]),
        ("aptos2019", ["anodr", "bmilddr", "cmoderatedr", "dseveredr", "eproliferativedr"]),
        ("messidor2", ["anodr", "bmilddr", "cmoderatedr", "dseveredr", "eproliferativedr"]),
    ],
)
def test_retfound_release_is_read_as_grades(name: str, folders: list[str], tmp_path: Path) -> None:
    expected = retfound_release(tmp_path / name.upper(), folders, ["0", "1", "2", "3", "4"])
    df = load_benchmark(name, tmp_path)
    assert labels_of(df) == expected.labels
    assert df["split"].value_counts().to_dict() == dict(expected.splits)


def test_unknown_folder_in_a_retfound_tree_is_not_taken_for_the_set(tmp_path: Path) -> None:
    retfound_release(tmp_path, ["anodr", "bmilddr", "zzz"], ["0", "1", "zzz"])
    with pytest.raises(BenchmarkNotFound, match=r"train\.csv"):
        load_benchmark("aptos2019", tmp_path)
