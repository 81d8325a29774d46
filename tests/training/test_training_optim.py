"""AdamW parameter groups (weight-decay exemptions) and the fused/foreach kernel choice."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from revision_pipeline.models import build_model, config_from_dict
from revision_pipeline.training.optim import build_optimizer, fast_kernel, param_groups

TINY = {
    "name": "tiny",
    "embed_dim": 16,
    "vision": {
        "timm_name": "vit_tiny_patch16_224",
        "image_size": 32,
        "timm_kwargs": {"depth": 1, "embed_dim": 48, "num_heads": 3},
    },
    "text": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "max_len": 16},
}


@pytest.fixture(scope="module")
def model() -> nn.Module:
    torch.manual_seed(0)
    return build_model(config_from_dict(TINY), vocab_size=50)


def _decayed_names(model: nn.Module, weight_decay: float = 0.1) -> tuple[set[str], set[str]]:
    groups = param_groups(model, weight_decay)
    ids = {id(p) for p in groups[0]["params"]}
    names = {n for n, p in model.named_parameters()}
    decayed = {n for n, p in model.named_parameters() if id(p) in ids}
    return decayed, names - decayed


def test_norms_biases_embeddings_and_logit_scale_are_not_decayed(model) -> None:
    decayed, exempt = _decayed_names(model)
    for name in (
        "logit_scale",
        "visual.backbone.cls_token",
        "visual.backbone.pos_embed",
        "visual.backbone.norm.weight",
        "visual.backbone.blocks.0.norm1.weight",
        "visual.backbone.blocks.0.attn.qkv.bias",
        "text.bert.embeddings.word_embeddings.weight",
        "text.bert.embeddings.position_embeddings.weight",
        "text.bert.embeddings.token_type_embeddings.weight",
        "text.bert.embeddings.LayerNorm.weight",
        "text.bert.encoder.layer.0.attention.output.LayerNorm.weight",
        "text.bert.encoder.layer.0.output.dense.bias",
    ):
        assert name in exempt, name
    for name in (
        "visual.backbone.patch_embed.proj.weight",
        "visual.backbone.blocks.0.attn.qkv.weight",
        "visual.backbone.blocks.0.mlp.fc1.weight",
        "visual.proj.weight",
        "text.bert.encoder.layer.0.attention.self.query.weight",
        "text.bert.encoder.layer.0.intermediate.dense.weight",
        "text.proj.weight",
    ):
        assert name in decayed, name
    assert all(p.ndim >= 2 for n, p in model.named_parameters() if n in decayed)


def test_groups_cover_every_trainable_parameter_once(model) -> None:
    groups = param_groups(model, 0.2)
    ids = [id(p) for g in groups for p in g["params"]]
    assert len(ids) == len(set(ids)) == sum(1 for _ in model.parameters())
    assert [g["weight_decay"] for g in groups] == [0.2, 0.0]


def test_embedding_and_norm_modules_are_exempt_whatever_their_names() -> None:
    class Odd(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = nn.Embedding(10, 4)
            self.gain = nn.LayerNorm(4)
            self.weight = nn.Linear(4, 4)

    decayed, exempt = _decayed_names(Odd())
    assert decayed == {"weight.weight"}
    assert exempt == {"table.weight", "gain.weight", "gain.bias", "weight.bias"}


def test_kernel_choice(model) -> None:
    assert fast_kernel(model.parameters()) == {"fused": True}  # CPU has fused AdamW
    assert fast_kernel([torch.zeros(2, dtype=torch.long)]) == {"foreach": True}
    assert build_optimizer(model, 1e-3, 0.1).defaults["fused"] is True
    loop = build_optimizer(model, 1e-3, 0.1, kernel="loop").defaults
    assert loop["foreach"] is False and not loop["fused"]
    with pytest.raises(ValueError, match="kernel must be one of"):
        build_optimizer(model, 1e-3, 0.1, kernel="apex")


def test_fused_update_matches_the_reference_loop() -> None:
    def run(kernel: str) -> list[torch.Tensor]:
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 16), nn.LayerNorm(16), nn.Linear(16, 4))
        opt = build_optimizer(net, 1e-2, 0.1, kernel=kernel)
        x = torch.randn(32, 8)
        for _ in range(5):
            net(x).square().mean().backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        return [p.detach().clone() for p in net.parameters()]

    reference = run("loop")
    for kernel in ("fused", "foreach"):
        for got, want in zip(run(kernel), reference, strict=True):
            torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
