"""Training loop: LR schedule, smoke training, checkpoints, kill-and-resume."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest
import torch
from pairs_helpers import COLOURS, tiny_model_config, write_pairs

from revision_pipeline.models import build_model, load_config, train_tokenizer
from revision_pipeline.training import (
    LoggingMetricsLogger,
    PairsDataset,
    TrainConfig,
    build_transforms,
    train,
)
from revision_pipeline.training.checkpoint import list_checkpoints, load_checkpoint
from revision_pipeline.training.optim import build_optimizer, lr_lambda, no_weight_decay


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    splits = ("train", "train", "train", "train", "val")  # val holds all four colours
    pairs = write_pairs(root / "pairs", 64, n_files=2, row_group_size=8, splits=splits)
    tokenizer = train_tokenizer([f"眼底{w}" for w in COLOURS], vocab_size=60)
    config = load_config(tiny_model_config(root / "tiny.json", image_size=32))
    return pairs, tokenizer, config


def _model(setup, seed: int = 0):
    _, tokenizer, config = setup
    torch.manual_seed(seed)
    return build_model(config, len(tokenizer), tokenizer.pad_token_id)


def _data(pairs: Path, split: str = "train", **kw) -> PairsDataset:
    train = split == "train"
    kw.setdefault("drop_remainder", train)
    transform = build_transforms(32, train=train)
    return PairsDataset(pairs, split, transform, seed=1, shuffle=train, **kw)


class Recorder:
    def __init__(self, crash_after: int | None = None) -> None:
        self.rows: list[tuple[int, dict]] = []
        self.crash_after = crash_after

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        if self.crash_after is not None and step > self.crash_after:
            raise RuntimeError("simulated crash")
        self.rows.append((step, dict(metrics)))


def test_train_config_rejects_unknown_keys_and_needs_a_length():
    with pytest.raises(ValueError, match="batchsize"):
        TrainConfig(batchsize=3)
    with pytest.raises(ValueError, match="epochs or max_steps"):
        TrainConfig(epochs=None)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        TrainConfig(resume=True)


def test_lr_schedule_warms_up_linearly_then_decays_by_cosine():
    f = lr_lambda(warmup_steps=10, total_steps=110, schedule="cosine", min_lr_ratio=0.1)
    warm = [f(s) for s in range(10)]
    assert warm == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert f(10) == pytest.approx(1.0)
    assert f(60) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way through the decay
    assert f(110) == pytest.approx(0.1) and f(500) == pytest.approx(0.1)
    decay = [f(s) for s in range(10, 111)]
    assert all(a >= b for a, b in itertools.pairwise(decay))
    const = lr_lambda(5, 100, "constant")
    assert const(2) == pytest.approx(0.6) and const(50) == 1.0
    with pytest.raises(ValueError, match="schedule"):
        lr_lambda(1, 2, "linear")


def test_no_weight_decay_on_biases_norms_and_logit_scale(setup):
    model = _model(setup)
    opt = build_optimizer(model, lr=1e-3, weight_decay=0.1)
    decayed = {id(p) for p in opt.param_groups[0]["params"]}
    names = dict(model.named_parameters())
    assert id(names["logit_scale"]) not in decayed
    assert all(id(p) not in decayed for n, p in names.items() if n.endswith(".bias"))
    assert all(id(p) in decayed for n, p in names.items() if not no_weight_decay(n, p))
    assert opt.param_groups[1]["weight_decay"] == 0.0


def _cfg(tmp: Path | None, **kw) -> TrainConfig:
    base = dict(
        batch_size=8,
        lr=2e-3,
        weight_decay=0.01,
        warmup_steps=2,
        precision="fp32",
        device="cpu",
        num_workers=0,
        log_every=1,
        max_len=8,
        progress=False,
        checkpoint_every=0,
        checkpoint_dir=str(tmp) if tmp else None,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_training_smoke_loss_decreases_and_recall_is_reported(setup, tmp_path):
    pairs, tokenizer, _ = setup
    rec = Recorder()
    train_data = _data(pairs)
    result = train(
        _model(setup),
        tokenizer,
        train_data,
        _data(pairs, "val"),
        _cfg(None, epochs=6, lr=3e-3),
        rec,
    )
    assert train_data.num_rows == 52
    assert result.steps == 6 * (52 // 8) and result.epochs_completed == 6
    steps = [m for _, m in rec.rows if "loss" in m]
    losses = [m["loss"] for m in steps]
    assert len(losses) == result.steps
    # images encode their report's colour word: the contrastive loss must fall
    assert sum(losses[-6:]) / 6 < 0.75 * sum(losses[:6]) / 6
    assert all(math.isfinite(m["temperature"]) and m["images_per_s"] > 0 for m in steps)
    assert steps[0]["lr"] < steps[2]["lr"] and steps[-1]["lr"] < steps[2]["lr"]
    val = result.val_metrics
    assert len(val) == 6 and {"val/i2t_R@1", "val/t2i_R@5", "val/i2t_R@10"} <= set(val[-1])
    assert val[-1]["val/n_pairs"] == 12 and val[-1]["val/n_unique_reports"] == 4
    for d in ("i2t", "t2i"):
        r1, r5, r10 = (val[-1][f"val/{d}_R@{k}"] for k in (1, 5, 10))
        assert 0 <= r1 <= r5 <= r10 == 1.0  # 4 distinct reports: R@10 is certain


def _train_to(setup, ckdir: Path, seed: int, max_steps: int, crash_after: int | None, **kw):
    pairs, tokenizer, _ = setup
    config = _cfg(
        ckdir,
        max_steps=max_steps,
        checkpoint_every=2,
        keep_last=2,
        resume=True,
        accumulation_steps=2,
        **kw,
    )
    return train(_model(setup, seed), tokenizer, _data(pairs), None, config, Recorder(crash_after))


def test_kill_and_resume_reaches_the_same_weights(setup, tmp_path):
    # 2 micro-batches per step, 3 steps per epoch, 10 steps; text dropout uses the RNG
    reference = _train_to(setup, tmp_path / "ref", 0, 10, None)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _train_to(setup, tmp_path / "crash", 0, 10, crash_after=5)  # dies in step 6
    assert [p.name for p in list_checkpoints(tmp_path / "crash")] == [
        "step_00000002.pt",
        "step_00000004.pt",
    ]
    assert load_checkpoint(tmp_path / "crash" / "step_00000004.pt")["data_position"] == {
        "epoch": 1,
        "samples_seen": 16,
        "batch_size": 8,
        "num_workers": 0,
        "world_size": 1,
    }
    resumed = _train_to(setup, tmp_path / "crash", seed=123, max_steps=10, crash_after=None)
    assert resumed.steps == reference.steps == 10
    ref_state, res_state = reference.model.state_dict(), resumed.model.state_dict()
    for name, value in ref_state.items():
        torch.testing.assert_close(res_state[name], value, rtol=1e-5, atol=1e-6, msg=name)
    state = load_checkpoint(list_checkpoints(tmp_path / "crash")[-1])
    assert state["step"] == 10 and state["data_position"]["epoch"] == 3
    assert {"model", "optimizer", "scheduler", "scaler", "rng"} <= set(state)
    assert {"python", "numpy", "torch"} <= set(state["rng"][0])
    assert not list((tmp_path / "crash").glob("*.tmp"))


class CrashInValidation(Recorder):
    """Dies when validation of epoch ``epoch`` reports, after that step's checkpoint."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        if metrics.get("epoch") == self.epoch and any(k.startswith("val/") for k in metrics):
            raise RuntimeError("killed during validation")
        super().log_metrics(metrics, step)


