"""Cohorts: per-finding AUROC against report labels; retrieval with intervals."""

from __future__ import annotations

import numpy as np
import torch

from revision_pipeline.evaluation.cohorts import finding_auroc_rows, retrieval_hits, retrieval_rows
from revision_pipeline.training.evaluate import recall_at_k


def _features(n: int = 60, d: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    reports = [f"r{i % 20}" for i in range(n)]  # duplicated report texts
    base = rng.normal(size=(20, d))
    img = base[[i % 20 for i in range(n)]] + rng.normal(0, 1.0, (n, d))
    txt = base[[i % 20 for i in range(n)]]
    img /= np.linalg.norm(img, axis=1, keepdims=True)
    txt /= np.linalg.norm(txt, axis=1, keepdims=True)
    return img.astype(np.float32), txt.astype(np.float32), reports


def test_per_query_hits_average_to_recall_at_k() -> None:
    img, txt, reports = _features()
    ks = (1, 5, 10)
    expected = recall_at_k(torch.from_numpy(img), torch.from_numpy(txt), reports, ks)
    hits = retrieval_hits(img, txt, reports, ks)
    for key, value in expected.items():
        assert hits[key].mean() == value, key


def test_retrieval_intervals_bracket_the_estimate() -> None:
    img, txt, reports = _features()
    rows = retrieval_rows("c", img, txt, reports, n_boot=200, seed=0)
    for row in rows:
        if row["metric"].startswith(("i2t", "t2i")):
            assert row["ci_low"] <= row["value"] <= row["ci_high"], row


def test_finding_auroc_against_report_labels() -> None:
    rng = np.random.default_rng(1)
    labels = [["normal"] if i % 2 else ["glaucoma"] for i in range(40)]
    protos = np.eye(3, 8, dtype=np.float32)
    feats = np.array(
        [protos[0] if lab == ["normal"] else protos[1] for lab in labels]
    ) + rng.normal(0, 0.3, (40, 8))
    rows = finding_auroc_rows(
        "cohort", feats, labels, ["normal", "glaucoma", "amd"], protos, 100, 0, logit_scale=20.0
    )
    by = {(r["metric"], r["label"]): r for r in rows}
    assert by[("auroc_finding", "normal")]["value"] > 0.9
    assert np.isnan(by[("auroc_finding", "amd")]["value"])  # no positives: named, not averaged
    assert by[("auroc", "")]["n"] == 40
