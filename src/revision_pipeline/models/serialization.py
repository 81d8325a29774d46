"""Save and reload a :class:`RetinaCLIP` as a self-describing directory.

Layout: ``config.json`` (the :class:`ModelConfig`), ``text_bert_config.json`` (the exact
BERT architecture, so a pretrained ``text.pretrained_dir`` is not needed to reload) and
``model.safetensors`` (or ``model.pt`` when safetensors is not installed).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch
from transformers import BertConfig

from revision_pipeline.models.config import ModelConfig, config_from_dict
from revision_pipeline.models.model import RetinaCLIP

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
BERT_CONFIG_FILE = "text_bert_config.json"
SAFETENSORS_FILE = "model.safetensors"
TORCH_FILE = "model.pt"


def save_pretrained(model: RetinaCLIP, config: ModelConfig, directory: str | Path) -> Path:
    """Write ``model`` weights and ``config`` into ``directory`` (created if needed).

    The saved config records the text vocabulary size of ``model``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = config_from_dict(config.to_dict(), source="save_pretrained config")
    config.text.vocab_size = model.text.vocab_size
    config.save(directory / CONFIG_FILE)
    (directory / BERT_CONFIG_FILE).write_text(model.text.bert.config.to_json_string(), "utf-8")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    try:
        from safetensors.torch import save_file
    except ImportError:  # pragma: no cover - safetensors ships with transformers
        torch.save(state, directory / TORCH_FILE)
        logger.info("saved model to %s (torch format)", directory / TORCH_FILE)
    else:
        save_file(state, str(directory / SAFETENSORS_FILE))
        logger.info("saved model to %s", directory / SAFETENSORS_FILE)
    return directory


def load_pretrained(
    directory: str | Path, map_location: str | torch.device = "cpu"
) -> tuple[RetinaCLIP, ModelConfig]:
    """Rebuild a model saved by :func:`save_pretrained`.

    Raises:
        FileNotFoundError: the directory lacks the config or weights file.
        ValueError: the weights come from another architecture (names the parameter and
            both shapes, or the missing/unexpected keys).
    """
    directory = Path(directory)
    config_path = directory / CONFIG_FILE
    if not config_path.is_file():
        raise FileNotFoundError(f"{directory} has no {CONFIG_FILE}: not a saved RetinaCLIP")
    config = config_from_dict(json.loads(config_path.read_text("utf-8")), source=str(config_path))
    bert_config = BertConfig.from_json_file(str(directory / BERT_CONFIG_FILE))
    model = RetinaCLIP(
        config, bert_config.vocab_size, bert_config.pad_token_id or 0, bert_config, load_init=False
    )
    state = _read_weights(directory, map_location)
    _check_state_fits(model, state, directory)
    model.load_state_dict(state)
    return model, model.config


def _read_weights(directory: Path, map_location: str | torch.device) -> dict[str, torch.Tensor]:
    if (directory / SAFETENSORS_FILE).is_file():
        from safetensors.torch import load_file

        return load_file(str(directory / SAFETENSORS_FILE), device=str(map_location))
    if (directory / TORCH_FILE).is_file():
        return torch.load(directory / TORCH_FILE, map_location=map_location, weights_only=True)
    raise FileNotFoundError(f"{directory} has neither {SAFETENSORS_FILE} nor {TORCH_FILE}")


def _check_state_fits(model: RetinaCLIP, state: dict[str, torch.Tensor], directory: Path) -> None:
    own = model.state_dict()
    for key, expected in own.items():  # model order: image tower first
        if key in state and state[key].shape != expected.shape:
            raise ValueError(
                f"{directory}: parameter {key!r} has shape {tuple(state[key].shape)} in the "
                f"checkpoint but {tuple(expected.shape)} in the model built from "
                f"{CONFIG_FILE}: the checkpoint comes from another config"
            )
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(
            f"{directory}: checkpoint does not match {CONFIG_FILE}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
