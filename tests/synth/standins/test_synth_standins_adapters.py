"""Every stand-in loads through the real adapters, matching the generator's own truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revision_pipeline.benchmarks import benchmark_info, load_benchmark
from revision_pipeline.synth.standins import STANDINS, TRUTH_FILE, BenchmarksConfig, plan_standins

#: stand-in folder -> registered adapter that reads it
ADAPTERS = {
    "aptos2019": "aptos2019",
    "messidor2": "messidor2",
    "idrid": "idrid",
    "odir5k": "odir5k",
    "rfmid": "rfmid",
    "imagefolder_demo": "imagefolder",
}


def _labels(value: object) -> str:
    return ";".join(sorted(value)) if isinstance(value, list | tuple) else str(value)


def test_every_stand_in_has_an_adapter() -> None:
    assert set(ADAPTERS) == set(STANDINS)


@pytest.mark.parametrize(("name", "adapter"), sorted(ADAPTERS.items()))
def test_stand_in_loads_with_expected_rows_labels_and_classes(
    written: Path, name: str, adapter: str
) -> None:
    truth = pd.read_csv(written / name / TRUTH_FILE, dtype=str, keep_default_na=False)
    expected = truth[truth["expected"] == "True"]
    frame = load_benchmark(adapter, written / name)

    assert len(frame) == len(expected)
    got = {Path(p).relative_to(written / name).as_posix(): _labels(lab)
           for p, lab in zip(frame["image_path"], frame["label"], strict=True)}  # fmt: skip
    want = {row.path: ";".join(sorted(row.label.split(";"))) for row in expected.itertuples()}
    assert got == want
    assert all(Path(p).is_absolute() for p in frame["image_path"])
    missing = (truth["note"] == "missing_file").sum()
    assert len(frame.attrs.get("dropped", [])) == missing
    if "split" in frame.columns:
        splits = dict(zip(expected["path"], expected["split"], strict=True))
        for path, split in zip(frame["image_path"], frame["split"], strict=True):
            assert splits[Path(path).relative_to(written / name).as_posix()] == split
    classes = benchmark_info(adapter).classes
    seen = {c for lab in frame["label"] for c in (lab if isinstance(lab, list) else [lab])}
    if classes:  # generic adapters take their classes from the data
        assert seen <= set(classes)


def test_default_stand_in_labels_are_all_known_to_the_adapters() -> None:
    """The full-size plan uses only label values the adapters accept (ODIR keywords too)."""
    from revision_pipeline.synth.standins.sets import LENS_DUST, ODIR_KEYWORDS

    for standin in plan_standins(BenchmarksConfig()):
        classes = benchmark_info(ADAPTERS[standin.name]).classes
        labels = {c for p in standin.photos if p.label is not None
                  for c in (p.label if isinstance(p.label, tuple) else (p.label,))}  # fmt: skip
        if classes:
            assert labels <= set(classes), standin.name
    from revision_pipeline.benchmarks.odir import keyword_map

    classify = keyword_map().classify
    for letter, options in ODIR_KEYWORDS.items():
        for keyword, _, _ in options:
            assert classify(keyword)[0] == [letter], keyword
    assert classify(f"{LENS_DUST}，normal fundus")[0] == ["N"]
