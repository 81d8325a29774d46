"""`kedro viz build` works offline and shows every pipeline's lineage: each registered
pipeline has its page, every dataset sits in a layer, every node has a name of its own."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest

import revision_pipeline.pipelines

#: The layers, named after the data folders (data/01_raw ... data/08_reporting).
LAYERS = {"raw", "intermediate", "model_input", "models", "model_output", "reporting"}


def registered_pipelines() -> set[str]:
    """Every pipeline package with a ``create_pipeline`` (what ``find_pipelines`` finds)."""
    names = set()
    for module in pkgutil.iter_modules(revision_pipeline.pipelines.__path__):
        package = importlib.import_module(f"revision_pipeline.pipelines.{module.name}")
        if hasattr(package, "create_pipeline"):
            names.add(module.name)
    return names


def test_every_pipeline_package_is_found() -> None:
    assert {"demo_archive", "curate", "pretrain", "evaluate", "model_card"} <= (
        registered_pipelines()
    )


@pytest.mark.slow
def test_kedro_viz_build(kedro_project, run_kedro) -> None:
    run_kedro(kedro_project, "viz", "build")
    build = kedro_project / "build"
    assert (build / "index.html").exists()
    main = json.loads((build / "api" / "main").read_text(encoding="utf-8"))
    expected = registered_pipelines()
    assert {p["id"] for p in main["pipelines"]} == expected | {"__default__"}
    assert {"ingest_archive", "audit_phi"} <= {n["name"] for n in main["nodes"]}
    for name in sorted(expected):
        page = json.loads((build / "api" / "pipelines" / name).read_text(encoding="utf-8"))
        tasks = [n for n in page["nodes"] if n["type"] == "task"]
        assert tasks, f"pipeline {name} shows no node"
        for node in tasks:  # named by the author (Kedro's default is "func([in]) -> [out]")
            assert re.fullmatch(r"[a-z][a-z0-9_]*", node["name"]), (name, node["name"])
        unlayered = [n["name"] for n in page["nodes"] if n["type"] == "data" and not n["layer"]]
        assert not unlayered, f"{name}: datasets without a kedro-viz layer: {unlayered}"
        assert set(page["layers"]) <= LAYERS, (name, page["layers"])
    demo = json.loads((build / "api" / "pipelines" / "demo_archive").read_text(encoding="utf-8"))
    assert "generate_demo_archive" in {n["name"] for n in demo["nodes"]}
    card = json.loads((build / "api" / "pipelines" / "model_card").read_text(encoding="utf-8"))
    assert {"write_model_card", "register_model_with_card"} <= {n["name"] for n in card["nodes"]}
    evaluate = json.loads((build / "api" / "pipelines" / "evaluate").read_text(encoding="utf-8"))
    assert {"evaluate_benchmarks", "report_evaluation"} <= {n["name"] for n in evaluate["nodes"]}
