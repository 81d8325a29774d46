"""Checkpoint files: atomic writes, and what a killed writer leaves behind."""

from __future__ import annotations

import subprocess
import sys

import torch

from revision_pipeline.training.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)


def test_half_written_checkpoints_are_never_listed_and_are_removed_once_their_writer_is_gone(
    tmp_path,
):
    writer = subprocess.Popen([sys.executable, "-c", "pass"])
    writer.wait()  # its pid now names a dead process (pids are not reused this fast)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        dead = tmp_path / f"step_00000004.pt.{writer.pid}.tmp"
        alive = tmp_path / f"step_00000006.pt.{sleeper.pid}.tmp"
        for half in (dead, alive):
            half.write_bytes(b"PK\x03\x04 truncated")  # what a kill mid-torch.save leaves
        save_checkpoint({"step": 2, "w": torch.ones(3)}, tmp_path, 2, keep_last=3)
        assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002.pt"]
        assert latest_checkpoint(tmp_path).name == "step_00000002.pt"
        assert not dead.exists(), "a dead writer's temporary is removed"
        assert alive.exists(), "a running writer's temporary is left alone"
        assert torch.equal(load_checkpoint(tmp_path / "step_00000002.pt")["w"], torch.ones(3))
    finally:
        sleeper.kill()
        sleeper.wait()
