"""Synthetic stand-ins for public fundus benchmarks, in their publishers' layouts.

Kedro-free. `plan_standins` decides every photo and label file from a seed (a stream of
its own: no photo, id or patient shared with the synthetic archive); `write_standins`
renders the photos behind each stand-in's own camera (the shifted domain) and writes
``<root>/<name>/`` with the publisher's files plus ``_truth.csv``.
"""

from revision_pipeline.synth.standins.config import BenchmarksConfig, CameraProfile, StandInConfig
from revision_pipeline.synth.standins.export import (
    MARKER,
    TRUTH_FILE,
    SyntheticBenchmarks,
    plan_standins,
    write_standins,
)
from revision_pipeline.synth.standins.sets import STANDINS

__all__ = [
    "MARKER",
    "STANDINS",
    "TRUTH_FILE",
    "BenchmarksConfig",
    "CameraProfile",
    "StandInConfig",
    "SyntheticBenchmarks",
    "plan_standins",
    "write_standins",
]
