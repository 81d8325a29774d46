"""Towers, RetinaCLIP, tokenizer checks and save/load with tiny configs."""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel

from revision_pipeline.models import (
    ModelConfig,
    RetinaCLIP,
    build_model,
    check_tokenizer_matches,
    config_from_dict,
    load_pretrained,
    save_pretrained,
)
from revision_pipeline.models.towers import create_timm_backbone, load_backbone_checkpoint

VOCAB = 50
TINY_VIT = {"depth": 1, "embed_dim": 48, "num_heads": 3}


def tiny_config(**overrides: dict) -> ModelConfig:
    data = {
        "name": "tiny",
        "embed_dim": 16,
        "vision": {"timm_name": "vit_tiny_patch16_224", "image_size": 32, "timm_kwargs": TINY_VIT},
        "text": {"hidden_size": 32, "num_layers": 1, "num_heads": 2, "max_len": 16},
    }
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return config_from_dict(data)


def _batch(n: int = 3, size: int = 32, length: int = 8) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    mask = torch.ones(n, length, dtype=torch.long)
    mask[0, 5:] = 0
    ids = torch.randint(5, VOCAB, (n, length), generator=gen) * mask
    return {"images": torch.randn(n, 3, size, size, generator=gen), "input_ids": ids,
            "attention_mask": mask}  # fmt: skip


class FakeTokenizer:
    def __init__(self, size: int, pad_token_id: int | None = 0) -> None:
        self.size = size
        self.pad_token_id = pad_token_id

    def __len__(self) -> int:
        return self.size


def test_forward_shapes_normalised_and_temperature() -> None:
    model = build_model(tiny_config(), VOCAB).eval()
    out = model(**_batch())
    assert out["image_features"].shape == (3, 16) and out["text_features"].shape == (3, 16)
    for key in ("image_features", "text_features"):
        torch.testing.assert_close(out[key].norm(dim=-1), torch.ones(3))
    assert out["logit_scale"].item() == pytest.approx(1 / 0.07, rel=1e-5)
    assert model.config.text.vocab_size == VOCAB
    torch.testing.assert_close(model.encode_image(_batch()["images"]), out["image_features"])


def test_logit_scale_clamped_at_max() -> None:
    model = build_model(tiny_config(), VOCAB)
    with torch.no_grad():
        model.logit_scale.fill_(10.0)
    assert model.scale().item() == pytest.approx(100.0)
    model.clamp_logit_scale_()
    assert model.logit_scale.item() == pytest.approx(math.log(100.0))


def test_backward_reaches_both_towers_and_temperature() -> None:
    model = build_model(tiny_config(vision={"proj": "mlp"}, text={"proj": "mlp"}), VOCAB)
    out = model(**_batch())
    logits = out["logit_scale"] * out["image_features"] @ out["text_features"].T
    torch.nn.functional.cross_entropy(logits, torch.arange(3)).backward()
    assert model.visual.backbone.patch_embed.proj.weight.grad.abs().sum() > 0
    assert model.text.bert.embeddings.word_embeddings.weight.grad.abs().sum() > 0
    assert model.logit_scale.grad is not None


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_text_embedding_ignores_padding(pooling: str) -> None:
    model = build_model(tiny_config(text={"pooling": pooling}), VOCAB).eval()
    ids = torch.tensor([[2, 7, 9, 3]])
    short = model.encode_text(ids, torch.ones_like(ids))
    padded_ids = torch.tensor([[2, 7, 9, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]])
    torch.testing.assert_close(model.encode_text(padded_ids, mask), short, atol=1e-5, rtol=1e-5)


def test_convnet_backbone_without_img_size() -> None:
    config = tiny_config(vision={"timm_name": "resnet10t", "image_size": 32, "timm_kwargs": {}})
    out = build_model(config, VOCAB).eval()(**_batch())
    assert out["image_features"].shape == (3, 16)


def test_unknown_timm_name_suggests_close_names() -> None:
    config = tiny_config(vision={"timm_name": "vit_tiny_patch16_244"})
    with pytest.raises(ValueError, match=r"unknown timm model 'vit_tiny_patch16_244'.*vit_tiny"):
        build_model(config, VOCAB)


