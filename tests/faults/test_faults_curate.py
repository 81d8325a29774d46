"""Curate killed (SIGKILL) or interrupted (SIGINT) at seeded points, then rerun: same output."""

from __future__ import annotations

import importlib.util
import random
import signal
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "fault_injection", Path(__file__).resolve().parents[2] / "benchmarks" / "fault_injection.py"
)
faults = importlib.util.module_from_spec(_SPEC)
sys.modules["fault_injection"] = faults
_SPEC.loader.exec_module(faults)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], float]:
    project = faults.make_project(tmp_path_factory.mktemp("faults") / "project")
    clean, duration = faults.prepare(project)
    return project, clean, duration


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "sig"), [(1, signal.SIGKILL), (2, signal.SIGINT)])
def test_interrupted_curate_reruns_to_the_clean_output(clean_run, seed: int, sig: int) -> None:
    project, clean, duration = clean_run
    after = random.Random(seed).uniform(0.2, 0.8) * duration
    assert faults.interrupted_then_rerun(project, after, sig) == clean
