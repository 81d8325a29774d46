"""Checkpoint files: atomic writes, and what a killed writer leaves behind."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from revision_pipeline.training.checkpoint import (
    check_tokenizer,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    vocabulary_digest,
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


def test_resuming_with_another_tokenizer_vocabulary_stops(tmp_path):
    from revision_pipeline.models import train_tokenizer

    first = train_tokenizer(["甲乙 丙丁"] * 3, vocab_size=400)
    other = train_tokenizer(["戊己 庚辛"] * 3, vocab_size=400)  # the pairs changed
    assert vocabulary_digest(first) != vocabulary_digest(other)
    check_tokenizer(tmp_path, first, resume=False, write=True)
    save_checkpoint({"step": 2}, tmp_path, 2, keep_last=3)
    check_tokenizer(tmp_path, first, resume=True, write=True)  # the same vocabulary: fine
    with pytest.raises(ValueError, match=r"another tokenizer.*pairs curated again"):
        check_tokenizer(tmp_path, other, resume=True, write=True)
    check_tokenizer(tmp_path, other, resume=False, write=True)  # starting over is allowed
    assert (tmp_path / "tokenizer.sha256").read_text().strip() == vocabulary_digest(other)