def test_a_kill_after_the_last_checkpoint_still_validates_the_last_epoch(setup, tmp_path):
    # 6 steps per epoch, checkpoints every 6: the step-12 checkpoint is written before the
    # last epoch's validation, so a kill there resumes at the very end of training
    pairs, tokenizer, _ = setup

    def run(ckdir: Path, rec: Recorder):
        config = _cfg(ckdir, epochs=2, checkpoint_every=6, resume=True)
        return train(_model(setup), tokenizer, _data(pairs), _data(pairs, "val"), config, rec)

    reference = run(tmp_path / "ref", Recorder())
    with pytest.raises(RuntimeError, match="during validation"):
        run(tmp_path / "crash", CrashInValidation(epoch=1))
    assert load_checkpoint(list_checkpoints(tmp_path / "crash")[-1])["step"] == 12
    resumed = run(tmp_path / "crash", Recorder())
    assert resumed.steps == reference.steps == 12
    assert resumed.epochs_completed == reference.epochs_completed == 2
    assert resumed.val_metrics == reference.val_metrics and len(resumed.val_metrics) == 2
    assert resumed.final_loss == reference.final_loss is not None  # no step ran, yet known


def test_default_metrics_logger_logs(caplog):
    with caplog.at_level("INFO", logger="revision_pipeline.training.loop"):
        LoggingMetricsLogger().log_metrics({"loss": 1.5}, step=3)
    assert "step 3 loss=1.5" in caplog.text


def test_batches_pad_to_the_longest_report_unless_static_shapes_are_asked(setup):
    from revision_pipeline.training.loop import static_shapes, text_encoder

    _, tokenizer, _ = setup
    texts = ["眼底红色", "眼底红色，眼底蓝色，眼底绿色"]
    longest = text_encoder(_cfg(None))(tokenizer, texts, 64)
    assert longest["input_ids"].shape[1] < 64 and longest["attention_mask"][1].all()
    assert not static_shapes(_cfg(None, compile=True, pad_to="longest"))
    for cfg in (_cfg(None, pad_to="max_len"), _cfg(None, compile=True)):
        assert static_shapes(cfg)
        assert text_encoder(cfg)(tokenizer, texts, 64)["input_ids"].shape == (2, 64)


def test_starting_over_sets_an_earlier_runs_checkpoints_aside(setup, tmp_path):
    pairs, tokenizer, _ = setup

    def run(max_steps: int, resume: bool):
        config = _cfg(tmp_path, max_steps=max_steps, checkpoint_every=2, keep_last=2, resume=resume)
        return train(_model(setup), tokenizer, _data(pairs), None, config, Recorder())

    run(6, resume=False)  # an earlier run: checkpoints 4 and 6
    run(2, resume=False)  # starts over: its step-2 checkpoint must not be rotated away
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000002.pt"]
    (aside,) = tmp_path.glob("earlier-*")
    assert [p.name for p in list_checkpoints(aside)] == ["step_00000004.pt", "step_00000006.pt"]
    assert run(4, resume=True).steps == 4  # continues the new run, not the earlier one
