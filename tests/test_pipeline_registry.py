"""The pipeline registry lists the pipelines of docs/contracts.md §2."""

import subprocess
import sys
from pathlib import Path

import pytest
from kedro.framework.project import configure_project
from kedro.pipeline import Node, Pipeline

from revision_pipeline.pipeline_registry import default_pipeline, register_pipelines

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_registry_lists_project_pipelines() -> None:
    configure_project("revision_pipeline")
    pipelines = register_pipelines()
    assert "demo_archive" in pipelines
    assert "__default__" in pipelines
    default_nodes = {n.name for n in pipelines["__default__"].nodes}
    # written out, not derived from the code under test: `kedro run` is these three
    expected = set()
    for name in ("curate", "pretrain", "evaluate"):
        assert pipelines[name].nodes, f"pipeline {name} is empty"
        expected |= {n.name for n in pipelines[name].nodes}
    assert default_nodes == expected
    assert {"build_pairs", "pretrain_model"} <= default_nodes
    # generating synthetic data is never part of a plain `kedro run`
    assert not default_nodes & {n.name for n in pipelines["demo_archive"].nodes}


def test_an_unknown_default_pipeline_is_an_error() -> None:
    pipelines = {"curate": Pipeline([Node(func=len, inputs="a", outputs="b", name="n")])}
    assert default_pipeline(pipelines, ("curate",)).nodes[0].name == "n"
    with pytest.raises(ValueError, match=r"\['evalaute'\].*not pipelines"):
        default_pipeline(pipelines, ("curate", "evalaute"))


def test_start_up_does_not_load_torch() -> None:
    # every `kedro run` registers all pipelines and validates every parameter section;
    # curate must not pay torch's import time and ~0.5 GB for the pretrain pipeline
    script = """
import sys
from pathlib import Path
from kedro.config import OmegaConfigLoader
from kedro.framework.project import configure_project
from revision_pipeline.hooks import validate_parameters
from revision_pipeline.pipeline_registry import register_pipelines
configure_project("revision_pipeline")
register_pipelines()
loader = OmegaConfigLoader(str(Path(sys.argv[1]) / "conf"), base_env="base",
                           default_run_env="local")
validate_parameters(loader["parameters"])
print(sorted(m for m in ("torch", "timm", "transformers") if m in sys.modules))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script, str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr
