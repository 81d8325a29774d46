"""Retrieval recall with duplicated reports; distributed helpers in one process."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from revision_pipeline.training.distributed import DistInfo, init_distributed, launch, unwrap
from revision_pipeline.training.evaluate import recall_at_k


def test_perfect_features_give_recall_one():
    feats = torch.eye(6)
    metrics = recall_at_k(feats, feats.clone(), [f"r{i}" for i in range(6)], ks=(1, 5))
    assert metrics == {"i2t_R@1": 1.0, "i2t_R@5": 1.0, "t2i_R@1": 1.0, "t2i_R@5": 1.0}


def test_duplicated_reports_count_as_correct_matches():
    # images 0 and 1 share the report "a"; image 1 looks exactly like image 0
    images = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    texts = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    metrics = recall_at_k(images, texts, ["a", "a", "b"], ks=(1,))
    assert metrics["i2t_R@1"] == 1.0  # "a" is one candidate, correct for both images
    assert metrics["t2i_R@1"] == 1.0  # either image of "a" is a hit
    # with distinct texts the tie would make one of the two queries miss at K=1
    distinct = recall_at_k(images, texts, ["a", "a2", "b"], ks=(1,))
    assert distinct["i2t_R@1"] == pytest.approx(2 / 3)


def test_recall_counts_misses_and_chunking_does_not_matter():
    g = torch.Generator().manual_seed(0)
    images = nn.functional.normalize(torch.randn(50, 8, generator=g), dim=-1)
    texts = nn.functional.normalize(torch.randn(50, 8, generator=g), dim=-1)
    reports = [f"r{i % 20}" for i in range(50)]
    a = recall_at_k(images, texts, reports, ks=(1, 5, 10), chunk=7)
    b = recall_at_k(images, texts, reports, ks=(1, 5, 10), chunk=1000)
    assert a == b
    assert a["i2t_R@1"] <= a["i2t_R@5"] <= a["i2t_R@10"] < 1.0
    with pytest.raises(ValueError, match="at least one"):
        recall_at_k(images[:0], texts[:0], [])


def test_single_process_needs_no_process_group(monkeypatch):
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info = init_distributed("cpu")
    assert info == DistInfo(0, 1, 0, torch.device("cpu"))
    assert info.is_main and not info.distributed
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(RuntimeError, match="MASTER_ADDR"):
        init_distributed("cpu")
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        init_distributed("cpu")


def test_launch_runs_in_process_for_one_process_and_unwrap_strips_wrappers(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    calls = []
    launch(calls.append, nprocs=1, args=(3,))
    assert calls == [3]
    inner = nn.Linear(2, 2)
    wrapper = nn.Module()
    wrapper._orig_mod = inner  # what torch.compile's OptimizedModule holds
    assert unwrap(wrapper) is inner
