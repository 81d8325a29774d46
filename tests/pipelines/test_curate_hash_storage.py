"""Perceptual hashes keep all 64 bits through the curate pipeline's catalog datasets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from kedro.io import DataCatalog

from revision_pipeline.curation.dedup import duplicate_groups
from revision_pipeline.curation.images import phash_array, phash_values

PROJECT = Path(__file__).resolve().parents[2]
#: Hashes that a float64 column would round (high and low bits set), next to missing ones.
HASHES = [(1 << 64) - 1, None, (1 << 63) | 1, 1, None, 0x8000_0000_0000_0F0F, 0]


def _catalog(tmp_path: Path, name: str) -> DataCatalog:
    entries = yaml.safe_load((PROJECT / "conf/base/catalog.yml").read_text())
    entry = dict(entries[name])
    entry["filepath"] = str(tmp_path / Path(entry["filepath"]).name)
    return DataCatalog.from_config({name: entry})


def test_photo_quality_round_trips_exact_hashes_next_to_missing_ones(tmp_path) -> None:
    catalog = _catalog(tmp_path, "photo_quality")
    frame = pd.DataFrame(
        {
            "source": [f"H1/images/{i}_OD.jpg" for i in range(len(HASHES))],
            "phash": phash_array(HASHES),
        }
    )
    catalog.save("photo_quality", frame)
    loaded = catalog.load("photo_quality")
    assert str(loaded["phash"].dtype) == "UInt64"
    assert phash_values(loaded["phash"]) == HASHES


def test_hashes_one_low_bit_apart_stay_one_bit_apart_after_storage(tmp_path) -> None:
    """With rounded hashes these two would look identical (and 64 bits from a third)."""
    catalog = _catalog(tmp_path, "photo_quality")
    high = 0xFFFF_FFFF_FFFF_FF00
    values = [high, high | 0b1, high ^ (0xFF << 8)]
    catalog.save("photo_quality", pd.DataFrame({"phash": phash_array(values)}))
    loaded = phash_values(catalog.load("photo_quality")["phash"])
    assert loaded == values
    assert duplicate_groups(["a", "b", "c"], loaded, max_distance=0).tolist() == [0, 1, 2]
