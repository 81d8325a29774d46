"""Shared fixture: the tiny stand-ins, written once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from standin_helpers import tiny_config

from revision_pipeline.synth.standins import plan_standins, write_standins


@pytest.fixture(scope="session")
def written(tmp_path_factory) -> Path:
    """Every stand-in at a few tiny photos, in ``<root>/<name>/``."""
    root = tmp_path_factory.mktemp("benchmarks")
    write_standins(plan_standins(tiny_config()), root, workers=1, progress=False)
    return root
