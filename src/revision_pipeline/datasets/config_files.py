"""Configuration-like inputs read through the catalog, so they show in the lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from revision_pipeline.archive import Dialect, load_dialects
from revision_pipeline.deid import load_or_create_secret


class DialectsDataset(AbstractDataset[None, dict[str, Dialect]]):
    """``conf/base/institutions.yml``, validated (errors name the file and the key)."""

    def __init__(self, filepath: str, metadata: dict | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> dict[str, Dialect]:
        """Institution id -> validated dialect."""
        return load_dialects(self._filepath)

    def save(self, data: None) -> None:
        """Read-only."""
        raise DatasetError(f"{self._filepath} is configuration: edit it by hand")

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class SecretDataset(AbstractDataset[None, bytes]):
    """The pseudonymisation key from ``conf/local/credentials.yml``, created when missing.

    The key never leaves this dataset except as bytes handed to the de-identification
    node; it is not logged, and the file lives in ``conf/local`` (never committed).
    """

    def __init__(self, filepath: str, metadata: dict | None = None):
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> bytes:
        """The secret key."""
        return load_or_create_secret(self._filepath)

    def save(self, data: None) -> None:
        """Read-only."""
        raise DatasetError(
            "the pseudonymisation secret is created on first use, never saved by a node"
        )

    def _exists(self) -> bool:
        return self._filepath.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