def test_init_checkpoint_loads_wrapped_state_dict(tmp_path: Path) -> None:
    source = create_timm_backbone(tiny_config().vision)
    state = {f"module.{k}": v for k, v in source.state_dict().items()}
    state["head.weight"] = torch.zeros(10, 48)  # a classifier head is ignored
    torch.save({"model": state, "epoch": 3}, tmp_path / "imagenet.pth")
    config = tiny_config(vision={"init_checkpoint": str(tmp_path / "imagenet.pth")})
    model = build_model(config, VOCAB)
    torch.testing.assert_close(model.visual.backbone.state_dict(), source.state_dict())


def test_init_checkpoint_resamples_pos_embed(tmp_path: Path) -> None:
    source = create_timm_backbone(tiny_config().vision)  # 2x2 patch grid
    torch.save(source.state_dict(), tmp_path / "small.pth")
    target = create_timm_backbone(tiny_config(vision={"image_size": 64}).vision)  # 4x4 grid
    load_backbone_checkpoint(target, tmp_path / "small.pth")
    torch.testing.assert_close(target.cls_token, source.cls_token)
    assert target.pos_embed.shape == (1, 17, 48)


def test_init_checkpoint_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    other = create_timm_backbone(
        tiny_config(vision={"timm_kwargs": {**TINY_VIT, "depth": 2}}).vision
    )
    torch.save(other.state_dict(), tmp_path / "deeper.pth")
    target = create_timm_backbone(tiny_config().vision)
    with pytest.raises(ValueError, match=r"deeper\.pth.*unexpected keys \['blocks\.1\."):
        load_backbone_checkpoint(target, tmp_path / "deeper.pth")
    with caplog.at_level(logging.INFO):
        load_backbone_checkpoint(target, tmp_path / "deeper.pth", strict=False)
    assert "unexpected" in caplog.text
    torch.testing.assert_close(target.blocks[0].attn.qkv.weight, other.blocks[0].attn.qkv.weight)

    wide = create_timm_backbone(
        tiny_config(vision={"timm_kwargs": {**TINY_VIT, "embed_dim": 96}}).vision
    )
    torch.save(wide.state_dict(), tmp_path / "wide.pth")
    with pytest.raises(
        ValueError, match=r"cls_token: checkpoint \(1, 1, 96\) vs model \(1, 1, 48\)"
    ):
        load_backbone_checkpoint(target, tmp_path / "wide.pth", strict=False)
    with pytest.raises(FileNotFoundError, match=r"missing\.pth"):
        load_backbone_checkpoint(target, tmp_path / "missing.pth")


def test_check_tokenizer_matches() -> None:
    model = build_model(tiny_config(), VOCAB)
    check_tokenizer_matches(model, FakeTokenizer(VOCAB))
    check_tokenizer_matches(model.config, FakeTokenizer(VOCAB))
    with pytest.raises(
        ValueError, match=f"tokenizer has 60 tokens but model 'tiny' has a vocabulary of {VOCAB}"
    ):
        check_tokenizer_matches(model, FakeTokenizer(60))
    with pytest.raises(ValueError, match="pad id 77 is outside"):
        check_tokenizer_matches(model, FakeTokenizer(VOCAB, pad_token_id=77))
    with pytest.raises(ValueError, match="no pad token"):
        check_tokenizer_matches(model, FakeTokenizer(VOCAB, pad_token_id=None))
    with pytest.raises(ValueError, match=r"no text\.vocab_size"):
        check_tokenizer_matches(tiny_config(), FakeTokenizer(VOCAB))


def test_save_load_round_trip(tmp_path: Path) -> None:
    config = tiny_config()
    model = build_model(config, VOCAB).eval()
    with torch.no_grad():
        model.logit_scale.fill_(3.0)
    save_pretrained(model, config, tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "model.safetensors").is_file()
    loaded, loaded_config = load_pretrained(tmp_path / "ckpt")
    assert loaded_config.text.vocab_size == VOCAB
    assert dataclasses.replace(loaded_config.text, vocab_size=None) == config.text
    batch = _batch()
    for key, value in model(**batch).items():
        torch.testing.assert_close(loaded.eval()(**batch)[key], value)


