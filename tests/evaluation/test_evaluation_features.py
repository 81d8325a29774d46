"""Model loading (named errors) and the feature cache per (model hash, benchmark)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from evaluation_helpers import save_tiny_model

from revision_pipeline.evaluation.features import (
    ModelLoadError,
    encode_images,
    load_model,
    random_init_like,
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("m") / "model")


def test_cache_encodes_only_new_images(model_dir: Path, tmp_path: Path) -> None:
    loaded = load_model(model_dir)
    images = torch.randn(5, 3, 32, 32)
    calls: list[list[int]] = []

    def batch(idx: list[int]) -> torch.Tensor:
        calls.append(list(idx))
        return images[idx]

    cache = tmp_path / loaded.model_hash / "b.npz"
    first = encode_images(loaded, list("abcde"), batch, cache_file=cache, progress=False)
    assert np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)
    calls.clear()
    again = encode_images(loaded, list("abcde"), batch, cache_file=cache, progress=False)
    assert calls == [] and np.allclose(first, again, atol=1e-6)
    encode_images(
        loaded,
        list("abcdef"),
        lambda idx: torch.randn(len(idx), 3, 32, 32),
        cache_file=cache,
        progress=False,
    )
    assert set(np.load(cache)["keys"]) == set("abcdef")


def test_random_init_is_another_model_with_another_hash(model_dir: Path) -> None:
    loaded = load_model(model_dir)
    rand = random_init_like(loaded)
    assert rand.model_hash != loaded.model_hash
    w1 = next(loaded.model.visual.parameters())
    w2 = next(rand.model.visual.parameters())
    assert w1.shape == w2.shape and not torch.equal(w1, w2)


def test_bad_model_folders_are_named_errors(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    (broken / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"neither model\.safetensors"):
        load_model(broken)
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    config = json.loads((other / "config.json").read_text())
    config["embed_dim"] = 48  # weights of a 32-d model under a 48-d config
    (other / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="another config"):
        load_model(other)


def test_imagenet_baseline_reads_a_local_backbone_checkpoint(
    model_dir: Path, tmp_path: Path
) -> None:
    from safetensors.torch import save_file

    from revision_pipeline.evaluation.features import imagenet_like

    loaded = load_model(model_dir)
    state = {
        k: v.clone() + 1.0
        for k, v in loaded.model.visual.backbone.state_dict().items()
        if v.is_floating_point()
    }
    save_file(state, str(tmp_path / "backbone.safetensors"))
    base = imagenet_like(loaded, tmp_path / "backbone.safetensors")
    key = next(iter(state))
    assert torch.equal(base.model.visual.backbone.state_dict()[key], state[key])
    with pytest.raises(ModelLoadError, match="imagenet_checkpoint"):
        imagenet_like(loaded, tmp_path / "missing.safetensors")


def test_folder_version_is_the_kedro_save_version_or_empty(tmp_path: Path) -> None:
    from revision_pipeline.evaluation.features import folder_version

    saved = tmp_path / "retina_clip" / "2026-12-03T12.28.45.124Z" / "retina_clip"
    assert folder_version(saved) == "2026-12-03T12.28.45.124Z"
    assert folder_version(tmp_path / "elsewhere" / "model") == ""
