"""Tip-Adapter-F on small synthetic features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from adaptation_helpers import CENTRES_SEED, blobs, multilabel

from revision_pipeline.evaluation.adaptation import (
    RESULT_COLUMNS,
    AdaptationError,
    OneClassTrainingSetError,
    score_predictions,
    tip_adapter_f,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: these are tiny tensors, thread hand-offs cost more."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


CENTRES = np.random.default_rng(CENTRES_SEED).normal(size=(4, 16))  # blobs()' centres


def test_tip_adapter_recovers_from_poor_prototypes_with_shots() -> None:
    train_x, train_y = blobs(30, noise=2.0, seed=0)
    test_x, test_y = blobs(40, noise=2.0, seed=1)
    poor = np.random.default_rng(5).normal(size=(4, 16)).astype(np.float32)
    zero_shot = score_predictions(test_y, test_x @ poor.T, "single", 4)["auroc"]
    df = tip_adapter_f(
        train_x,
        train_y,
        test_x,
        test_y,
        poor,
        task="single",
        n_classes=4,
        shots=(1, 16),
        seeds=2,
    )
    assert list(df.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert (df["method"] == "tip_adapter_f").all()
    assert (df["trainable_params"] == df["n_train"] * 16).all()
    mean = df.groupby("shots")["auroc"].mean()
    assert mean[16] > max(0.8, zero_shot + 0.1)
    assert mean[16] >= mean[1]


def test_tip_adapter_keeps_good_zero_shot() -> None:
    train_x, train_y = blobs(30, noise=2.0, seed=0)
    test_x, test_y = blobs(40, noise=2.0, seed=1)
    good = CENTRES.astype(np.float32)
    zero_shot = score_predictions(test_y, test_x @ good.T, "single", 4)["auroc"]
    df = tip_adapter_f(
        train_x, train_y, test_x, test_y, good, task="single", n_classes=4, shots=(1, 8), seeds=2
    )
    assert df["auroc"].mean() > zero_shot - 0.03


def test_tip_adapter_deterministic_and_multilabel() -> None:
    train_x, train_y = multilabel(n=200, seed=0)
    test_x, test_y = multilabel(n=100, seed=1)
    protos = np.random.default_rng(0).normal(size=(3, 16)).astype(np.float32)
    kwargs = {"task": "multi", "n_classes": 3, "shots": (4,), "seeds": 2, "epochs": 5}
    a = tip_adapter_f(train_x, train_y, test_x, test_y, protos, **kwargs)
    b = tip_adapter_f(train_x, train_y, test_x, test_y, protos, **kwargs)
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    assert a["balanced_accuracy"].isna().all()
    assert (a["trainable_params"] == a["n_train"] * 16 + 3).all()
    assert (a["auroc"] > 0.7).all()


def test_tip_adapter_named_errors() -> None:
    x, y = blobs(5, seed=0)
    protos = CENTRES.astype(np.float32)
    with pytest.raises(OneClassTrainingSetError):
        tip_adapter_f(x, np.ones(len(x), int), x, y, protos, task="single", n_classes=4)
    with pytest.raises(AdaptationError, match="prototypes must be"):
        tip_adapter_f(x, y, x, y, protos[:3], task="single", n_classes=4)
    with pytest.raises(AdaptationError, match="train features have 16 dimensions, test 8"):
        tip_adapter_f(x, y, x[:, :8], y, protos, task="single", n_classes=4)
