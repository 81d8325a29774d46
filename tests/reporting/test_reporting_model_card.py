"""The model card holds the numbers of its inputs, section by section, and no PHI string."""

from __future__ import annotations

import re

import pandas as pd
from card_helpers import MODEL_HASH, SECRET_FILE, funnel, inputs, metrics

from revision_pipeline.reporting.model_card import (
    CURVES_FILE,
    build_model_card,
    curves_figure,
    funnel_totals,
    match_evaluation,
    rejection_reasons,
)

OTHER_VERSION = "2026-11-30T09.00.00.000Z"


def _section(card: str, title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", card, re.S | re.M)
    assert match, f"no section {title!r}"
    return match.group(1)


def test_card_has_every_section_in_order() -> None:
    card = build_model_card(inputs())
    titles = re.findall(r"^## (.+)$", card, re.M)
    assert titles == [
        "Intended use",
        "Training data",
        "Training",
        "Evaluation",
        "PHI audit",
        "Limitations",
        "How to reproduce",
    ]
    assert card.startswith("# Model card: retina_clip")
    assert "2026-12-03T12.28.45.124Z" in card and "0123456789abcdef" in card
    assert "zero-shot mean AUROC 0.875" in card  # (0.8125 + 0.9375) / 2


def test_funnel_totals_sum_over_institutions() -> None:
    totals = funnel_totals(funnel()).set_index("stage")
    assert list(totals.index) == ["ingest", "read", "quality", "dedup", "pairing"]
    assert totals.loc["ingest", "items_in"] == 50 and totals.loc["pairing", "kept"] == 39
    assert rejection_reasons(funnel()) == {
        "blurred": 4,
        "orphan_image": 3,
        "duplicate_of": 2,
        "unreadable": 2,
    }


def test_data_section_holds_the_funnel() -> None:
    data = _section(build_model_card(inputs()), "Training data")
    assert "**institutions**: 2" in data
    assert "**photos found**: 50; **kept as pairs**: 39 (78.0% of found)" in data
    assert "**report rows found**: 20; **kept**: 19" in data
    assert "| quality | 45 | 41 | 4 |" in data
    assert "blurred 4, orphan_image 3" in data
    assert "synthetic demo archive" in data


def test_training_section_holds_config_summary_and_run_parameters() -> None:
    training = _section(build_model_card(inputs()), "Training")
    assert "resnet10t at 112 px" in training
    assert "| steps | 424 |" in training and "| final training loss | 1.265 |" in training
    assert "| train.lr | 0.002 |" in training and "| train.batch_size | 32 |" in training
    assert "vocab_size" not in training.split("Optimisation")[1]  # only the optimiser's keys
    assert "0.123 | 0.346 | 0.500" in training  # the last epoch's recall
    assert f"]({CURVES_FILE})" in training


def test_evaluation_section_holds_the_tables() -> None:
    evaluation = _section(build_model_card(inputs()), "Evaluation")
    assert "| benchA | 111 | 0.812 [0.770, 0.854] | 0.491 | 0.500 |" in evaluation
    assert "**0.875**" in evaluation
    assert "test_split | 221 | 0.861 [0.830, 0.890]" in evaluation
    assert "0.348 [0.290, 0.410]" in evaluation
    assert "0.817 ± 0.000" in evaluation  # 16-shot probe


def test_without_evaluation_the_card_says_what_to_run() -> None:
    card = build_model_card(inputs(metrics=None))
    assert "kedro run --pipeline=evaluate" in _section(card, "Evaluation")
    assert "not evaluated yet" in card
    card = build_model_card(inputs(metrics=pd.DataFrame()))
    assert "_Not evaluated yet_" in card


def test_an_evaluation_of_another_model_is_not_shown() -> None:
    """Retrained without evaluating: the latest evaluation scored the previous model."""
    other = metrics(model_hash="fedcba9876543210", model_version=OTHER_VERSION)
    card = build_model_card(inputs(metrics=other))
    evaluation = _section(card, "Evaluation")
    assert "**No evaluation of this model exists.**" in evaluation
    assert OTHER_VERSION in evaluation and "fedcba9876543210" in evaluation
    assert "kedro run --pipeline=evaluate" in evaluation
    assert "kedro run --pipeline=model_card" in evaluation
    assert "not evaluated (the latest evaluation scored another model)" in card
    # none of the other model's numbers, in any section
    for number in ("0.812", "0.875", "0.861", "0.348", "0.817"):
        assert number not in card, number
    assert "benchA/mild" not in _section(card, "Limitations")


def test_only_the_rows_of_this_model_are_shown() -> None:
    both = pd.concat(
        [
            metrics(model_hash="fedcba9876543210", model_version=OTHER_VERSION).assign(value=0.1),
            metrics(),
        ],
        ignore_index=True,
    )
    match = match_evaluation(both, MODEL_HASH)
    assert match.status == "match" and len(match.metrics) == len(metrics())
    card = build_model_card(inputs(metrics=both))
    assert "zero-shot mean AUROC 0.875" in card


def test_an_evaluation_that_names_no_model_is_shown_with_a_caveat() -> None:
    """A table written before evaluate recorded the model it scored."""
    legacy = metrics().drop(columns=["model_hash", "model_version"])
    assert match_evaluation(legacy, MODEL_HASH).status == "unrecorded"
    card = build_model_card(inputs(metrics=legacy))
    evaluation = _section(card, "Evaluation")
    assert evaluation.startswith("\n_This evaluation does not record which model it scored")
    assert "| benchA | 111 | 0.812 [0.770, 0.854]" in evaluation
    assert "(evaluated model not recorded)" in card


def test_phi_section_has_counts_and_never_a_value() -> None:
    card = build_model_card(inputs())
    phi = _section(card, "PHI audit")
    assert "after curation (pairs, funnel, figures) | **0 hits**" in phi
    assert "**3 hits** in 1 file(s): patient_name 2, phone 1" in phi
    assert "4 in 3 of 1,000 reports (0.30%), at 1 of 2 institutions" in phi
    assert SECRET_FILE not in card and "LEAK" not in card


def test_limitations_name_resolution_and_out_of_reach_classes() -> None:
    limits = _section(build_model_card(inputs()), "Limitations")
    assert "112 px" in limits and "synthetic demo archive" in limits
    assert "benchA/mild (0.63)" in limits and "severe" not in limits
    custom = build_model_card(inputs(data_description="Hospital X's 2019-2024 export"))
    assert "Hospital X's 2019-2024 export" in _section(custom, "Limitations")


def test_reproduce_names_the_commands() -> None:
    reproduce = _section(build_model_card(inputs()), "How to reproduce")
    assert "kedro run --pipeline=model_card" in reproduce and "make mlflow-ui" in reproduce
    assert "models:/retina_clip/latest" in reproduce


def test_curves_figure_with_and_without_history() -> None:
    card_inputs = inputs()
    image = curves_figure(card_inputs.loss_history, card_inputs.summary)
    assert image.size[0] >= 800 and image.format == "PNG"
    assert curves_figure({}, {}).size == image.size
