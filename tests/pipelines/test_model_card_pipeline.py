"""`kedro run --pipeline=model_card` on what earlier runs leave: the card in the model folder
and data/08_reporting, and the model in the project's MLflow registry (what `make mlflow-ui`
opens)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from card_helpers import audit, config, funnel, metrics, summary, suspected, tracking_db_copy
from evaluation_helpers import save_tiny_model

from revision_pipeline.evaluation.features import folder_hash

VERSION = "2026-12-01T10.00.00.000Z"


def _earlier_runs(project: Path) -> Path:
    """The outputs of curate, pretrain and evaluate that the card reads."""
    reporting = project / "data" / "08_reporting"
    reporting.mkdir(parents=True)
    funnel().to_csv(reporting / "curation_funnel.csv", index=False)
    (reporting / "pretrain_summary.json").write_text(json.dumps(summary()))
    audit().to_csv(reporting / "phi_audit.csv", index=False)
    audit().to_csv(reporting / "phi_audit_pretrain.csv", index=False)
    suspected().to_csv(reporting / "suspected_names.csv", index=False)
    model_dir = save_tiny_model(
        project / "data" / "06_models" / "retina_clip" / VERSION / "retina_clip"
    )
    versioned = reporting / "evaluation_metrics.parquet" / VERSION / "evaluation_metrics.parquet"
    versioned.parent.mkdir(parents=True)
    metrics(folder_hash(model_dir), VERSION).to_parquet(versioned)  # evaluate scored it
    return model_dir


@pytest.mark.slow
def test_model_card_pipeline_writes_the_card_and_registers_the_model(
    kedro_project: Path, run_kedro
) -> None:
    model_dir = _earlier_runs(kedro_project)
    tracking_db_copy(kedro_project / "mlflow.db")  # what `make install` creates
    run_kedro(kedro_project, "run", "--pipeline=model_card")

    reporting = kedro_project / "data" / "08_reporting"
    card = (reporting / "model_card.md").read_text(encoding="utf-8")
    assert (model_dir / "model_card.md").read_text(encoding="utf-8") == card
    assert (reporting / "model_card_training_curves.png").stat().st_size > 10_000
    assert f"**model version**: `{VERSION}`" in card
    assert "**photos found**: 50; **kept as pairs**: 39" in card
    assert "| benchA | 111 | 0.812 [0.770, 0.854]" in card

    registration = json.loads((reporting / "model_registration.json").read_text())
    assert registration["registered"] and registration["version"] == "1"
    assert registration["tracking_uri"].endswith("mlflow.db")

    # the project's store (conf/base/mlflow.yml), the one `make mlflow-ui` opens
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlflow.db'}")
    version = client.get_model_version("retina_clip", "1")
    assert version.description.startswith("# Model card: retina_clip")
    assert version.tags["kedro_model_version"] == VERSION
    assert version.run_id == registration["run_id"]
    run = client.get_run(registration["run_id"])
    assert run.data.tags.get("kedro_command", "").endswith("--pipeline=model_card")


def test_register_model_false_writes_the_card_into_the_folder_only(tmp_path: Path) -> None:
    from PIL import Image

    from revision_pipeline.pipelines.model_card.nodes import register_model

    model_dir = tmp_path / "retina_clip" / VERSION / "retina_clip"
    model_dir.mkdir(parents=True)
    out = register_model(
        model_dir, "# Model card\n", Image.new("RGB", (8, 8)), {"register_model": False}, {}
    )
    assert out == {"registered": False, "model_dir": str(model_dir)}
    assert (model_dir / "model_card.md").read_text(encoding="utf-8") == "# Model card\n"
    assert (model_dir / "model_card_training_curves.png").is_file()


def test_card_needs_a_trained_model() -> None:
    from revision_pipeline.pipelines.model_card.nodes import write_model_card

    with pytest.raises(FileNotFoundError, match="--pipeline=pretrain"):
        write_model_card(None, funnel(), summary(), metrics(), audit(), audit(), suspected(), {})


def _card(model_dir: Path, evaluation, monkeypatch) -> str:
    """``write_model_card`` on a model folder, without an MLflow store."""
    from revision_pipeline.pipelines.model_card.nodes import write_model_card
    from revision_pipeline.reporting import registry

    monkeypatch.setattr(registry, "find_training_run", lambda version: None)
    card, _ = write_model_card(
        model_dir, funnel(), summary(), evaluation, audit(), audit(), suspected(), {}
    )
    return card


@pytest.fixture
def carded_model(tmp_path: Path) -> Path:
    """A model folder (config only: the card reads no weights) under a Kedro version."""
    model_dir = tmp_path / "retina_clip" / VERSION / "retina_clip"
    model_dir.mkdir(parents=True)
    (model_dir / "config.json").write_text(json.dumps(config()))
    return model_dir


def test_card_of_a_model_evaluated_after_retraining_warns_and_shows_no_numbers(
    carded_model: Path, monkeypatch, caplog
) -> None:
    previous = metrics("fedcba9876543210", "2026-11-30T09.00.00.000Z")
    with caplog.at_level(logging.WARNING):
        card = _card(carded_model, previous, monkeypatch)
    assert "**No evaluation of this model exists.**" in card
    assert "| benchA |" not in card
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "2026-11-30T09.00.00.000Z" in warning and VERSION in warning
    assert "kedro run --pipeline=evaluate" in warning


def test_card_of_the_evaluated_model_shows_its_numbers_without_warning(
    carded_model: Path, monkeypatch, caplog
) -> None:
    own = metrics(folder_hash(carded_model), VERSION)
    with caplog.at_level(logging.WARNING):
        card = _card(carded_model, own, monkeypatch)
    assert "| benchA | 111 | 0.812 [0.770, 0.854]" in card
    assert not [r for r in caplog.records if "evaluation" in r.getMessage()]