def test_load_rejects_checkpoint_of_other_config(tmp_path: Path) -> None:
    save_pretrained(build_model(tiny_config(), VOCAB), tiny_config(), tmp_path / "a")
    other = tiny_config(embed_dim=24)
    save_pretrained(build_model(other, VOCAB), other, tmp_path / "b")
    (tmp_path / "a" / "config.json").write_text((tmp_path / "b" / "config.json").read_text())
    with pytest.raises(
        ValueError,
        match=r"'visual\.proj\.weight' has shape \(16, 48\) in the checkpoint but \(24, 48\)",
    ):
        load_pretrained(tmp_path / "a")
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        load_pretrained(tmp_path / "nothing")


def _pretrained_bert_dir(tmp_path: Path, vocab: int = VOCAB) -> Path:
    bert = BertModel(BertConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=1,
                                num_attention_heads=2, intermediate_size=64,
                                max_position_embeddings=16), add_pooling_layer=False)  # fmt: skip
    bert.save_pretrained(tmp_path / "bert")
    return tmp_path / "bert"


def test_text_tower_from_local_pretrained_dir(tmp_path: Path) -> None:
    bert_dir = _pretrained_bert_dir(tmp_path)
    reference = BertModel.from_pretrained(bert_dir, add_pooling_layer=False)
    config = tiny_config(text={"pretrained_dir": str(bert_dir), "hidden_size": 768})
    model = build_model(config, VOCAB)
    assert model.text.bert.config.hidden_size == 32  # the directory wins over config sizes
    torch.testing.assert_close(
        model.text.bert.embeddings.word_embeddings.weight,
        reference.embeddings.word_embeddings.weight,
    )
    check_tokenizer_matches(config, FakeTokenizer(VOCAB))  # reads the dir's config.json
    assert build_model(config, VOCAB + 2).text.vocab_size == VOCAB + 2  # added tokens
    with pytest.raises(ValueError, match="smaller than the pretrained text tower"):
        build_model(config, VOCAB - 1)
    # a saved model reloads without the pretrained directory
    save_pretrained(model, config, tmp_path / "ckpt")
    for file in bert_dir.iterdir():
        file.unlink()
    loaded, _ = load_pretrained(tmp_path / "ckpt")
    assert isinstance(loaded, RetinaCLIP)
    assert (
        json.loads((tmp_path / "ckpt" / "config.json").read_text())["text"]["vocab_size"] == VOCAB
    )


def test_missing_pretrained_dir_is_a_clear_error(tmp_path: Path) -> None:
    config = tiny_config(text={"pretrained_dir": "hfl/chinese-roberta-wwm-ext"})
    with pytest.raises(FileNotFoundError, match="not a local Hugging Face model directory"):
        build_model(config, VOCAB)


def test_init_checkpoint_keeps_backbone_head_norm(tmp_path: Path) -> None:
    # convnext keeps head.norm when headless: it must not be dropped as a "classifier"
    vision = tiny_config(vision={"timm_name": "convnext_atto", "timm_kwargs": {}}).vision
    source = create_timm_backbone(vision)
    assert "head.norm.weight" in source.state_dict()
    with torch.no_grad():
        source.head.norm.weight.fill_(0.5)
    torch.save({"state_dict": source.state_dict()}, tmp_path / "convnext.pth")
    target = create_timm_backbone(vision)
    load_backbone_checkpoint(target, tmp_path / "convnext.pth")  # strict: nothing missing
    torch.testing.assert_close(target.head.norm.weight, source.head.norm.weight)


def test_text_tower_uses_sdpa_and_padding_to_longest_changes_nothing() -> None:
    model = build_model(tiny_config(text={"max_len": 12}), VOCAB).eval()
    assert model.text.bert.config._attn_implementation == "sdpa"
    ids = torch.tensor([[2, 7, 9, 3, 0], [2, 5, 6, 8, 3]])
    mask = (ids != 0).long()
    longest = model.encode_text(ids, mask)
    static = torch.zeros(2, 12, dtype=torch.long)
    static[:, :5] = ids
    torch.testing.assert_close(
        model.encode_text(static, (static != 0).long()), longest, atol=1e-5, rtol=1e-5
    )


def test_null_max_len_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from revision_pipeline.models.model import FALLBACK_MAX_LEN

    config = tiny_config(text={"max_len": None})
    with caplog.at_level(logging.WARNING):
        model = build_model(config, VOCAB)
    assert "length_covering" in caplog.text
    assert model.config.text.max_len == FALLBACK_MAX_LEN
    assert model.text.bert.config.max_position_embeddings == FALLBACK_MAX_LEN
    assert config.text.max_len is None  # the caller's config is not changed
