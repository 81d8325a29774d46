"""Named architecture configs: loading, validation errors, round trip, parameter counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from revision_pipeline.models import (
    ConfigError,
    ModelConfig,
    build_model,
    config_from_dict,
    list_configs,
    load_config,
)


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "arch.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_shipped_configs_listed_and_loadable() -> None:
    names = list_configs()
    assert {"vit-b16-bert-base", "demo-tiny"} <= set(names)
    for name in names:
        assert isinstance(load_config(name), ModelConfig)


def test_vit_b16_bert_base_values() -> None:
    config = load_config("vit-b16-bert-base")
    assert config.name == "vit-b16-bert-base"
    assert (config.vision.timm_name, config.vision.image_size) == ("vit_base_patch16_224", 224)
    text = config.text
    assert (text.hidden_size, text.num_layers, text.num_heads) == (768, 12, 12)
    assert text.max_len is None  # chosen from the training reports
    assert config.embed_dim == 512


def test_lighter_text_tower_differs_only_in_depth() -> None:
    base, light = load_config("vit-b16-bert-base"), load_config("vit-b16-bert-6l")
    assert light.text.num_layers == 6
    light.text.num_layers, light.name = base.text.num_layers, base.name
    assert light == base


def test_load_by_path_and_name_from_file_stem(tmp_path: Path) -> None:
    path = _write(tmp_path, {"embed_dim": 64, "text": {"hidden_size": 32, "num_heads": 4}})
    config = load_config(path)
    assert (config.name, config.embed_dim, config.text.hidden_size) == ("arch", 64, 32)
    assert config.text.num_layers == 12  # default kept


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"vision": {"timm_nmae": "resnet18"}}, r"arch\.json: unknown key 'vision\.timm_nmae'"),
        ({"embed_dims": 3}, r"arch\.json: unknown key 'embed_dims'"),
        ({"text": {"num_layers": "two"}}, r"arch\.json: key text\.num_layers must be int"),
        ({"text": {"num_layers": True}}, r"key text\.num_layers must be int"),
        ({"text": {"pooling": "max"}}, r"key text\.pooling must be one of"),
        ({"vision": {"proj": "conv"}}, r"key vision\.proj must be one of"),
        ({"text": {"hidden_size": 100, "num_heads": 3}}, r"key text\.num_heads \(3\) must divide"),
        ({"embed_dim": 0}, r"key embed_dim must be > 0"),
        ({"vision": {"mean": [0.5]}}, r"key vision\.mean must be a list of 3"),
        ({"text": []}, r"'text' must be an object"),
    ],
)
def test_invalid_configs_name_file_and_key(tmp_path: Path, data: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(_write(tmp_path, data))


def test_invalid_json_and_missing_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{", "utf-8")
    with pytest.raises(ConfigError, match=r"broken\.json: invalid JSON"):
        load_config(bad)
    with pytest.raises(FileNotFoundError, match="demo-tiny"):
        load_config("no-such-arch")


def test_to_dict_round_trip(tmp_path: Path) -> None:
    config = load_config("demo-tiny")
    config.text.vocab_size = 1234
    again = load_config(config.save(tmp_path / "copy.json"))
    assert again == config
    assert config_from_dict(config.to_dict()) == config


def test_parameter_counts_of_shipped_configs() -> None:
    with torch.device("meta"):  # no memory, no init cost
        base = build_model(load_config("vit-b16-bert-base"), vocab_size=21128)
        tiny = build_model(load_config("demo-tiny"), vocab_size=8000)
        light = build_model(load_config("vit-b16-bert-6l"), vocab_size=21128)
    visual = sum(p.numel() for p in base.visual.backbone.parameters())
    assert visual == 85_798_656  # timm vit_base_patch16_224 without head
    assert 95e6 < sum(p.numel() for p in base.text.parameters()) < 110e6
    assert sum(p.numel() for p in tiny.parameters()) < 10e6
    light_text = sum(p.numel() for p in light.text.parameters())
    assert 55e6 < light_text < 65e6  # 6 of BERT-base's 12 layers (7.1M each) gone
