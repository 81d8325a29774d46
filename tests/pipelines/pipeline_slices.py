"""Run a pipeline (or a slice of one) in process, on an in-memory catalog.

As Kedro's spaceflights starter tests its pipelines: ``SequentialRunner`` over a
``DataCatalog`` of ``MemoryDataset`` s, sliced with ``from_nodes``/``to_nodes``. Every
dataset is held as is (``copy_mode="assign"``): the pairs are a lazy iterator of tables,
which a copying dataset could not hold. Nothing is released, so the test can read every
intermediate dataset after the run.
"""

from __future__ import annotations

from typing import Any

from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner


class _Kept(MemoryDataset):
    """A ``MemoryDataset`` the runner cannot release: intermediate results stay readable."""

    def _release(self) -> None:
        pass


def run_in_memory(pipeline: Pipeline, inputs: dict[str, Any]) -> DataCatalog:
    """Run ``pipeline`` with ``inputs`` preloaded; every other dataset stays in memory.

    Returns:
        The catalog, from which every dataset the run produced can be loaded.
    """
    missing = sorted(pipeline.inputs() - set(inputs))
    if missing:
        raise ValueError(f"inputs missing for the slice: {missing}")
    datasets = {name: _Kept(copy_mode="assign") for name in pipeline.datasets()}
    for name, value in inputs.items():
        datasets[name] = _Kept(value, copy_mode="assign")
    catalog = DataCatalog(datasets)
    SequentialRunner().run(pipeline, catalog)
    return catalog
