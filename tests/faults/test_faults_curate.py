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


@pytest.mark.slow
def test_full_disk_stops_with_the_path_and_the_rerun_completes(clean_run) -> None:
    project, clean, _ = clean_run
    failed = faults.disk_full_run(project)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "Disk full" in output and "MiB free" in output and ".pairs.tmp" in output
    assert "05_model_input/pairs, takes" in output  # how much the rerun needs at least
    assert faults.digest(project) == clean, "the previous complete pairs are untouched"
    faults.kedro(project, "run", "--pipeline=curate", faults.CURATE)
    assert faults.digest(project) == clean
