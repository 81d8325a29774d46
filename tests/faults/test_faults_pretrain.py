"""Pretrain killed (SIGKILL) mid-first-epoch, rerun with ``resume: true``: the clean run's model."""

from __future__ import annotations

import signal

import pytest
from fault_helpers import faults


@pytest.mark.slow
def test_pretrain_killed_after_a_checkpoint_resumes_to_the_clean_model(clean_run) -> None:
    project, _, _ = clean_run  # curated pairs
    reference = faults.prepare_pretrain(project)
    steps_per_epoch = reference.summary["steps"] // faults.PRETRAIN_PARAMS["train.epochs"]
    # a checkpoint every 2 steps: killed as soon as the first one is logged (steps take
    # tens of milliseconds on an idle host, so no delay is added)
    result = faults.pretrain_interrupted_then_rerun(
        project, reference, 0.0, signal.SIGKILL, anchor=faults.CHECKPOINT
    )
    assert result["signalled"] and result["checkpoint_steps"]
    assert max(result["checkpoint_steps"]) <= steps_per_epoch, "killed in the first epoch"
    assert result["resumed"], "the rerun continued from the newest checkpoint"
    failed = {k: v for k, v in result["checks"].items() if v is False}
    assert result["equal"], f"the rerun differs from the clean run: {failed}"
    assert result["checks"]["max_abs_diff"] <= faults.ATOL
