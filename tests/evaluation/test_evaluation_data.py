"""Targets, the scoring split, and what makes a benchmark unscorable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from revision_pipeline.evaluation.data import (
    SkipBenchmark,
    build_arrays,
    check_scorable,
    seeded_split,
    targets_from_labels,
)


def test_unknown_label_names_row_and_value() -> None:
    with pytest.raises(SkipBenchmark, match="row 1 has label '7'"):
        targets_from_labels(pd.Series(["0", "7"]), ["0", "1"], "single", "aptos")


def test_multilabel_targets_are_multi_hot() -> None:
    t = targets_from_labels(pd.Series([["a"], ["a", "c"], []]), ["a", "b", "c"], "multi", "x")
    assert t.tolist() == [[1, 0, 0], [1, 0, 1], [0, 0, 0]]


def test_publisher_test_split_is_used() -> None:
    table = pd.DataFrame({"label": ["0", "1"] * 4, "split": ["train"] * 4 + ["test"] * 4})
    arrays = build_arrays("b", table, task="single", classes=["0", "1"], graded=False)
    assert arrays.split_source == "publisher"
    assert arrays.test_idx.tolist() == [4, 5, 6, 7]


def test_seeded_split_is_stratified_grouped_and_deterministic() -> None:
    keys = np.array(["a"] * 20 + ["b"] * 10)
    groups = np.repeat(np.arange(15), 2)  # two photos per patient
    test = seeded_split(keys, 0.4, seed=3, groups=groups)
    assert test.tolist() == seeded_split(keys, 0.4, seed=3, groups=groups).tolist()
    assert 0 < test[:20].sum() < 20 and 0 < test[20:].sum() < 10
    for g in range(15):  # a patient's photos stay on one side
        assert len(set(test[groups == g])) == 1


def test_discovered_classes_when_the_adapter_has_none() -> None:
    table = pd.DataFrame({"label": ["rvo", "amd", "rvo", "amd"]})
    arrays = build_arrays("f", table, task="single", classes=[], graded=False, test_fraction=0.5)
    assert arrays.classes == ["amd", "rvo"]
    check_scorable(arrays)


def test_one_class_and_empty_splits_are_skips() -> None:
    table = pd.DataFrame({"label": ["0"] * 6})
    arrays = build_arrays("one", table, task="single", classes=["0", "1"], graded=False)
    with pytest.raises(SkipBenchmark, match="one class only"):
        check_scorable(arrays)
    arrays.excluded[:] = True
    with pytest.raises(SkipBenchmark, match="empty"):
        check_scorable(arrays)
