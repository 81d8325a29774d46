"""The export: ONNX matches torch, preprocessing matches evaluation, files match the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from revision_pipeline.deploy.bundle import (
    CLASSES,
    PREPROCESSING,
    PROTOTYPES,
    VARIANTS,
    ExportError,
    read_manifest,
    sha256_file,
)
from revision_pipeline.deploy.export import export_screening, onnx_embeddings
from revision_pipeline.deploy.runtime import preprocess_crop
from revision_pipeline.evaluation.features import load_model
from revision_pipeline.findings_codes import FINDING_CODES


def test_onnx_embeddings_match_torch_within_1e4(tiny_model: Path, tiny_export: Path) -> None:
    loaded = load_model(tiny_model)
    size = loaded.image_size
    x = torch.randn(5, 3, size, size, generator=torch.Generator().manual_seed(7))  # batch != 2
    with torch.no_grad():
        ref = loaded.model.encode_image(x).numpy()
    out = onnx_embeddings(tiny_export / VARIANTS["fp32"], x.numpy())
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= 1e-4
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)  # normalised in the graph


def test_int8_variant_is_close_and_not_larger(tiny_export: Path) -> None:
    x = np.random.default_rng(0).normal(size=(4, 3, 32, 32)).astype(np.float32)
    fp32 = onnx_embeddings(tiny_export / VARIANTS["fp32"], x)
    int8 = onnx_embeddings(tiny_export / VARIANTS["int8"], x)
    assert (fp32 * int8).sum(axis=1).min() > 0.9  # cosine of normalised embeddings
    sizes = {v: (tiny_export / f).stat().st_size for v, f in VARIANTS.items()}
    assert sizes["int8"] <= sizes["fp32"]


def test_preprocessing_matches_the_evaluation_transform(tiny_model: Path, tiny_export: Path):
    """The numpy preprocessing of the screening command is the evaluation's torch transform."""
    from evaluation_helpers import TINTS, disc_photo, jpeg

    from revision_pipeline.deploy.bundle import Preprocessing
    from revision_pipeline.evaluation.images import crops_to_tensor, image_transform

    pre = Preprocessing.from_dict(json.loads((tiny_export / PREPROCESSING).read_text()))
    loaded = load_model(tiny_model)
    assert (pre.image_size, pre.mean, pre.std) == (loaded.image_size, loaded.mean, loaded.std)
    crop = jpeg(disc_photo(TINTS["amd"], size=256, seed=3)[:, :256])
    ref = crops_to_tensor(
        [crop], image_transform(loaded.image_size, loaded.mean, loaded.std), loaded.image_size
    )[0].numpy()
    assert np.abs(preprocess_crop(crop, pre) - ref).max() < 1e-5


def test_prototypes_are_the_canonical_findings_of_the_prompt_dictionary(
    tiny_model: Path, tiny_export: Path
) -> None:
    from revision_pipeline.evaluation.prompts import class_prototypes, finding_prompts

    classes = json.loads((tiny_export / CLASSES).read_text())
    assert classes["labels"] == list(FINDING_CODES)
    loaded = load_model(tiny_model)
    assert classes["logit_scale"] == pytest.approx(loaded.model.scale().item(), rel=1e-6)
    protos = np.load(tiny_export / PROTOTYPES)
    ref = class_prototypes(
        loaded.model, loaded.tokenizer, [finding_prompts(c) for c in FINDING_CODES]
    )
    assert protos.dtype == np.float32 and np.allclose(protos, ref, atol=1e-6)


def test_manifest_lists_every_file_with_its_sha256(tiny_model: Path, tiny_export: Path) -> None:
    manifest = read_manifest(tiny_export)
    assert manifest["model_version"] == "2026-01-01T00.00.00.000Z"  # the model's Kedro version
    assert manifest["model_id"].endswith("@2026-01-01T00.00.00.000Z")
    assert manifest["source_weights_sha256"] == sha256_file(tiny_model / "model.safetensors")
    assert manifest["parity_max_abs_diff"] <= 1e-4
    assert set(manifest["files"]) == {*VARIANTS.values(), PROTOTYPES, CLASSES, PREPROCESSING}
    for name, entry in manifest["files"].items():
        assert sha256_file(tiny_export / name) == entry["sha256"]


def test_curate_quality_overrides_travel_with_the_export(tiny_model: Path) -> None:
    from revision_pipeline.deploy.export import preprocessing_for
    from revision_pipeline.imaging.quality import QualityThresholds

    loaded = load_model(tiny_model)
    pre = preprocessing_for(loaded, 128, 80, QualityThresholds.from_dict({"min_focus": 0.2}))
    assert (pre.crop_side, pre.jpeg_quality, pre.image_size) == (128, 80, 32)
    assert pre.quality_thresholds["min_focus"] == 0.2
    assert pre.quality_thresholds["min_redness"] == 0.25  # the rest are curate's defaults


def test_a_threshold_typo_fails_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown quality threshold 'min_fokus'"):
        export_screening(
            tmp_path / "no-model",
            tmp_path / "x",
            crop_side=128,
            jpeg_quality=80,
            quality_thresholds={"min_fokus": 0.2},
        )
    assert not (tmp_path / "x").exists()


def test_a_failed_parity_check_stops_the_export(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import revision_pipeline.deploy.export as export

    monkeypatch.setattr(export, "export_onnx", lambda *a, **k: 20)  # no file: parity is faked
    monkeypatch.setattr(export, "parity", lambda *a, **k: 3e-3)
    with pytest.raises(ExportError, match=r"differs from torch by 3.00e-03"):
        export_screening(tiny_model, tmp_path / "e", crop_side=128, jpeg_quality=90)
    assert not (tmp_path / "e" / "manifest.json").exists()
