"""``params:evaluate`` is validated at start-up: typos and unknown adapters fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from revision_pipeline.evaluation.config import EvaluateConfig
from revision_pipeline.hooks import ConfigError, validate_parameters

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_parameters_are_valid() -> None:
    params = yaml.safe_load((ROOT / "conf/base/parameters_evaluate.yml").read_text("utf-8"))
    config = EvaluateConfig.model_validate(params["evaluate"])
    assert {e.adapter for e in config.benchmarks.values()} >= {"aptos2019", "imagefolder"}


def test_typo_and_unknown_adapter_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"evaluate\.bootstrp"):
        validate_parameters({"evaluate": {"bootstrp": 10}})
    with pytest.raises(ValidationError, match="unknown benchmark adapter 'aptos'"):
        EvaluateConfig.model_validate({"benchmarks": {"x": {"adapter": "aptos", "root": "r"}}})
    with pytest.raises(ValidationError, match="shots"):
        EvaluateConfig.model_validate({"adaptation": {"shots": [0, 4]}})
