"""Shared fixtures: a throw-away copy of the Kedro project to run pipelines end to end."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEDRO = Path(sys.executable).with_name("kedro")


@pytest.fixture(autouse=True)
def _end_stray_mlflow_runs() -> Iterator[None]:
    """End any MLflow run a test left active, so the next test does not log into it
    (as kedro-mlflow's own tests do). MLflow is not imported for tests that never used it."""
    yield
    mlflow = sys.modules.get("mlflow")
    if mlflow is None:
        return
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture
def kedro_project(tmp_path: Path) -> Path:
    """A copy of the project's configuration in ``tmp_path``; the package is the installed one."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir()
    (root / "data").mkdir()
    (root / "src").mkdir()  # kedro wants the source folder; the package itself is installed
    return root


@pytest.fixture
def run_kedro() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``kedro <args>`` in a project folder; fail the test with its output on error."""

    def run(
        project: Path, *args: str, check: bool = True, timeout: int = 900
    ) -> subprocess.CompletedProcess[str]:
        # rich wraps log lines at the terminal's width (80 without one), splitting long
        # paths mid-word; tests search the output for them, so give it room
        env = {
            **os.environ,
            "COLUMNS": "400",
            "DO_NOT_TRACK": "true",
            "KEDRO_DISABLE_TELEMETRY": "true",
        }
        proc = subprocess.run(
            [str(KEDRO), *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            output = f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
            pytest.fail(f"kedro {' '.join(args)} failed ({proc.returncode}):\n{output}")
        return proc

    return run
