"""``params:model_card`` is validated at start-up: a typo fails naming the key and file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from revision_pipeline.hooks import ConfigError, validate_parameters
from revision_pipeline.reporting.config import ModelCardConfig

PARAMS = Path(__file__).resolve().parents[2] / "conf/base/parameters_model_card.yml"


def test_shipped_parameters_are_valid() -> None:
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    config = ModelCardConfig.model_validate(params["model_card"])
    assert config.registered_model_name == "retina_clip" and config.register_model


def test_a_typo_names_the_key_and_the_file() -> None:
    with pytest.raises(
        ConfigError, match=r"(?s)parameters_model_card.*model_card\.registered_name: Extra"
    ):
        validate_parameters({"model_card": {"registered_name": "x"}})
    with pytest.raises(ConfigError, match="registered_model_name"):
        validate_parameters({"model_card": {"registered_model_name": "has space"}})
