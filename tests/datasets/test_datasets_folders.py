"""FolderDataset: a saved folder appears whole or not at all; ``missing_ok`` lets a
consumer be pointed elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DatasetError, Version

from revision_pipeline.datasets.folders import FolderDataset


def _folder(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "weights.txt").write_text(text)
    return folder


def test_round_trip_unversioned(tmp_path: Path) -> None:
    dataset = FolderDataset(str(tmp_path / "out" / "model"))
    dataset.save(_folder(tmp_path, "a", "one"))
    dataset.save(_folder(tmp_path, "b", "two"))  # replaces, never merges
    loaded = dataset.load()
    assert (loaded / "weights.txt").read_text() == "two"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model"]


def test_latest_version_is_loaded_and_temporaries_are_not_versions(tmp_path: Path) -> None:
    path = str(tmp_path / "models" / "retina_clip")
    FolderDataset(path, version=Version(None, "2026-01-01T00.00.00.000Z")).save(
        _folder(tmp_path, "a", "old")
    )
    # what a kill during a later save's copy leaves behind
    later = tmp_path / "models" / "retina_clip" / "2026-02-01T00.00.00.000Z"
    partial = later / ".retina_clip.tmp-1"
    partial.mkdir(parents=True)
    (partial / "weights.txt").write_text("half")
    loaded = FolderDataset(path, version=Version(None, None)).load()
    assert (loaded / "weights.txt").read_text() == "old"


def test_failed_copy_leaves_no_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    def broken_copy(src: Path, dst: Path, **kwargs: object) -> None:
        Path(dst).mkdir()
        (Path(dst) / "weights.txt").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copytree", broken_copy)
    dataset = FolderDataset(str(tmp_path / "out" / "model"))
    with pytest.raises(DatasetError, match="No space left"):
        dataset.save(_folder(tmp_path, "a", "one"))
    assert not (tmp_path / "out" / "model").exists()
    assert list((tmp_path / "out").iterdir()) == []


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="run the pipeline that writes it"):
        FolderDataset(str(tmp_path / "nothing")).load()
    with pytest.raises(DatasetError, match="expected a folder"):
        FolderDataset(str(tmp_path / "x")).save(tmp_path / "missing")


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
