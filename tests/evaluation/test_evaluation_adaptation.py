"""Shot sampler and linear probe on small synthetic features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from adaptation_helpers import blobs, multilabel

from revision_pipeline.evaluation.adaptation import (
    ALL_SHOTS,
    RESULT_COLUMNS,
    AdaptationBudget,
    AdaptationError,
    OneClassTrainingSetError,
    linear_probe,
    sample_shots,
    score_predictions,
)

# --------------------------------------------------------------------- sample_shots


def test_sample_shots_exact_k_per_class_and_deterministic() -> None:
    y = np.repeat(np.arange(5), [30, 20, 10, 3, 1])
    idx = sample_shots(y, 4, seed=1)
    assert np.bincount(y[idx], minlength=5).tolist() == [4, 4, 4, 3, 1]
    assert len(np.unique(idx)) == len(idx)
    assert np.array_equal(idx, sample_shots(y, 4, seed=1))
    assert not np.array_equal(idx, sample_shots(y, 4, seed=2))


def test_sample_shots_nested_classes_only_present_ones() -> None:
    y = np.array([0, 0, 2, 2, 2, 5])  # classes 1, 3, 4 absent: not invented
    idx = sample_shots(y, 2, seed=0)
    assert sorted(np.unique(y[idx]).tolist()) == [0, 2, 5]
    assert len(idx) == 5


def test_sample_shots_multilabel_k_positives_and_label_free_rows() -> None:
    _, y = multilabel(n=200)
    y[:20] = 0  # label-free rows
    idx = sample_shots(y, 3, seed=0)
    positives = y[idx].sum(axis=0)
    assert (positives >= 3).all()
    assert (y[idx].sum(axis=1) == 0).sum() == 3
    assert np.array_equal(idx, sample_shots(y, 3, seed=0))


def test_sample_shots_multilabel_rare_class_gets_all() -> None:
    y = np.zeros((50, 2), dtype=np.uint8)
    y[:30, 0] = 1
    y[40, 1] = 1
    idx = sample_shots(y, 5, seed=3)
    assert 40 in idx
    assert y[idx, 0].sum() >= 5


def test_sample_shots_rejects_zero_k() -> None:
    with pytest.raises(AdaptationError, match="k must be >= 1"):
        sample_shots(np.array([0, 1]), 0, seed=0)


# --------------------------------------------------------------------- linear_probe


def test_linear_probe_beats_chance_and_more_shots_help() -> None:
    train_x, train_y = blobs(40, noise=2.0, seed=0)
    test_x, test_y = blobs(50, noise=2.0, seed=1)
    df = linear_probe(
        train_x, train_y, test_x, test_y, task="single", n_classes=4, shots=(1, 4, 16, None)
    )
    assert list(df.columns) == list(RESULT_COLUMNS)
    assert len(df) == 3 * 5 + 1  # all-data runs once
    assert (df["method"] == "linear_probe").all()
    assert (df["trainable_params"] == 16 * 4 + 4).all()
    mean = df.groupby("shots")["auroc"].mean()
    assert mean[16] > 0.85
    assert mean[1] > 0.6
    assert mean[1] <= mean[4] + 0.02 <= mean[16] + 0.04
    assert mean[ALL_SHOTS] >= mean[16] - 0.02
    assert df["balanced_accuracy"].between(0, 1).all()
    assert (df.loc[df.shots == 16, "n_train"] == 64).all()
    assert (df["n_test"] == 200).all()
    assert df.groupby("shots")["C"].nunique().max() == 1  # C chosen on the first seed


def test_linear_probe_c_per_seed_refits_the_grid() -> None:
    train_x, train_y = blobs(20, noise=2.0, seed=0)
    test_x, test_y = blobs(10, noise=2.0, seed=1)
    df = linear_probe(
        train_x,
        train_y,
        test_x,
        test_y,
        task="single",
        n_classes=4,
        shots=(8,),
        seeds=3,
        c_per_seed=True,
    )
    assert len(df) == 3 and df["C"].isin((0.1, 1.0, 10.0, 100.0, 1000.0)).all()


def test_linear_probe_is_deterministic() -> None:
    train_x, train_y = blobs(20, noise=2.0, seed=0)
    test_x, test_y = blobs(10, noise=2.0, seed=1)
    kwargs = {"task": "single", "n_classes": 4, "shots": (2, 8), "seeds": 2}
    a = linear_probe(train_x, train_y, test_x, test_y, **kwargs).drop(columns="seconds")
    b = linear_probe(train_x, train_y, test_x, test_y, **kwargs).drop(columns="seconds")
    pd.testing.assert_frame_equal(a, b)


def test_linear_probe_class_absent_from_test_is_named() -> None:
    train_x, train_y = blobs([10, 10, 10, 2], seed=0)
    test_x, test_y = blobs(10, seed=1)
    keep = test_y != 2
    df = linear_probe(
        train_x,
        train_y,
        test_x[keep],
        test_y[keep],
        task="single",
        n_classes=4,
        shots=(4,),
        seeds=2,
    )
    assert (df["absent_test_classes"] == "2").all()
    assert df["auroc"].notna().all()
    assert (df["n_train"] == 4 + 4 + 4 + 2).all()  # class 3 has only 2 examples


def test_linear_probe_class_absent_from_train_scored_as_unknown() -> None:
    train_x, train_y = blobs([10, 10, 10, 0], seed=0)
    test_x, test_y = blobs(10, seed=1)
    df = linear_probe(
        train_x, train_y, test_x, test_y, task="single", n_classes=4, shots=(4,), seeds=1
    )
    assert df.loc[0, "absent_train_classes"] == "3"
    assert 0.5 < df.loc[0, "auroc"] < 1.0


def test_linear_probe_multilabel_one_vs_rest() -> None:
    train_x, train_y = multilabel(n=300, seed=0)
    test_x, test_y = multilabel(n=200, seed=1)
    df = linear_probe(
        train_x, train_y, test_x, test_y, task="multi", n_classes=3, shots=(8, None), seeds=2
    )
    assert df["balanced_accuracy"].isna().all()
    assert (df["auroc"] > 0.8).all()
    assert (df["trainable_params"] == 16 * 3 + 3).all()


def test_linear_probe_one_class_training_set_is_a_named_error() -> None:
    x, _ = blobs(5, seed=0)
    with pytest.raises(OneClassTrainingSetError, match="only class"):
        linear_probe(x, np.zeros(len(x), int), x, np.zeros(len(x), int), task="single", n_classes=2)
    with pytest.raises(OneClassTrainingSetError, match="empty"):
        linear_probe(x[:0], np.zeros(0, int), x, np.zeros(len(x), int), task="single", n_classes=2)
    y = np.zeros((len(x), 2), dtype=np.uint8)
    y[:, 0] = 1
    with pytest.raises(OneClassTrainingSetError, match="one-vs-rest"):
        linear_probe(x, y, x, y, task="multi", n_classes=2)


@pytest.mark.parametrize(
    ("train_y", "match"),
    [
        (np.full(20, 7), "outside"),
        (np.zeros((20, 3)), r"shape \(N, 4\)"),
    ],
)
def test_linear_probe_bad_labels_are_named(train_y: np.ndarray, match: str) -> None:
    x, y = blobs(5, seed=0)
    with pytest.raises(AdaptationError, match=match):
        linear_probe(x, train_y, x, y, task="single" if train_y.ndim == 1 else "multi", n_classes=4)


def test_score_predictions_no_scorable_class_gives_nan() -> None:
    out = score_predictions(np.zeros(5, int), np.random.default_rng(0).random((5, 3)), "single", 3)
    assert np.isnan(out["auroc"])
    assert out["absent_test_classes"] == "0;1;2"


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(AdaptationError, match="epochs"):
        AdaptationBudget(epochs=0)


def test_binary_auroc_matches_sklearn_with_ties() -> None:
    from sklearn.metrics import roc_auc_score

    from revision_pipeline.evaluation.adaptation import binary_auroc

    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    s = np.round(rng.random(200) + y * 0.3, 1)  # many ties
    assert binary_auroc(y, s) == pytest.approx(roc_auc_score(y, s))
