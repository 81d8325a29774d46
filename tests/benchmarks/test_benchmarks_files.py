"""File finding: ids in any case and extension, label files at any usual depth."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmark_layouts import image

from revision_pipeline.benchmarks._files import ImageIndex, find_dir, find_file, grade
from revision_pipeline.benchmarks.errors import BenchmarkNotFound


def test_image_index_resolves_case_and_extension(tmp_path: Path) -> None:
    image(tmp_path / "IM001.JPG")
    image(tmp_path / "b.png")
    image(tmp_path / "b.jpg")
    index = ImageIndex(tmp_path)
    assert index.resolve("im001.jpg") == str(tmp_path / "IM001.JPG")
    assert index.resolve("IM001") == str(tmp_path / "IM001.JPG")
    assert index.resolve("IM001.png") == str(tmp_path / "IM001.JPG")  # converted sets keep ids
    assert index.resolve("b") == str(tmp_path / "b.png")  # .png preferred, deterministic
    assert index.resolve("c") is None
    assert index.expected("c") == f"{tmp_path / 'c'}.*"


def test_find_file_prefers_the_shallowest(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "train.csv").write_text("x")
    (tmp_path / "a" / "TRAIN.CSV").write_text("x")
    assert find_file(tmp_path, ["train.csv"]) == tmp_path / "a" / "TRAIN.CSV"
    with pytest.raises(BenchmarkNotFound, match=r"'test\.csv'"):
        find_file(tmp_path, ["test.csv"])


def test_find_file_looks_one_level_up(tmp_path: Path) -> None:
    (tmp_path / "train_images").mkdir()
    (tmp_path / "train.csv").write_text("x")
    assert find_file(tmp_path / "train_images", ["train.csv"]) == tmp_path / "train.csv"


def test_find_dir_enters_a_doubled_folder(tmp_path: Path) -> None:
    image(tmp_path / "train_images" / "train_images" / "a.png")
    assert find_dir(tmp_path, ["train_images"]) == tmp_path / "train_images" / "train_images"


@pytest.mark.parametrize(("raw", "out"), [("2", "2"), ("2.0", "2"), (" 3 ", "3"), ("x", "x")])
def test_grade(raw: str, out: str) -> None:
    assert grade(raw) == out
