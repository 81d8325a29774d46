"""The export pipeline in process on a tiny random model, and its place in the registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from evaluation_helpers import save_tiny_model
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from revision_pipeline.deploy.bundle import read_manifest
from revision_pipeline.deploy.runtime import ScreeningModel
from revision_pipeline.pipelines.export import create_pipeline


def _run(tmp_path: Path, model: Path | None, params: dict) -> dict:
    catalog = DataCatalog(
        {
            "retina_clip": MemoryDataset(model, copy_mode="assign"),
            "params:export": MemoryDataset({"work_dir": str(tmp_path / "work"), **params}),
            "params:curate": MemoryDataset(
                {"image_side": 256, "jpeg_quality": 85, "quality": {"min_focus": 0.3}}
            ),
        }
    )
    outputs = SequentialRunner().run(create_pipeline(), catalog)
    return {k: v.load() if hasattr(v, "load") else v for k, v in outputs.items()}


@pytest.mark.slow
def test_export_pipeline_writes_a_screening_folder(tmp_path: Path) -> None:
    other = save_tiny_model(tmp_path / "elsewhere" / "chosen_model")
    latest = tmp_path / "models" / "2026-01-01T00.00.00.000Z" / "retina_clip"  # never read
    # export.model_dir wins over the latest retina_clip, as evaluate.model_dir does
    out = _run(tmp_path, latest, {"model_dir": str(other), "int8": False})
    folder = Path(out["screening_model"])
    manifest = read_manifest(folder)
    assert manifest["model_version"] == "chosen_model"
    assert manifest["variants"] == ["fp32"]
    model = ScreeningModel(folder, threads=1)
    assert model.preprocessing.crop_side == 256 and model.preprocessing.jpeg_quality == 85
    assert model.thresholds.min_focus == 0.3


def test_no_model_is_an_error_that_says_what_to_run(tmp_path: Path) -> None:
    from revision_pipeline.evaluation.features import ModelLoadError

    with pytest.raises(ModelLoadError, match="kedro run --pipeline=pretrain"):
        _run(tmp_path, None, {})
    with pytest.raises(ModelLoadError, match=r"does not exist \(export.model_dir\)"):
        _run(tmp_path, None, {"model_dir": str(tmp_path / "nowhere")})


def test_params_are_validated_at_start(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="int9"):
        _run(tmp_path, None, {"int9": True})


def test_export_is_registered_but_not_in_the_default_run() -> None:
    from revision_pipeline.pipeline_registry import DEFAULT_PIPELINES

    assert "export" not in DEFAULT_PIPELINES
    assert [n.name for n in create_pipeline().nodes] == ["export_screening_model"]


def test_a_typo_in_parameters_export_fails_at_start_up() -> None:
    from revision_pipeline.hooks import ConfigError, validate_parameters

    validate_parameters({"export": {"model_dir": None, "int8": False}})
    with pytest.raises(ConfigError, match=r"export\.in8"):
        validate_parameters({"export": {"in8": False}})
