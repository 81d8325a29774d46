"""The pipeline registry lists the pipelines of design.md §2."""

from kedro.framework.project import configure_project

from revision_pipeline.pipeline_registry import DEFAULT_PIPELINES, register_pipelines


def test_registry_lists_project_pipelines() -> None:
    configure_project("revision_pipeline")
    pipelines = register_pipelines()
    assert "demo_archive" in pipelines
    assert "__default__" in pipelines
    default_nodes = {n.name for n in pipelines["__default__"].nodes}
    expected = set()
    for name in DEFAULT_PIPELINES:
        if name in pipelines:
            expected |= {n.name for n in pipelines[name].nodes}
    assert default_nodes == expected
    # generating synthetic data is never part of a plain `kedro run`
    assert not default_nodes & {n.name for n in pipelines["demo_archive"].nodes}
