"""The pretrain pipeline: nodes on tiny pairs, and `kedro run --pipeline=pretrain` with MLflow."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow.dataset as ds
import pytest
from pairs_helpers import tiny_model_config, write_pairs
from pydantic import ValidationError

from revision_pipeline.models import load_pretrained, load_tokenizer
from revision_pipeline.pipelines.pretrain.nodes import (
    PretrainConfig,
    build_tokenizer,
    history_to_metrics,
    pretrain_model,
)


def _params(tmp_path: Path, **train) -> dict:
    return {
        "model": str(tiny_model_config(tmp_path / "tiny.json")),
        "tokenizer": {"vocab_size": 200},
        "work_dir": str(tmp_path / "work"),
        "train": {
            "epochs": 2,
            "batch_size": 8,
            "warmup_steps": 2,
            "num_workers": 0,
            "progress": False,
            "log_every": 1,
            "device": "cpu",
            **train,
        },
    }


def test_history_to_metrics() -> None:
    metrics = history_to_metrics(
        [{"step": 1, "loss": 2.0, "lr": 0.1}, {"step": 2, "loss": 1.5, "lr": 0.2}],
        [{"epoch": 0, "val/i2t_R@5": 0.5}],
    )
    assert metrics["loss"] == [{"value": 2.0, "step": 1}, {"value": 1.5, "step": 2}]
    assert metrics["val.i2t_R_at_5"] == [{"value": 0.5, "step": 0}]


def test_nodes_train_a_tiny_model(tmp_path: Path) -> None:
    pairs = ds.dataset(write_pairs(tmp_path / "pairs", 48, splits=("train", "train", "val")))
    params = _params(tmp_path)
    tokenizer_dir = build_tokenizer(pairs, params)
    assert len(load_tokenizer(tokenizer_dir)) > 5
    model_dir, metrics, summary = pretrain_model(pairs, tokenizer_dir, params)
    _, config = load_pretrained(model_dir)
    assert config.embed_dim == 32
    assert summary["steps"] == len(metrics["loss"]) > 0
    assert summary["val_metrics"], "validation recall is computed per epoch"
    assert (Path(params["work_dir"]) / "checkpoints").is_dir()


def test_text_length_is_chosen_from_the_train_reports(tmp_path: Path) -> None:
    from revision_pipeline.models import load_config
    from revision_pipeline.models.tokenizer import REPORT_LEN_KEY, length_covering
    from revision_pipeline.training.app import resolve_max_len, train_reports

    root = write_pairs(tmp_path / "pairs", 48, splits=("train", "train", "val"))
    params = _params(tmp_path, epochs=1)
    model_json = Path(params["model"])
    model_json.write_text(model_json.read_text().replace('"max_len": 16', '"max_len": null'))
    tokenizer_dir = build_tokenizer(ds.dataset(root), params)
    tokenizer = load_tokenizer(tokenizer_dir)
    chosen = tokenizer.init_kwargs[REPORT_LEN_KEY]
    assert chosen == length_covering(tokenizer, train_reports(root)) and chosen % 8 == 0
    model_dir, _, _ = pretrain_model(ds.dataset(root), tokenizer_dir, params)
    assert load_pretrained(model_dir)[1].text.max_len == chosen
    # a tokenizer without the recorded length (e.g. passed on the command line)
    del tokenizer.init_kwargs[REPORT_LEN_KEY]
    config = load_config(model_json)
    assert resolve_max_len(config, tokenizer, root) == chosen == config.text.max_len


def test_empty_train_split_stops_before_training(tmp_path: Path) -> None:
    pairs = ds.dataset(write_pairs(tmp_path / "pairs", 12, splits=("val",)))
    with pytest.raises(ValueError, match="train split"):
        build_tokenizer(pairs, _params(tmp_path))


def test_unknown_model_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown model config"):
        PretrainConfig.model_validate({"model": "vit-gigantic"})
    with pytest.raises(ValidationError, match="batchsize"):
        PretrainConfig.model_validate({"train": {"batchsize": 8}})


def test_resume_alone_resumes_from_the_work_dir_checkpoints() -> None:
    # what docs/reliability.md tells a user to run after a kill: --params=pretrain.train.resume=true
    config = PretrainConfig.model_validate({"work_dir": "w", "train": {"resume": True}})
    assert config.train.resume and Path(config.train.checkpoint_dir) == Path("w/checkpoints")
    elsewhere = {"train": {"resume": True, "checkpoint_dir": "ck"}}
    assert PretrainConfig.model_validate(elsewhere).train.checkpoint_dir == "ck"


def test_unknown_timm_name_fails_before_training(tmp_path: Path) -> None:
    pairs = ds.dataset(write_pairs(tmp_path / "pairs", 24, splits=("train", "val")))
    params = _params(tmp_path)
    bad = Path(params["model"])
    bad.write_text(bad.read_text().replace("test_efficientnet", "no_such_net_v9"))
    tokenizer_dir = build_tokenizer(pairs, params)
    with pytest.raises(ValueError, match="no_such_net_v9"):
        pretrain_model(pairs, tokenizer_dir, params)
    assert not (Path(params["work_dir"]) / "checkpoints").exists()


def _identifiers(project: Path, names: list[str]) -> None:
    """What curate leaves inside the boundary for the audit: the archive's identifiers."""
    path = project / "data/02_intermediate/archive_identifiers.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"kind": "patient_name", "value": names}).to_parquet(path)


