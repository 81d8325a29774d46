"""Dependencies point down: libraries and hooks never import a pipeline, and no pipeline
imports another pipeline's nodes (as in Kedro's spaceflights starter)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "revision_pipeline"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)  # and `from x import nodes` as x.nodes
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_library_nor_hook_imports_a_pipeline() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            m for m in _imports(path) if m.startswith("revision_pipeline.pipelines")
        )
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in ("pipelines", "pipeline_registry.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_no_pipeline_imports_another_pipelines_nodes() -> None:
    """Composing another pipeline (``create_pipeline``) is fine; borrowing its nodes is not."""
    offenders = {}
    for path in (PACKAGE / "pipelines").rglob("*.py"):
        own = path.relative_to(PACKAGE / "pipelines").parts[0]
        foreign = sorted(
            m
            for m in _imports(path)
            if m.startswith("revision_pipeline.pipelines.")
            and m.split(".")[2] != own
            and m.split(".")[-1] == "nodes"
        )
        if foreign:
            offenders[str(path.relative_to(PACKAGE))] = foreign
    assert offenders == {}


def test_libraries_never_import_kedro() -> None:
    libraries = ("archive", "benchmarks", "curation", "deid", "evaluation", "imaging", "models",
                 "synth", "text", "training")  # fmt: skip
    offenders = {
        str(path.relative_to(PACKAGE))
        for name in libraries
        for path in (PACKAGE / name).rglob("*.py")
        if any(m == "kedro" or m.startswith("kedro.") for m in _imports(path))
    }
    assert offenders == set()
