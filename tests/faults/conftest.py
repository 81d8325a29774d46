"""A curated demo project shared by the fault tests (curate's clean run is the costly part)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_helpers import faults


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], float]:
    """A project with a small demo archive curated once: its digests and curate's duration.

    Tests may interrupt and rerun curate in it, but must leave the clean output behind.
    """
    project = faults.make_project(tmp_path_factory.mktemp("faults") / "project")
    clean, duration = faults.prepare(project)
    return project, clean, duration
