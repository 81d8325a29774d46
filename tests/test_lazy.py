"""Tests for revision_pipeline._lazy (the lazy exports of models and training)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import revision_pipeline.training as training


def test_exports_resolve_to_their_submodule_and_unknown_names_fail() -> None:
    from revision_pipeline.training.config import TrainConfig

    assert training.TrainConfig is TrainConfig
    assert "TrainConfig" in dir(training) and "train" in dir(training)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = training.nope


def test_a_light_name_does_not_load_the_heavy_submodules() -> None:
    script = (
        "import sys\n"
        "from revision_pipeline.training import TrainConfig\n"
        "from revision_pipeline.models import list_configs\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
