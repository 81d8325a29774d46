"""Finding an export, and refusing an altered or incomplete one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from revision_pipeline.deploy.bundle import (
    MANIFEST,
    VARIANTS,
    ExportError,
    find_latest_export,
    model_version,
    read_manifest,
    resolve_export,
    write_manifest,
)


def _fake_export(folder: Path, tag: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "classes.json").write_text(f'{{"tag": "{tag}"}}')
    write_manifest(folder, {"model_id": tag})
    return folder


def test_the_latest_version_is_found_from_the_project_root_or_below(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "data" / "06_models" / "screening"
    _fake_export(root / "2026-01-01T00.00.00.000Z" / "screening", "old")
    new = _fake_export(root / "2026-02-01T00.00.00.000Z" / "screening", "new")
    (root / "2026-03-01T00.00.00.000Z").mkdir()  # an interrupted save: no manifest
    assert resolve_export(root) == new
    assert resolve_export(new.parent) == new and resolve_export(new) == new
    deep = tmp_path / "notebooks" / "x"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_latest_export() == new


def test_no_export_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="kedro run --pipeline=export"):
        find_latest_export(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="no screening export in"):
        resolve_export(tmp_path / "empty")
    with pytest.raises(ExportError, match="does not exist"):
        resolve_export(tmp_path / "nowhere")


def test_an_altered_or_missing_file_is_refused(tmp_path: Path) -> None:
    folder = _fake_export(tmp_path / "e", "x")
    assert read_manifest(folder)["model_id"] == "x"
    (folder / "classes.json").write_text('{"tag": "y"}')
    with pytest.raises(ExportError, match="does not match its sha256"):
        read_manifest(folder)
    assert read_manifest(folder, verify=False)["model_id"] == "x"
    (folder / "classes.json").unlink()
    with pytest.raises(ExportError, match=r"listed in manifest\.json but missing"):
        read_manifest(folder)
    (folder / MANIFEST).unlink()
    with pytest.raises(ExportError, match="not a screening export"):
        read_manifest(folder)


def test_model_version_is_the_kedro_version_folder(tmp_path: Path) -> None:
    assert model_version(tmp_path / "2026-12-03T12.28.45.124Z" / "retina_clip") == (
        "2026-12-03T12.28.45.124Z"
    )
    assert model_version(tmp_path / "elsewhere" / "my_model") == "my_model"


def test_a_copied_export_still_loads(tiny_export: Path, tmp_path: Path) -> None:
    """A clinic copies the folder: nothing in it depends on where it was written."""
    from revision_pipeline.deploy.runtime import ScreeningModel

    copy = shutil.copytree(tiny_export, tmp_path / "usb" / "screening")
    model = ScreeningModel(copy, "int8", threads=1)
    assert model.model_id.endswith(":int8") and model.labels[0] == "normal"
    assert set(VARIANTS) == {"fp32", "int8"}
