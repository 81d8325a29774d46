"""Datasets for tables that stream, and for inputs that may be absent."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError


class ParquetShardsDataset(AbstractDataset[Iterable[pd.DataFrame | pa.Table], ds.Dataset]):
    """A folder of ``part-NNNNN.parquet`` files written from an iterable of chunks.

    Saving consumes the chunks one at a time (memory stays flat in the dataset's size)
    into a temporary sibling folder, then swaps it in, so readers never see half a
    dataset. Loading returns a lazy ``pyarrow.dataset.Dataset``.
    """

    def __init__(self, path: str, schema: pa.Schema | None = None, metadata: dict | None = None):
        self._path = Path(path)
        self._schema = schema
        self.metadata = metadata

    def load(self) -> ds.Dataset:
        """The dataset, lazily (``pyarrow.dataset.dataset(path)``)."""
        if not self._exists():
            raise DatasetError(
                f"{self._path} holds no Parquet files: run the pipeline that writes it"
            )
        return ds.dataset(self._path, format="parquet")

    def save(self, data: Iterable[pd.DataFrame | pa.Table]) -> None:
        """Write each chunk as one shard, then replace the folder atomically."""
        for stale in self._path.parent.glob(f".{self._path.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed
        tmp = self._path.with_name(f".{self._path.name}.tmp-{uuid.uuid4().hex[:8]}")
        tmp.mkdir(parents=True)
        try:
            n = 0
            for chunk in data:
                table = (
                    chunk
                    if isinstance(chunk, pa.Table)
                    else pa.Table.from_pandas(chunk, preserve_index=False)
                )
                if self._schema is not None:
                    table = table.cast(self._schema)
                pq.write_table(table, tmp / f"part-{n:05d}.parquet", compression="zstd")
                n += 1
            if n == 0 and self._schema is not None:
                pq.write_table(self._schema.empty_table(), tmp / "part-00000.parquet")
            if self._path.exists():
                shutil.rmtree(self._path)
            tmp.rename(self._path)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)

    def _exists(self) -> bool:
        return self._path.is_dir() and any(self._path.glob("*.parquet"))

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class OptionalCSVDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A CSV file that may not exist (e.g. the demo's ground truth for a real archive).

    Loading a missing file returns an empty table with ``columns``.
    """

    def __init__(
        self, filepath: str, columns: list[str] | None = None, metadata: dict | None = None
    ):
        self._filepath = Path(filepath)
        self._columns = columns or []
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        """The table, or an empty one when the file is absent."""
        if not self._filepath.exists():
            return pd.DataFrame(columns=self._columns)
        return pd.read_csv(self._filepath, dtype=str, keep_default_na=False)

    def save(self, data: pd.DataFrame) -> None:
        """Write the table as CSV."""
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        data.to_csv(self._filepath, index=False)

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
