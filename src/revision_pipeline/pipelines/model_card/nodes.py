"""Nodes of the ``model_card`` pipeline (thin: the work lives in ``reporting``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from revision_pipeline.reporting.config import ModelCardConfig

logger = logging.getLogger(__name__)


def _model_version(model_dir: Path) -> str:
    """``data/06_models/retina_clip/<version>/retina_clip`` -> ``<version>`` (the Kedro
    save version, which is also the session id kedro-mlflow tags the training run with)."""
    return model_dir.parent.name


def write_model_card(
    model_dir: Path | None,
    funnel: pd.DataFrame,
    summary: dict[str, Any],
    metrics: pd.DataFrame,
    phi_audit: pd.DataFrame,
    phi_audit_pretrain: pd.DataFrame,
    suspected_names: pd.DataFrame,
    params: dict[str, Any],
) -> tuple[str, Image.Image]:
    """The card (Markdown) and its training-curves figure, from what the runs wrote.

    The loss curve comes from the training run in MLflow (found by the model's version);
    without it the card still holds the validation curves from the pretrain summary. The
    evaluation is shown only when it scored this model folder (same hash); otherwise the card
    says no evaluation of this model exists, and a warning says so here.
    """
    from revision_pipeline.evaluation.features import folder_hash
    from revision_pipeline.reporting import registry
    from revision_pipeline.reporting.model_card import (
        DEFAULT_DATA_DESCRIPTION,
        EVALUATE_COMMANDS,
        CardInputs,
        build_model_card,
        curves_figure,
        match_evaluation,
    )

    config = ModelCardConfig.model_validate(params)
    if model_dir is None:
        raise FileNotFoundError(
            "no retina_clip model under data/06_models/retina_clip: run "
            "`kedro run --pipeline=pretrain` first"
        )
    model_dir = Path(model_dir)
    version = _model_version(model_dir)
    model_hash = folder_hash(model_dir)
    match = match_evaluation(metrics, model_hash)
    if match.status == "other_model":
        logger.warning(
            "the latest evaluation scored model %s, not model %s (hash %s): the card shows no "
            "evaluation; run %s",
            match.evaluated,
            version,
            model_hash,
            EVALUATE_COMMANDS,
        )
    elif match.status == "unrecorded":
        logger.warning(
            "the latest evaluation does not record which model it scored: the card shows it "
            "with a caveat; run %s",
            EVALUATE_COMMANDS,
        )
    try:
        run = registry.find_training_run(version)
        history = registry.loss_history(run)
    except Exception as exc:  # a card without the loss curve beats no card
        logger.warning("training run of model %s not read from MLflow: %s", version, exc)
        run, history = None, {}
    if run is None:
        logger.warning("no MLflow run wrote model %s: the card shows no loss curve", version)
    inputs = CardInputs(
        model_name=config.registered_model_name,
        model_version=version,
        model_hash=model_hash,
        config=json.loads((model_dir / "config.json").read_text(encoding="utf-8")),
        summary=summary,
        funnel=funnel,
        metrics=metrics,
        phi_audit=phi_audit,
        phi_audit_pretrain=phi_audit_pretrain,
        suspected_names=suspected_names,
        loss_history=history,
        train_params=registry.training_params(run),
        data_description=config.data_description or DEFAULT_DATA_DESCRIPTION,
    )
    return build_model_card(inputs), curves_figure(history, summary)


def register_model(
    model_dir: Path,
    card: str,
    curves: Image.Image,
    params: dict[str, Any],
    curate: dict[str, Any],
) -> dict[str, Any]:
    """Put the card into the model folder and register the model in MLflow with it."""
    from revision_pipeline.reporting import registry

    config = ModelCardConfig.model_validate(params)
    model_dir = Path(model_dir)
    if not config.register_model:
        registry.write_into_model_folder(model_dir, card, curves)
        logger.info("model_card.register_model is false: card written into %s only", model_dir)
        return {"registered": False, "model_dir": str(model_dir)}
    registration = registry.register_model(
        model_dir,
        card,
        curves,
        config.registered_model_name,
        tags={"kedro_model_version": _model_version(model_dir)},
        crop_side=int(curate.get("image_side", 512)),
        jpeg_quality=int(curate.get("jpeg_quality", 90)),
    )
    return {"registered": True, "model_dir": str(model_dir), **registration.to_dict()}
