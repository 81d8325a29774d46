"""LoRA (peft) and full fine-tuning on a tiny randomly initialised demo-tiny model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from revision_pipeline.evaluation.adaptation import (
    RESULT_COLUMNS,
    AdaptationBudget,
    AdaptationError,
    OneClassTrainingSetError,
)
from revision_pipeline.evaluation.finetune import (
    full_finetune,
    lora_finetune,
    lora_target_modules,
)
from revision_pipeline.models import build_model, load_config

SIZE = 32  # the convnet takes any size; small images keep each step in milliseconds
FAST = AdaptationBudget(epochs=2, batch_size=8, max_train_images=24, eval_batch_size=32)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: these steps are milliseconds, thread hand-offs cost more."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def model() -> nn.Module:
    torch.manual_seed(0)
    return build_model(load_config("demo-tiny"), vocab_size=50).eval()


def coloured(n_per_class: int, n_classes: int = 3, seed: int = 0):
    """Noise images whose class brightens one colour channel (learnable from pixels)."""
    gen = torch.Generator().manual_seed(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    x = torch.randn(len(y), 3, SIZE, SIZE, generator=gen)
    x[torch.arange(len(y)), torch.as_tensor(y)] += 1.5
    return x, y


def prototypes(n_classes: int = 3, dim: int = 128) -> torch.Tensor:
    return nn.functional.normalize(
        torch.randn(n_classes, dim, generator=torch.Generator().manual_seed(1)), dim=-1
    )


def lora_formula(tower: nn.Module, names: list[str], rank: int) -> int:
    """LoRA parameters: A (r x in x kernel) + B (out x r) per adapted layer."""
    total = 0
    for name in names:
        layer = tower.get_submodule(name)
        if isinstance(layer, nn.Conv2d):
            kh, kw = layer.kernel_size
            total += rank * layer.in_channels * kh * kw + layer.out_channels * rank
        else:
            total += rank * (layer.in_features + layer.out_features)
    return total


def test_lora_leaves_model_unchanged_and_counts_parameters(model: nn.Module) -> None:
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = coloured(8)
    tx, ty = coloured(4, seed=1)
    df = lora_finetune(model, x, y, tx, ty, prototypes(), task="single", n_classes=3, budget=FAST)
    assert list(df.columns) == list(RESULT_COLUMNS)
    row = df.iloc[0]
    assert row["method"] == "lora" and row["shots"] == -1 and row["n_train"] == 24
    assert row["n_test"] == 12
    assert 0.0 <= row["auroc"] <= 1.0 and row["seconds"] > 0
    after = model.state_dict()
    assert after.keys() == before.keys()  # no LoRA layer was injected into the original
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any("lora" in n for n, _ in model.named_modules())

    names = lora_target_modules(model.visual)
    assert "proj" in names and "backbone.conv1.0" not in names  # stem reads RGB: skipped
    assert "backbone.layer4.0.conv2" in names
    expected = lora_formula(model.visual, names, FAST.rank) + 3 * 128  # + classifier head
    assert row["trainable_params"] == expected


def test_lora_count_agrees_with_peft() -> None:
    from revision_pipeline.evaluation.finetune import _apply_lora, count_trainable

    torch.manual_seed(0)
    tower = build_model(load_config("demo-tiny"), vocab_size=50).visual
    expected = lora_formula(tower, lora_target_modules(tower), FAST.rank)
    wrapped = _apply_lora(tower, FAST)  # wraps in place
    trainable, _ = wrapped.get_nb_trainable_parameters()
    assert count_trainable(wrapped) == trainable == expected


def test_full_finetune_counts_whole_tower_and_learns(model: nn.Module) -> None:
    x, y = coloured(8)
    tx, ty = coloured(6, seed=1)
    budget = dataclasses.replace(FAST, epochs=4, full_lr=1e-3)
    df = full_finetune(model, x, y, tx, ty, prototypes(), task="single", n_classes=3, budget=budget)
    row = df.iloc[0]
    n_tower = sum(p.numel() for p in model.visual.parameters())
    assert row["method"] == "full_finetune"
    assert row["trainable_params"] == n_tower + 3 * 128
    assert row["auroc"] > 0.75  # the colour cue is learnt


def test_finetune_is_deterministic_for_a_seed(model: nn.Module) -> None:
    x, y = coloured(6)
    tx, ty = coloured(4, seed=1)
    kwargs = {"task": "single", "n_classes": 3, "budget": FAST, "seed": 3, "shots": 4}
    a = lora_finetune(model, x, y, tx, ty, prototypes(), **kwargs)
    b = lora_finetune(model, x, y, tx, ty, prototypes(), **kwargs)
    assert a.loc[0, "auroc"] == b.loc[0, "auroc"]
    assert a.loc[0, "shots"] == 4 and a.loc[0, "seed"] == 3


def test_lora_multilabel_and_frozen_head(model: nn.Module) -> None:
    x, _ = coloured(8)
    gen = np.random.default_rng(0)
    y = (gen.random((len(x), 3)) < 0.4).astype(np.uint8)
    y[0] = [1, 1, 1]
    y[1] = [0, 0, 0]
    budget = dataclasses.replace(FAST, train_head=False, max_test_images=10)
    df = lora_finetune(
        model, x, y, x[:12], y[:12], prototypes(), task="multi", n_classes=3, budget=budget
    )
    row = df.iloc[0]
    assert np.isnan(row["balanced_accuracy"])
    assert row["n_test"] == 10  # a seeded subsample of the 12
    names = lora_target_modules(model.visual)
    assert row["trainable_params"] == lora_formula(model.visual, names, FAST.rank) + 3  # bias


def test_lora_on_vit_targets_attention() -> None:
    config = load_config("demo-tiny")
    config.vision = dataclasses.replace(
        config.vision,
        timm_name="vit_tiny_patch16_224",
        image_size=SIZE,
        timm_kwargs={"depth": 1, "patch_size": 8},
    )
    torch.manual_seed(0)
    vit = build_model(config, vocab_size=50).eval()
    names = lora_target_modules(vit.visual)
    assert names == ["backbone.blocks.0.attn.qkv", "backbone.blocks.0.attn.proj", "proj"]
    x, y = coloured(4)
    df = lora_finetune(vit, x, y, x, y, prototypes(), task="single", n_classes=3, budget=FAST)
    assert df.loc[0, "trainable_params"] == lora_formula(vit.visual, names, FAST.rank) + 3 * 128


def test_finetune_named_errors(model: nn.Module) -> None:
    x, y = coloured(4)
    with pytest.raises(OneClassTrainingSetError, match="only class"):
        lora_finetune(
            model, x, np.zeros(len(x), int), x, y, prototypes(), task="single", n_classes=3
        )
    with pytest.raises(AdaptationError, match="prototypes must be"):
        full_finetune(model, x, y, x, y, prototypes(dim=64), task="single", n_classes=3)
    with pytest.raises(AdaptationError, match="float tensors"):
        full_finetune(model, x.to(torch.uint8), y, x, y, prototypes(), task="single", n_classes=3)
    with pytest.raises(AdaptationError, match="matches lora_targets"):
        lora_finetune(
            model,
            x,
            y,
            x,
            y,
            prototypes(),
            task="single",
            n_classes=3,
            budget=dataclasses.replace(FAST, lora_targets="nothing_here"),
        )


def test_lora_targets_skip_stem_depthwise_and_norm_layers() -> None:
    tower = nn.Module()
    tower.backbone = nn.Sequential(
        nn.Conv2d(3, 8, 3),  # stem: reads RGB
        nn.BatchNorm2d(8),  # peft cannot adapt norms
        nn.Conv2d(8, 8, 3, groups=8),  # depthwise: skipped
        nn.Conv2d(8, 16, 1),
    )
    tower.proj = nn.Linear(16, 4)
    assert lora_target_modules(tower) == ["backbone.3", "proj"]
