"""Small stand-in configurations for tests (tiny frames, a few photos per split)."""

from __future__ import annotations

from typing import Any

from revision_pipeline.synth.standins import BenchmarksConfig

#: a few photos per split; sizes chosen so that every set keeps its oddities
TINY_SPLITS: dict[str, dict[str, int]] = {
    "aptos2019": {"train": 8},
    "messidor2": {"all": 7},
    "idrid": {"train": 6, "test": 4},
    "odir5k": {"all": 5},
    "rfmid": {"train": 6, "val": 3, "test": 3},
    "imagefolder_demo": {"train": 6, "val": 3, "test": 3},
}


def tiny_config(seed: int = 11, **overrides: Any) -> BenchmarksConfig:
    """Every stand-in at a few photos, 96-128 px frames, one process."""
    sets: dict[str, Any] = {
        name: {
            "splits": splits,
            "odd": 2,
            "missing_files": 1 if name != "imagefolder_demo" else 0,
            "camera": {"heights": [96, 128]},
        }
        for name, splits in TINY_SPLITS.items()
    }
    return BenchmarksConfig.model_validate(
        {"seed": seed, "min_per_class": 1, "workers": 1, "sets": sets, **overrides}
    )
