"""The ``demo_benchmarks`` pipeline in process: stand-ins land in the catalog's folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from revision_pipeline.datasets.standins import StandInsDataset
from revision_pipeline.pipelines.demo_archive import create_pipeline as demo_archive
from revision_pipeline.pipelines.demo_benchmarks import create_pipeline

TINY = {
    "seed": 5,
    "workers": 1,
    "min_per_class": 0,
    "sets": {
        name: {"splits": {split: 2}, "camera": {"heights": [96]}, "odd": 1}
        for name, split in (
            ("aptos2019", "train"),
            ("messidor2", "all"),
            ("idrid", "test"),
            ("odir5k", "all"),
            ("rfmid", "val"),
            ("imagefolder_demo", "val"),
        )
    },
}


def test_demo_benchmarks_writes_every_stand_in(tmp_path: Path) -> None:
    root = tmp_path / "benchmarks"
    catalog = DataCatalog(
        {
            "params:demo_archive.benchmarks": MemoryDataset(TINY),
            "demo_benchmarks": StandInsDataset(str(root)),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    names = sorted(p.name for p in root.iterdir())
    assert names == ["aptos2019", "idrid", "imagefolder_demo", "messidor2", "odir5k", "rfmid"]
    for name in names:
        truth = pd.read_csv(root / name / "_truth.csv", dtype=str, keep_default_na=False)
        assert all((root / name / p).exists() for p in truth.loc[truth.written == "True", "path"])
    assert catalog.load("demo_benchmarks") == root.resolve()


def test_demo_archive_includes_demo_benchmarks() -> None:
    names = {n.name for n in demo_archive().nodes}
    assert names == {"generate_demo_archive", "generate_demo_benchmarks"}
    assert "demo_benchmarks" in demo_archive().all_outputs()
