"""Class-folder sets: imagefolder, JSIEC, Retina, Glaucoma-Fundus."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from benchmark_layouts import JSIEC_FOLDERS, class_folders, labels_of, retfound_release

from revision_pipeline.benchmarks import (
    LabelError,
    SingleClassBenchmark,
    benchmark_info,
    load_benchmark,
)


def test_imagefolder_without_split_level(tmp_path: Path) -> None:
    class_folders(tmp_path, ["b", "a"], splits=None, per_class=3, suffix=".JPEG")
    df = load_benchmark("imagefolder", tmp_path)
    assert "split" not in df.columns
    assert labels_of(df) == {"a": 3, "b": 3}
    assert df.attrs["classes"] == ("a", "b")


def test_imagefolder_classes_come_from_the_root(tmp_path: Path) -> None:
    class_folders(tmp_path, ["normal", "glaucoma"], splits=("train", "valid", "test"))
    assert benchmark_info("imagefolder", tmp_path).classes == ("glaucoma", "normal")
    assert set(load_benchmark("imagefolder", tmp_path)["split"]) == {"train", "val", "test"}


def test_imagefolder_with_one_class_is_refused(tmp_path: Path) -> None:
    class_folders(tmp_path, ["normal"], splits=None)
    with pytest.raises(SingleClassBenchmark, match="normal"):
        load_benchmark("imagefolder", tmp_path)
    assert benchmark_info("imagefolder", tmp_path).classes == ("normal",)


def test_non_image_files_are_ignored(tmp_path: Path) -> None:
    class_folders(tmp_path, ["a", "b"], splits=None, per_class=1)
    (tmp_path / "a" / "Thumbs.db").write_bytes(b"x")
    (tmp_path / "a" / "readme.txt").write_text("x")
    assert len(load_benchmark("imagefolder", tmp_path)) == 2


def test_jsiec_unknown_folder_is_named(tmp_path: Path) -> None:
    class_folders(tmp_path / "1000images", [*JSIEC_FOLDERS, "40.Unknown"], splits=None)
    with pytest.raises(LabelError, match=r"'40\.Unknown' is not a class of jsiec"):
        load_benchmark("jsiec", tmp_path)


def test_jsiec_has_39_classes() -> None:
    classes = benchmark_info("jsiec").classes
    assert len(classes) == 39
    assert set(JSIEC_FOLDERS) <= set(classes)


@pytest.mark.parametrize(
    ("name", "folders", "classes"),
    [
        ("retina", ["anormal", "bcataract", "cglaucoma", "ddretina_disease"],
         ["normal", "cataract", "glaucoma", "retina_disease"]),
        ("glaucoma_fundus", ["anormal_control", "bearly_glaucoma", "cadvanced_glaucoma"],
         ["normal", "early", "advanced"]),
        ("papila", ["anormal", "bsuspectglaucoma", "cglaucoma"],
         ["healthy", "suspect", "glaucoma"]),
        ("jsiec", JSIEC_FOLDERS, JSIEC_FOLDERS),
    ],
)  # fmt: skip
def test_retfound_release_of_folder_sets(
    name: str, folders: list[str], classes: list[str], tmp_path: Path
) -> None:
    expected = retfound_release(tmp_path, folders, classes)
    df = load_benchmark(name, tmp_path)
    assert labels_of(df) == expected.labels
    assert df["split"].value_counts().to_dict() == dict(expected.splits)


def test_folders_beside_the_splits_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class_folders(tmp_path, ["a", "b"], splits=("train", "test"), per_class=1)
    class_folders(tmp_path / "extras", ["c"], splits=None, per_class=1)
    with caplog.at_level(logging.WARNING, logger="revision_pipeline.benchmarks"):
        df = load_benchmark("imagefolder", tmp_path)
    assert set(df["label"]) == {"a", "b"}
    assert "['extras']" in caplog.text
