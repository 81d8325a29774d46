"""Curate killed (SIGKILL) or interrupted (SIGINT) at seeded points, then rerun: same output."""

from __future__ import annotations

import random
import signal

import pytest
from fault_helpers import faults


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
