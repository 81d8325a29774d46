"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

#: Pipelines that the plain `kedro run` chains, in order (docs/contracts.md §2).
DEFAULT_PIPELINES = ("curate", "pretrain", "evaluate")


def default_pipeline(pipelines: dict[str, Pipeline], names: tuple[str, ...]) -> Pipeline:
    """The pipelines ``names`` chained; a name that is not a pipeline is an error."""
    unknown = [name for name in names if name not in pipelines]
    if unknown:
        raise ValueError(
            f"DEFAULT_PIPELINES names {unknown}, which are not pipelines of this project "
            f"(found: {sorted(pipelines)})"
        )
    return sum((pipelines[name] for name in names), Pipeline([]))


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline name to ``Pipeline``; ``__default__`` chains the
        curate, pretrain and evaluate pipelines.
    """
    pipelines = find_pipelines(raise_errors=True)
    # `kedro run --pipeline=X` makes Kedro load X alone (no "__default__" then); the
    # default is built, and its names checked, whenever every pipeline is loaded
    if "__default__" in pipelines:
        pipelines["__default__"] = default_pipeline(pipelines, DEFAULT_PIPELINES)
    return pipelines
