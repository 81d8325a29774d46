"""Two-process gloo DDP through the documented torchrun command, on CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pairs_helpers import tiny_model_config, write_pairs

from revision_pipeline.training.cli import build_parser, train_config_from_args


@pytest.mark.slow
def test_torchrun_two_gloo_ranks_train_and_end_with_identical_weights(tmp_path):
    pairs = write_pairs(
        tmp_path / "pairs", 48, n_files=2, row_group_size=6, splits=("train",) * 3 + ("val",)
    )
    model_config = tiny_model_config(tmp_path / "tiny.json")
    out = tmp_path / "run"
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun), "--standalone", "--nproc-per-node", "2",
        "-m", "revision_pipeline.training",
        "--pairs", str(pairs), "--model-config", str(model_config), "--output", str(out),
        "--device", "cpu", "--vocab-size", "80", "--max-steps", "4", "--batch-size", "4",
        "--num-workers", "0", "--checkpoint-every", "2", "--log-every", "1",
        "--warmup-steps", "1", "--precision", "fp32",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DO_NOT_TRACK": "true"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] == 4 and summary["world_size"] == 2
    assert len(summary["val_metrics"]) == 1  # one epoch, evaluated on rank 0
    digests = summary["weights_sha256_per_rank"]
    assert len(digests) == 2 and digests[0] == digests[1]
    assert (out / "model" / "config.json").is_file()
    assert sorted(p.name for p in (out / "checkpoints").glob("*.pt")) == [
        "step_00000002.pt",
        "step_00000004.pt",
    ]


def test_cli_flags_override_the_train_config_file(tmp_path):
    cfg = tmp_path / "train.yml"
    cfg.write_text("batch_size: 16\nlr: 0.001\nlog_every: 7\n")
    args = build_parser().parse_args(
        ["--pairs", "p", "--model-config", "demo-tiny", "--train-config", str(cfg), "--lr", "0.01"]
    )
    config = train_config_from_args(args)
    assert (config.batch_size, config.lr, config.log_every) == (16, 0.01, 7)
    assert config.checkpoint_dir.endswith("checkpoints")
    cfg.write_text("batch_sise: 16\n")
    with pytest.raises(ValueError, match="batch_sise"):
        train_config_from_args(args)
