"""FolderDataset: a versioned folder; ``missing_ok`` lets a consumer be pointed elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DatasetError, Version

from revision_pipeline.datasets.folders import FolderDataset


def test_missing_folder_is_none_only_when_allowed(tmp_path: Path) -> None:
    version = Version(None, None)
    assert FolderDataset(str(tmp_path / "m"), version, missing_ok=True).load() is None
    with pytest.raises(DatasetError):
        FolderDataset(str(tmp_path / "m"), version).load()


def test_saved_folder_loads_its_latest_version(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "config.json").write_text("{}")
    FolderDataset(str(tmp_path / "m"), Version(None, "2026-01-01T00.00.00.000Z")).save(source)
    loaded = FolderDataset(str(tmp_path / "m"), Version(None, None), missing_ok=True).load()
    assert (Path(loaded) / "config.json").is_file()
