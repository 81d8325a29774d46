"""Nodes of the ``demo_benchmarks`` pipeline (thin: the work is in ``synth.standins``)."""

from __future__ import annotations

from typing import Any

from revision_pipeline.synth.standins import BenchmarksConfig, SyntheticBenchmarks, plan_standins


def plan_demo_benchmarks(params: dict[str, Any]) -> SyntheticBenchmarks:
    """Plan the synthetic benchmark stand-ins.

    Args:
        params: ``params:demo_archive.benchmarks`` (validated by ``BenchmarksConfig``).

    Returns:
        The stand-ins, rendered and written (with their ``_truth.csv``) when the catalog
        saves them.
    """
    config = BenchmarksConfig.model_validate(params)
    return SyntheticBenchmarks(plan_standins(config), workers=config.workers)
