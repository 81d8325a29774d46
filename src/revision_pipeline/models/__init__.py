"""CLIP-style retinal vision-language model library (kedro-free).

Public API::

    from revision_pipeline.models import (
        load_config, list_configs, ModelConfig, VisionConfig, TextConfig,
        build_model, RetinaCLIP, check_tokenizer_matches,
        save_pretrained, load_pretrained,
        ClipLoss, group_ids_from_texts,
        train_tokenizer, load_tokenizer, encode_batch, length_covering,
    )

    config = load_config("demo-tiny")
    tokenizer = train_tokenizer(reports, vocab_size=8000)
    config.text.max_len = length_covering(tokenizer, reports)  # null in shipped configs
    model = build_model(config, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    batch = encode_batch(tokenizer, reports, max_len=model.config.text.max_len, pad_to_max=False)
    out = model(images, batch["input_ids"], batch["attention_mask"])
    loss = ClipLoss()(**out, group_ids=group_ids_from_texts(reports))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from revision_pipeline._lazy import lazy_exports

# Lazy exports: ``import revision_pipeline.models.loss`` (e.g. in a training worker)
# does not pull in timm/transformers.
_EXPORTS = {
    "ConfigError": "config",
    "ModelConfig": "config",
    "TextConfig": "config",
    "VisionConfig": "config",
    "config_from_dict": "config",
    "list_configs": "config",
    "load_config": "config",
    "ClipLoss": "loss",
    "group_ids_from_texts": "loss",
    "RetinaCLIP": "model",
    "build_model": "model",
    "check_tokenizer_matches": "model",
    "load_pretrained": "serialization",
    "save_pretrained": "serialization",
    "encode_batch": "tokenizer",
    "length_covering": "tokenizer",
    "load_tokenizer": "tokenizer",
    "segment": "tokenizer",
    "train_tokenizer": "tokenizer",
    "ImageTower": "towers",
    "TextTower": "towers",
}

if TYPE_CHECKING:
    from revision_pipeline.models.config import (
        ConfigError,
        ModelConfig,
        TextConfig,
        VisionConfig,
        config_from_dict,
        list_configs,
        load_config,
    )
    from revision_pipeline.models.loss import ClipLoss, group_ids_from_texts
    from revision_pipeline.models.model import RetinaCLIP, build_model, check_tokenizer_matches
    from revision_pipeline.models.serialization import load_pretrained, save_pretrained
    from revision_pipeline.models.tokenizer import (
        encode_batch,
        length_covering,
        load_tokenizer,
        segment,
        train_tokenizer,
    )
    from revision_pipeline.models.towers import ImageTower, TextTower


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

__all__ = [
    "ClipLoss",
    "ConfigError",
    "ImageTower",
    "ModelConfig",
    "RetinaCLIP",
    "TextConfig",
    "TextTower",
    "VisionConfig",
    "build_model",
    "check_tokenizer_matches",
    "config_from_dict",
    "encode_batch",
    "group_ids_from_texts",
    "length_covering",
    "list_configs",
    "load_config",
    "load_pretrained",
    "load_tokenizer",
    "save_pretrained",
    "segment",
    "train_tokenizer",
]
