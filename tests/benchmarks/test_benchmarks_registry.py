"""The registry: every adapter reads its publisher's layout into the one table."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from benchmark_layouts import LAYOUTS, labels_of

from revision_pipeline.benchmarks import (
    BenchmarkError,
    BenchmarkNotFound,
    UnknownBenchmark,
    benchmark_info,
    list_benchmarks,
    load_benchmark,
    register_benchmark,
)
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.registry import _REGISTRY

REGISTERED = [
    "aptos2019", "messidor2", "idrid", "eyepacs", "ddr", "refuge", "papila", "glaucoma_fundus",
    "odir5k", "rfmid", "jsiec", "retina", "imagefolder", "flair_csv",
]  # fmt: skip


def test_list_benchmarks_is_complete_and_sorted() -> None:
    assert list_benchmarks() == sorted(REGISTERED)


def test_every_registered_adapter_has_a_fixture() -> None:
    assert set(LAYOUTS) == set(list_benchmarks())


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_adapter_reads_its_publishers_layout(name: str, tmp_path: Path) -> None:
    expected = LAYOUTS[name](tmp_path / name)
    df = load_benchmark(name, expected.root)
    info = benchmark_info(name, expected.root)

    assert list(df.columns[:2]) == ["image_path", "label"]
    assert {"image_id", "source"} <= set(df.columns)
    assert labels_of(df) == expected.labels
    for path in df["image_path"]:
        assert isinstance(path, str)
        assert Path(path).is_absolute()
        assert Path(path).is_file()
    values = {v for lab in df["label"] for v in (lab if info.task == "multi" else [lab])}
    assert values <= set(info.classes)
    if info.task == "multi":
        assert all(isinstance(v, list) and v for v in df["label"])
    if expected.splits is None:
        assert "split" not in df.columns
    else:
        assert df["split"].value_counts().to_dict() == dict(expected.splits)
    assert df.attrs["dropped"] == []
    assert len(df.attrs["unlabelled"]) == expected.unlabelled
    assert df.attrs["classes"] == info.classes
    assert df.index.tolist() == list(range(len(df)))


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_row_order_is_deterministic(name: str, tmp_path: Path) -> None:
    expected = LAYOUTS[name](tmp_path / name)
    first = load_benchmark(name, expected.root)
    second = load_benchmark(name, expected.root)
    pd.testing.assert_frame_equal(first, second)
    order = ["train", "val", "test"]
    if "split" in first.columns:
        ranks = [order.index(s) for s in first["split"]]
        assert ranks == sorted(ranks)


@pytest.mark.parametrize("name", sorted(set(LAYOUTS) - {"flair_csv"}))
def test_root_one_level_above_is_accepted(name: str, tmp_path: Path) -> None:
    expected = LAYOUTS[name](tmp_path / "downloads" / name)
    df = load_benchmark(name, tmp_path / "downloads")
    assert labels_of(df) == expected.labels


FOLDER_SETS = {"imagefolder", "jsiec", "retina", "glaucoma_fundus"}


@pytest.mark.parametrize("name", sorted(set(LAYOUTS) - FOLDER_SETS - {"flair_csv"}))
def test_missing_label_file_is_named(name: str, tmp_path: Path) -> None:
    root = tmp_path / name
    (root / "some_images").mkdir(parents=True)
    with pytest.raises(BenchmarkNotFound, match=str(root)):
        load_benchmark(name, root)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_missing_root_is_named(name: str, tmp_path: Path) -> None:
    with pytest.raises(BenchmarkNotFound, match="does not exist") as err:
        load_benchmark(name, tmp_path / "absent")
    assert str(tmp_path / "absent") in str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("name", sorted(FOLDER_SETS))
def test_folder_set_without_class_folders_is_not_found(name: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BenchmarkNotFound, match="no class folders"):
        load_benchmark(name, tmp_path)


def test_benchmark_info_fields() -> None:
    info = benchmark_info("aptos2019")
    assert info.classes == ("0", "1", "2", "3", "4")
    assert info.graded and info.task == "single"
    assert info.title and info.url.startswith("https://") and info.licence
    assert benchmark_info("odir5k").task == "multi"
    assert benchmark_info("rfmid").classes[0] == "normal"
    assert benchmark_info("imagefolder").generic
    assert benchmark_info("imagefolder").classes == ()
    for name in list_benchmarks():
        info = benchmark_info(name)
        assert info.generic or len(info.classes) >= 2, name
        assert len(set(info.classes)) == len(info.classes), name


def test_unknown_benchmark_lists_the_registered_names() -> None:
    with pytest.raises(UnknownBenchmark, match="aptos2019") as err:
        load_benchmark("aptos", "/tmp")
    assert isinstance(err.value, BenchmarkError)
    with pytest.raises(UnknownBenchmark):
        benchmark_info("aptos")


def test_register_a_user_adapter(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "b.png").write_bytes(b"x")

    @register_benchmark(
        "my_set", task="single", classes=("yes", "no"), title="Mine", url="file://", licence="own"
    )
    def _load(root: Path) -> RawTable:
        return RawTable(rows=[
            {"image_path": root / "a.png", "expected": "", "label": "yes", "image_id": "a",
             "source": "x#1"},
            {"image_path": root / "b.png", "expected": "", "label": "no", "image_id": "b",
             "source": "x#2"},
        ])  # fmt: skip

    try:
        assert "my_set" in list_benchmarks()
        assert benchmark_info("my_set").classes == ("yes", "no")
        assert load_benchmark("my_set", tmp_path)["label"].tolist() == ["yes", "no"]
        with pytest.raises(BenchmarkError, match="already registered"):
            register_benchmark("my_set")(lambda root: RawTable())
    finally:
        _REGISTRY.pop("my_set")


def test_missing_images_are_dropped_listed_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    expected = LAYOUTS["aptos2019"](tmp_path)
    expected.images[0].unlink()
    with caplog.at_level(logging.WARNING, logger="revision_pipeline.benchmarks"):
        df = load_benchmark("aptos2019", tmp_path)
    assert len(df) == sum(expected.labels.values()) - 1
    dropped = df.attrs["dropped"]
    assert dropped == [{
        "source": f"{expected.label_file}#1",
        "reason": f"image not found: {tmp_path / 'train_images' / '0000ab0'}.*",
    }]  # fmt: skip
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "1 of 7" in warnings[0].getMessage()


def test_adapters_import_neither_torch_nor_kedro() -> None:
    script = (
        "import sys\n"
        "from revision_pipeline.benchmarks import list_benchmarks\n"
        "list_benchmarks()\n"
        "print(sorted(m for m in ('torch', 'kedro', 'torchvision') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