def _overrides(model: Path, vocab_size: int = 200) -> str:
    train = {"epochs": 1, "batch_size": 8, "num_workers": 0, "warmup_steps": 1, "progress": "false"}
    return ",".join(
        [f"pretrain.model={model}", f"pretrain.tokenizer.vocab_size={vocab_size}"]
        + [f"pretrain.train.{key}={value}" for key, value in train.items()]
    )


def test_audit_after_pretraining_fails_on_phi_in_the_vocabulary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline_slices import run_in_memory

    from revision_pipeline.pipelines.pretrain import create_pipeline

    # the audit's paths are project-relative: run in a project of its own
    monkeypatch.chdir(tmp_path)
    root = write_pairs(tmp_path / "data/05_model_input/pairs", 24, splits=("train", "val"))
    pairs = ds.dataset(root)
    # a "patient name" that the (badly scrubbed) training reports contain, and a vocabulary
    # large enough to hold whole words (红色 becomes one token)
    identifiers = pd.DataFrame({"kind": "patient_name", "value": ["红色"]})
    params = _params(tmp_path, epochs=1)
    params["tokenizer"]["vocab_size"] = 2000
    params["work_dir"] = "data/06_models/pretrain_run"
    inputs = {
        "pairs": pairs,
        "archive_identifiers": identifiers,
        "demo_truth_phi_optional": pd.DataFrame(),
        "params:pretrain": params,
    }
    with pytest.raises(Exception, match="PHI audit failed") as error:
        run_in_memory(create_pipeline(), inputs)
    assert "data/06_models/pretrain_run/tokenizer/" in str(error.value)
    assert "红色" not in str(error.value)  # files are named, never values


@pytest.mark.slow
def test_kedro_run_pretrain_logs_to_mlflow(kedro_project, run_kedro) -> None:
    write_pairs(kedro_project / "data/05_model_input/pairs", 48, splits=("train", "train", "val"))
    _identifiers(kedro_project, ["欧阳娜娜"])
    model = tiny_model_config(kedro_project / "tiny.json")
    run_kedro(kedro_project, "run", "--pipeline=pretrain", f"--params={_overrides(model)}")
    assert (kedro_project / "data/08_reporting/phi_audit_pretrain.csv").read_text().count("\n") == 1
    versions = list((kedro_project / "data/06_models/retina_clip").glob("*/retina_clip"))
    assert len(versions) == 1 and (versions[0] / "config.json").exists()
    db = sqlite3.connect(kedro_project / "mlflow.db")
    keys = {row[0] for row in db.execute("SELECT DISTINCT key FROM metrics")}
    assert {"pretrain.loss", "pretrain.lr", "pretrain.temperature"} <= keys
    assert any(k.startswith("pretrain.val.") for k in keys)
    # parameters flattened: one column per key in the MLflow UI, and the run named after
    # its pipeline
    params = {row[0] for row in db.execute("SELECT key FROM params")}
    assert {"pretrain.train.lr", "pretrain.train.epochs", "pretrain.model"} <= params
    assert "pretrain" not in params
    assert {row[0] for row in db.execute("SELECT name FROM runs")} == {"pretrain"}
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    (run_id,) = [r[0] for r in db.execute("SELECT run_uuid FROM runs")]
    logged = {a.path for a in client.list_artifacts(run_id, "model")}
    assert {"model/model.safetensors", "model/config.json"} <= logged
    assert client.list_artifacts(run_id, "tokenizer"), "the tokenizer is logged too"
