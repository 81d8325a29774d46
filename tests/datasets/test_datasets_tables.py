"""ParquetShardsDataset and OptionalCSVDataset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from kedro.io import DatasetError

from revision_pipeline.datasets.tables import OptionalCSVDataset, ParquetShardsDataset

SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.string())])


def test_chunks_become_shards_readable_as_one_dataset(tmp_path: Path) -> None:
    dataset = ParquetShardsDataset(str(tmp_path / "pairs"), schema=SCHEMA)
    dataset.save(pd.DataFrame({"a": [i], "b": [str(i)]}) for i in range(3))
    assert sorted(p.name for p in (tmp_path / "pairs").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    table = dataset.load().to_table()
    assert table.schema == SCHEMA and sorted(table.column("a").to_pylist()) == [0, 1, 2]


def test_no_chunks_with_a_schema_is_an_empty_dataset(tmp_path: Path) -> None:
    dataset = ParquetShardsDataset(str(tmp_path / "pairs"), schema=SCHEMA)
    dataset.save(iter(()))
    assert dataset.load().count_rows() == 0


def test_a_failing_writer_keeps_the_previous_dataset(tmp_path: Path) -> None:
    dataset = ParquetShardsDataset(str(tmp_path / "pairs"), schema=SCHEMA)
    dataset.save([pd.DataFrame({"a": [1], "b": ["x"]})])

    def chunks():
        yield pd.DataFrame({"a": [2], "b": ["y"]})
        raise OSError(28, "No space left on device")

    with pytest.raises(DatasetError, match="No space"):
        dataset.save(chunks())
    assert dataset.load().to_table().column("a").to_pylist() == [1]
    assert [p.name for p in tmp_path.iterdir()] == ["pairs"]


def test_temporaries_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / ".pairs.tmp-deadbeef"
    stale.mkdir()
    (stale / "part-00000.parquet").write_bytes(b"half")
    dataset = ParquetShardsDataset(str(tmp_path / "pairs"), schema=SCHEMA)
    dataset.save([pd.DataFrame({"a": [1], "b": ["x"]})])
    assert [p.name for p in tmp_path.iterdir()] == ["pairs"]


def test_loading_nothing_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="holds no Parquet files"):
        ParquetShardsDataset(str(tmp_path / "pairs")).load()


def test_optional_csv(tmp_path: Path) -> None:
    missing = OptionalCSVDataset(str(tmp_path / "t.csv"), columns=["x", "y"])
    assert list(missing.load().columns) == ["x", "y"] and missing.load().empty
    missing.save(pd.DataFrame({"x": ["007"], "y": ["a"]}))
    assert missing.load()["x"].tolist() == ["007"]  # read as text: leading zeros kept
