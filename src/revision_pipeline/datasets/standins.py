"""The folder of benchmark datasets (``data/01_raw/benchmarks``), filled by a writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from kedro.io import AbstractDataset, DatasetError


class FolderWriter(Protocol):
    """Anything that writes into a folder (e.g. the synthetic benchmark stand-ins)."""

    def write(self, root: Path) -> Any: ...


class StandInsDataset(AbstractDataset[FolderWriter, Path]):
    """The benchmarks folder. Loading returns its path; saving lets a writer fill it.

    The writer decides what it may replace (the stand-ins replace only their own
    marked sub-folders, never a dataset a user put there), so saving never deletes the
    folder itself.
    """

    def __init__(self, path: str, metadata: dict | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> Path:
        """The folder's absolute path, after checking that it exists."""
        if not self._path.is_dir():
            raise DatasetError(
                f"Benchmark folder {self._path} does not exist: put datasets there "
                "or run `kedro run --pipeline=demo_benchmarks`."
            )
        return self._path.resolve()

    def save(self, data: FolderWriter) -> None:
        """Create the folder and let ``data.write(root)`` fill it."""
        self._path.mkdir(parents=True, exist_ok=True)
        data.write(self._path)

    def _exists(self) -> bool:
        return self._path.is_dir() and any(self._path.iterdir())

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
