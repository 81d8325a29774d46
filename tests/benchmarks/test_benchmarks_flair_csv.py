"""flair_csv: a CSV of image paths and labels."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_layouts import flair_csv, write_csv

from revision_pipeline.benchmarks import BenchmarkNotFound, LabelError, load_benchmark


def test_folder_with_one_csv_is_accepted(tmp_path: Path) -> None:
    flair_csv(tmp_path)
    assert len(load_benchmark("flair_csv", tmp_path)) == 4


def test_two_csvs_need_the_file_named(tmp_path: Path) -> None:
    flair_csv(tmp_path)
    write_csv(tmp_path / "other.csv", ["image", "label"], [])
    with pytest.raises(BenchmarkNotFound, match="give the CSV file itself"):
        load_benchmark("flair_csv", tmp_path)


def test_a_list_of_two_labels_is_refused(tmp_path: Path) -> None:
    expected = flair_csv(tmp_path)
    write_csv(expected.root, ["path", "class"], [["images/a.png", "['a', 'b']"]])
    with pytest.raises(LabelError, match=r"labels\.csv#1"):
        load_benchmark("flair_csv", expected.root)


def test_missing_image_is_dropped_with_its_row(tmp_path: Path) -> None:
    expected = flair_csv(tmp_path)
    (tmp_path / "images" / "c.png").unlink()
    df = load_benchmark("flair_csv", expected.root)
    assert df.attrs["dropped"][0]["source"].endswith("labels.csv#3")
    assert len(df) == 3
