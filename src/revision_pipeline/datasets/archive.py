"""A folder-shaped dataset: the institution archive of docs/contracts.md §3."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol

from kedro.io import AbstractDataset, DatasetError


class ArchiveWriter(Protocol):
    """Anything that can write an archive into a folder (e.g. a synthetic archive)."""

    def write(self, root: Path) -> Any: ...


class ArchiveDataset(AbstractDataset[ArchiveWriter, Path]):
    """The archive folder. Loading returns its path; saving lets a writer fill it.

    Saving replaces the folder's content only when it is empty or was itself
    generated (it holds ``marker``): a real archive is never overwritten.
    """

    def __init__(
        self, path: str, marker: str = "SYNTHETIC_ARCHIVE.txt", metadata: dict | None = None
    ):
        self._path = Path(path)
        self._marker = marker
        self.metadata = metadata

    def load(self) -> Path:
        """The archive root, after checking that it exists."""
        if not self._path.is_dir():
            raise DatasetError(
                f"Archive folder {self._path} does not exist: put an archive there "
                "(docs/contracts.md §3) or run `kedro run --pipeline=demo_archive`."
            )
        return self._path.resolve()

    def save(self, data: ArchiveWriter) -> None:
        """Write the archive with ``data.write(root)``, replacing a generated one."""
        if self._path.is_dir() and any(self._path.iterdir()):
            if not (self._path / self._marker).exists():
                raise DatasetError(
                    f"Refusing to overwrite {self._path}: it is not empty and was not generated "
                    f"by this project (no {self._marker}). Move it away first."
                )
            shutil.rmtree(self._path)
        self._path.mkdir(parents=True, exist_ok=True)
        data.write(self._path)

    def _exists(self) -> bool:
        return self._path.is_dir() and any(self._path.iterdir())

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "marker": self._marker}
