"""Zero-shot scoring: probabilities over class prototypes, and the rows a benchmark yields."""

from __future__ import annotations

import numpy as np
import pytest

from revision_pipeline.evaluation.data import BenchmarkArrays
from revision_pipeline.evaluation.metrics import per_class_auroc
from revision_pipeline.evaluation.zero_shot import class_probabilities, zero_shot


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _offset_photos(rng: np.random.Generator, n: int = 60):
    """Photos of class 0 or 1 whose closeness to *every* prototype varies from photo to photo.

    The third axis is shared by both prototypes: a photo leaning on it (a hazy or bright
    capture, say) is close to both classes at once, which raw cosines rank above photos
    that are plainly of one class.
    """
    protos = _unit(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 2.0]]))
    y = np.arange(n) % 2
    common = rng.uniform(0.1, 3.0, n)
    own = 1.0
    feats = np.stack([np.where(y == 0, own, 0.0), np.where(y == 1, own, 0.0), common], 1)
    return _unit(feats + rng.normal(0, 0.01, feats.shape)), protos, y


def test_probabilities_are_a_softmax_over_scaled_cosines() -> None:
    rng = np.random.default_rng(0)
    feats, protos = _unit(rng.normal(size=(5, 8))), _unit(rng.normal(size=(3, 8)))
    p = class_probabilities(feats, protos, 30.0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    logits = 30.0 * feats @ protos.T
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, expected, rtol=1e-9)
    # the temperature sharpens without reordering a photo's classes
    assert (np.argsort(p, axis=1) == np.argsort(logits, axis=1)).all()
    assert class_probabilities(feats, protos, 100.0).max() > p.max()


def test_probabilities_remove_the_per_photo_offset_that_cosines_keep() -> None:
    feats, protos, y = _offset_photos(np.random.default_rng(1))
    hot = np.eye(2)[y]
    cos_auc = per_class_auroc(feats @ protos.T, hot)
    prob_auc = per_class_auroc(class_probabilities(feats, protos, 50.0), hot)
    assert prob_auc.min() > 0.99
    assert cos_auc.max() < 0.95


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_a_meaningless_temperature_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="logit_scale"):
        class_probabilities(np.ones((1, 2)), np.ones((2, 2)), scale)


def test_zero_shot_rows_score_the_test_split_with_probabilities() -> None:
    feats, protos, y = _offset_photos(np.random.default_rng(2), n=80)
    arrays = BenchmarkArrays(
        name="toy",
        task="single",
        classes=["a", "b"],
        graded=False,
        targets=y,
        is_test=np.arange(80) >= 40,
        split_source="seeded",
        excluded=np.zeros(80, bool),
    )
    rows, roc = zero_shot(arrays, feats, protos, logit_scale=50.0, n_boot=50)
    by = {(r["metric"], r["label"]): r for r in rows}
    assert by[("auroc", "")]["value"] > 0.99
    assert by[("auroc", "")]["n"] == 40
    assert {by[("auroc_class", c)]["n"] for c in "ab"} == {20}
    assert set(roc) == {"a", "b"}
