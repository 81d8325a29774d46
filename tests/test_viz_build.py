"""`kedro viz build` works offline and shows every pipeline's lineage."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_kedro_viz_build(kedro_project, run_kedro) -> None:
    run_kedro(kedro_project, "viz", "build")
    build = kedro_project / "build"
    assert (build / "index.html").exists()
    main = json.loads((build / "api" / "main").read_text(encoding="utf-8"))
    pipelines = {p["id"] for p in main["pipelines"]}
    assert {"__default__", "demo_archive", "curate"} <= pipelines
    assert {"ingest_archive", "audit_phi"} <= {n["name"] for n in main["nodes"]}
    demo = json.loads((build / "api" / "pipelines" / "demo_archive").read_text(encoding="utf-8"))
    assert "generate_demo_archive" in {n["name"] for n in demo["nodes"]}
