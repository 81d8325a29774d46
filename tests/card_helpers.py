"""Small inputs of the model card with known numbers (no run needed), and a tracking store."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from revision_pipeline.reporting.model_card import CardInputs

#: A made-up identifier that an audit table could name; it must never reach the card.
SECRET_FILE = "data/05_model_input/pairs/part-LEAK.parquet"


def funnel() -> pd.DataFrame:
    """Two institutions: 30 + 20 photos found, 24 + 15 kept; report rows 12 + 8 -> 11 + 8."""
    rows = []
    for inst, found, lost in (("H1", 30, (2, 1, 2, 1)), ("H2", 20, (1, 1, 2, 1))):
        n = found
        for stage, rej in zip(("ingest", "read", "quality", "dedup"), lost, strict=True):
            reasons = {
                "rejected:orphan_image": rej if stage == "ingest" else 0,
                "rejected:unreadable": rej if stage == "read" else 0,
                "rejected:blurred": rej if stage == "quality" else 0,
                "rejected:duplicate_of": rej if stage == "dedup" else 0,
            }
            rows.append(
                dict(
                    institution_id=inst,
                    kind="image",
                    stage=stage,
                    items_in=n,
                    kept=n - rej,
                    rejected=rej,
                    **reasons,
                )
            )
            n -= rej
        rows.append(
            dict(institution_id=inst, kind="image", stage="pairing", items_in=n, kept=n, rejected=0)
        )
    for inst, found, kept in (("H1", 12, 11), ("H2", 8, 8)):
        rows.append(
            dict(
                institution_id=inst,
                kind="report",
                stage="ingest",
                items_in=found,
                kept=kept,
                rejected=found - kept,
            )
        )
    return pd.DataFrame(rows).fillna(0)


#: The model the helpers' card describes, and which their metrics scored.
MODEL_VERSION = "2026-12-03T12.28.45.124Z"
MODEL_HASH = "0123456789abcdef"


def metrics(model_hash: str = MODEL_HASH, model_version: str = MODEL_VERSION) -> pd.DataFrame:
    """Zero-shot on two benchmarks, one class under the floor, a cohort, retrieval, a probe,
    scored on the model ``model_hash`` (as the evaluate pipeline records it)."""
    rows = []

    def add(
        section,
        bench,
        model,
        metric,
        value,
        label="",
        n=10,
        lo=np.nan,
        hi=np.nan,
        shots=np.nan,
        seed=np.nan,
    ):
        rows.append(
            dict(
                section=section,
                benchmark=bench,
                model=model,
                metric=metric,
                label=label,
                shots=shots,
                seed=seed,
                value=value,
                ci_low=lo,
                ci_high=hi,
                n=n,
                trainable_params=np.nan,
                seconds=np.nan,
                model_hash=model_hash,
                model_version=model_version,
            )
        )

    add("zero_shot", "benchA", "trained", "auroc", 0.8125, n=111, lo=0.7702, hi=0.8543)
    add("zero_shot", "benchA", "random_init", "auroc", 0.4911, n=111)
    add("zero_shot", "benchA", "trained", "auroc_class", 0.6321, label="mild")
    add("zero_shot", "benchA", "trained", "auroc_class", 0.9321, label="severe")
    add("zero_shot", "benchB", "trained", "auroc", 0.9375, n=30, lo=0.9, hi=0.97)
    add("zero_shot", "benchB", "random_init", "auroc", 0.5261, n=30)
    add("cohort", "test_split", "trained", "auroc", 0.861, n=221, lo=0.83, hi=0.89)
    add("cohort", "test_split", "trained", "auroc_finding", 0.91, label="glaucoma", n=22)
    add("retrieval", "test_split", "trained", "i2t_R@5", 0.348, n=221, lo=0.29, hi=0.41)
    add("retrieval", "test_split", "trained", "n_unique_reports", 184, n=221)
    for model, value in (("trained", 0.8171), ("random_init", 0.676)):
        for seed in (0, 1):
            add("linear_probe", "benchA", model, "auroc", value, shots=16, seed=seed)
    return pd.DataFrame(rows)


def summary() -> dict:
    val = [
        {
            "val/i2t_R@1": 0.01,
            "val/i2t_R@5": 0.05,
            "val/i2t_R@10": 0.1,
            "val/t2i_R@5": 0.04,
            "val/n_pairs": 262.0,
            "val/n_unique_reports": 216.0,
            "epoch": 0,
        },
        {
            "val/i2t_R@1": 0.1234,
            "val/i2t_R@5": 0.3456,
            "val/i2t_R@10": 0.5,
            "val/t2i_R@5": 0.33,
            "val/n_pairs": 262.0,
            "val/n_unique_reports": 216.0,
            "epoch": 1,
        },
    ]
    return {
        "steps": 424,
        "epochs_completed": 2,
        "final_loss": 1.2646,
        "val_metrics": val,
        "world_size": 1,
        "model": "demo-tiny",
        "chance_i2t_R@5": 0.0231,
    }


def config() -> dict:
    return {
        "name": "demo-tiny",
        "embed_dim": 128,
        "vision": {"timm_name": "resnet10t", "image_size": 112},
        "text": {
            "hidden_size": 128,
            "num_layers": 2,
            "pooling": "mean",
            "max_len": 104,
            "vocab_size": 1422,
        },
    }


def audit(hits: dict[str, int] | None = None) -> pd.DataFrame:
    rows = [
        {"file": SECRET_FILE, "kind": k, "count": v, "read_as": "text"}
        for k, v in (hits or {}).items()
    ]
    return pd.DataFrame(rows, columns=["file", "kind", "count", "read_as"])


def suspected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "institution_id": ["H1", "H2"],
            "reports": [600, 400],
            "reports_flagged": [3, 0],
            "suspected_names": [4, 0],
        }
    )


def inputs(**overrides) -> CardInputs:
    values = dict(
        model_name="retina_clip",
        model_version=MODEL_VERSION,
        model_hash=MODEL_HASH,
        config=config(),
        summary=summary(),
        funnel=funnel(),
        metrics=metrics(),
        phi_audit=audit(),
        phi_audit_pretrain=audit({"patient_name": 2, "phone": 1}),
        suspected_names=suspected(),
        loss_history={"loss": [(10, 3.5), (20, 2.5), (30, 1.5)]},
        train_params={
            "pretrain.train.lr": "0.002",
            "pretrain.train.batch_size": "32",
            "pretrain.tokenizer.vocab_size": "4000",
        },
    )
    values.update(overrides)
    return CardInputs(**values)


_TEMPLATE_DB: Path | None = None


def tracking_db_copy(dest: Path) -> Path:
    """A fresh, empty MLflow database at ``dest``: a copy of one built once per process
    (building MLflow's schema takes seconds; the tests of the registry need several)."""
    global _TEMPLATE_DB
    if _TEMPLATE_DB is None or not _TEMPLATE_DB.exists():
        from revision_pipeline.tracking import ensure_tracking_db

        _TEMPLATE_DB = Path(tempfile.mkdtemp(prefix="mlflow-template-")) / "mlflow.db"
        ensure_tracking_db(_TEMPLATE_DB)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE_DB, dest)
    return dest
