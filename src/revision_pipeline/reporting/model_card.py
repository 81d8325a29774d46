"""The model card: one Markdown page that says what the model is, what it was trained on,
how well it does, what it must not be used for, and how to rebuild it.

Built only from what the runs wrote (the curation funnel, the pretrain summary, the model
folder's ``config.json``, the evaluation metrics table, the PHI audits, and, when found,
the training run's loss history in MLflow). The PHI section holds counts only: no audit
value or file name reaches the card.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image

#: Per-class zero-shot AUROC below this marks a class as out of reach (as the report does).
CLASS_FLOOR = 0.70
#: File name of the curves figure beside the card.
CURVES_FILE = "model_card_training_curves.png"

DEFAULT_DATA_DESCRIPTION = (
    "the synthetic demo archive (`kedro run --pipeline=demo_archive`): generated photos and "
    "Chinese reports with planted PHI, made to exercise the pipeline end to end; no patient's "
    "data"
)


@dataclass
class CardInputs:
    """Everything the card is built from (the runs' outputs, already loaded).

    Attributes:
        model_name: registered model name.
        model_version: the model folder's Kedro version (its timestamp).
        model_hash: SHA-256 prefix of the model folder's config and weights.
        config: the model folder's ``config.json``.
        summary: ``data/08_reporting/pretrain_summary.json``.
        funnel: ``data/08_reporting/curation_funnel.csv``.
        metrics: the evaluation metrics table (None when evaluate has not run).
        phi_audit: ``phi_audit.csv`` (after curate).
        phi_audit_pretrain: ``phi_audit_pretrain.csv`` (after pretrain).
        suspected_names: ``suspected_names.csv`` (per institution counts).
        loss_history: ``{metric: [(step, value), ...]}`` from the training run, if found.
        train_params: the training run's ``pretrain.*`` parameters, if found.
        data_description: what the model was trained on (one sentence).
    """

    model_name: str
    model_version: str
    model_hash: str
    config: Mapping[str, Any]
    summary: Mapping[str, Any]
    funnel: pd.DataFrame
    metrics: pd.DataFrame | None
    phi_audit: pd.DataFrame
    phi_audit_pretrain: pd.DataFrame
    suspected_names: pd.DataFrame
    loss_history: Mapping[str, Sequence[tuple[int, float]]] = field(default_factory=dict)
    train_params: Mapping[str, str] = field(default_factory=dict)
    data_description: str = DEFAULT_DATA_DESCRIPTION


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ---- data ----------------------------------------------------------------------------------


def funnel_totals(funnel: pd.DataFrame, kind: str = "image") -> pd.DataFrame:
    """Per stage (in the funnel's order), summed over institutions: in, kept, rejected."""
    rows = funnel[funnel["kind"] == kind]
    if rows.empty:
        return pd.DataFrame(columns=["stage", "items_in", "kept", "rejected"])
    order = list(dict.fromkeys(rows["stage"]))
    totals = rows.groupby("stage", sort=False)[["items_in", "kept", "rejected"]].sum()
    return totals.reindex(order).reset_index().astype({"items_in": int, "kept": int})


def rejection_reasons(funnel: pd.DataFrame, kind: str = "image") -> dict[str, int]:
    """Rejected items per reason, summed over stages and institutions, largest first."""
    rows = funnel[funnel["kind"] == kind]
    cols = [c for c in rows.columns if c.startswith("rejected:")]
    sums = rows[cols].sum() if cols else pd.Series(dtype=int)
    sums = sums[sums > 0].sort_values(ascending=False)
    return {name.removeprefix("rejected:"): int(v) for name, v in sums.items()}


def data_section(inputs: CardInputs) -> str:
    """The curation funnel: photos and report rows found, kept after each stage, and why not."""
    funnel = inputs.funnel
    images = funnel_totals(funnel, "image")
    reports = funnel_totals(funnel, "report")
    institutions = funnel["institution_id"].nunique()
    found = int(images["items_in"].iloc[0]) if len(images) else 0
    kept = int(images["kept"].iloc[-1]) if len(images) else 0
    text = (
        f"Trained on {inputs.data_description}.\n\n"
        f"- **institutions**: {institutions}\n"
        f"- **photos found**: {found:,}; **kept as pairs**: {kept:,} "
        f"({kept / found:.1%} of found)\n"
        if found
        else f"Trained on {inputs.data_description}.\n\n- **institutions**: {institutions}\n"
    )
    if len(reports):
        text += (
            f"- **report rows found**: {int(reports['items_in'].iloc[0]):,}; "
            f"**kept**: {int(reports['kept'].iloc[-1]):,}\n"
        )
    text += "\n**Photos through the curation funnel** (all institutions):\n\n"
    text += _table(
        ["stage", "in", "kept", "rejected"],
        [[r.stage, int(r.items_in), int(r.kept), int(r.rejected)] for r in images.itertuples()],
    )
    reasons = rejection_reasons(funnel, "image")
    if reasons:
        text += "\n**Photos rejected, by reason**: " + ", ".join(
            f"{name} {count:,}" for name, count in reasons.items()
        )
        text += ".\n"
    text += (
        "\nPer institution: `data/08_reporting/curation_funnel.csv` and "
        "`data/08_reporting/curation_funnel.png`.\n"
    )
    return text


# ---- training ------------------------------------------------------------------------------


def final_validation(summary: Mapping[str, Any]) -> dict[str, float]:
    """The last epoch's validation metrics (``val/`` dropped from the names)."""
    val = list(summary.get("val_metrics") or [])
    if not val:
        return {}
    return {k.removeprefix("val/"): float(v) for k, v in val[-1].items() if k != "epoch"}


def training_section(inputs: CardInputs) -> str:
    """Architecture, run length, hyperparameters and the final validation recall."""
    config, summary = inputs.config, inputs.summary
    vision, textc = config.get("vision", {}), config.get("text", {})
    rows = [
        ["architecture", config.get("name") or summary.get("model") or "–"],
        ["embedding dimension", config.get("embed_dim")],
        ["image tower", f"{vision.get('timm_name')} at {vision.get('image_size')} px"],
        [
            "text tower",
            f"BERT, {textc.get('num_layers')} layers, hidden {textc.get('hidden_size')}, "
            f"{textc.get('pooling')} pooling",
        ],
        ["tokenizer", f"{textc.get('vocab_size')} tokens, reports cut at {textc.get('max_len')}"],
        ["steps", summary.get("steps")],
        ["epochs", summary.get("epochs_completed")],
        ["processes (world size)", summary.get("world_size")],
        ["final training loss", summary.get("final_loss")],
    ]
    hyper = [
        [key.removeprefix("pretrain."), value]
        for key, value in sorted(inputs.train_params.items())
        if key.startswith("pretrain.train.")
        and key.rsplit(".", 1)[-1]
        in {"epochs", "batch_size", "lr", "weight_decay", "warmup_steps", "schedule", "precision"}
    ]
    text = _table(["", "value"], rows)
    if hyper:
        text += "\n**Optimisation** (from the training run's parameters):\n\n"
        text += _table(["parameter", "value"], hyper)
    val = final_validation(summary)
    if val:
        keys = [f"{d}_R@{k}" for d in ("i2t", "t2i") for k in (1, 5, 10)]
        text += (
            f"\n**Validation retrieval after the last epoch** "
            f"({_fmt(val.get('n_pairs'), 0)} pairs, "
            f"{_fmt(val.get('n_unique_reports'), 0)} distinct reports; "
            f"chance i2t R@5 {_fmt(summary.get('chance_i2t_R@5'))}):\n\n"
        )
        text += _table(keys, [[val.get(k) for k in keys]])
    text += f"\n![training curves]({CURVES_FILE})\n"
    return text


def curves_figure(
    loss_history: Mapping[str, Sequence[tuple[int, float]]], summary: Mapping[str, Any]
) -> Image.Image:
    """Training loss per step (when the run's history was found) and validation recall per
    epoch (from the summary), beside the chance level."""
    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    loss = loss_history.get("loss") or []
    if loss:
        steps, values = zip(*sorted(loss), strict=True)
        left.plot(steps, values, lw=1)
        left.set_xlabel("step")
        left.set_ylabel("contrastive loss")
        left.set_title("Training loss")
    else:
        left.text(0.5, 0.5, "no loss history found\n(training run not in MLflow)", ha="center")
        left.set_axis_off()
    val = list(summary.get("val_metrics") or [])
    if val:
        epochs = [int(v.get("epoch", i)) + 1 for i, v in enumerate(val)]
        for key in ("val/i2t_R@1", "val/i2t_R@5", "val/t2i_R@5", "val/i2t_R@10"):
            if key in val[0]:
                right.plot(epochs, [v.get(key, np.nan) for v in val], marker="o", label=key[4:])
        chance = summary.get("chance_i2t_R@5")
        if chance is not None:
            right.axhline(float(chance), color="grey", ls="--", lw=1, label="chance R@5")
        right.set_xlabel("epoch")
        right.set_ylabel("recall")
        right.set_title("Validation retrieval")
        right.legend(fontsize=7)
    else:
        right.set_axis_off()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return Image.open(io.BytesIO(buffer.getvalue()))


# ---- evaluation ----------------------------------------------------------------------------

#: The commands that evaluate the latest model and rebuild its card.
EVALUATE_COMMANDS = (
    "`kedro run --pipeline=evaluate`, then rebuild the card (`kedro run --pipeline=model_card`)"
)


@dataclass(frozen=True)
class EvaluationMatch:
    """Whether an evaluation table scored the model being carded.

    Attributes:
        status: ``"match"`` (rows of this model's hash), ``"other_model"`` (rows of other
            models only), ``"unrecorded"`` (a table written before evaluate recorded the
            model it scored), ``"none"`` (no evaluation).
        metrics: the rows of this model (``"match"``), the whole table (``"unrecorded"``),
            else None.
        evaluated: the version (or hash) the table's rows name when they are another
            model's; ``""`` otherwise.
    """

    status: str
    metrics: pd.DataFrame | None = None
    evaluated: str = ""


def match_evaluation(metrics: pd.DataFrame | None, model_hash: str) -> EvaluationMatch:
    """The rows of ``metrics`` that scored the model folder of hash ``model_hash``.

    The evaluate pipeline writes the scored folder's hash (``evaluation.features.
    folder_hash``) and Kedro version on every row (``model_hash``, ``model_version``).
    """
    if metrics is None or metrics.empty:
        return EvaluationMatch("none")
    recorded = metrics.get("model_hash", pd.Series("", index=metrics.index)).fillna("")
    if not recorded.astype(str).str.len().any():
        return EvaluationMatch("unrecorded", metrics)
    mine = metrics[recorded.astype(str) == model_hash]
    if len(mine):
        return EvaluationMatch("match", mine.reset_index(drop=True))
    other = metrics[recorded.astype(str).str.len() > 0].iloc[0]
    version = other.get("model_version")
    label = f"hash `{other['model_hash']}`"
    if isinstance(version, str) and version:
        label = f"`{version}` ({label})"
    return EvaluationMatch("other_model", None, label)


def _pick(df: pd.DataFrame, **where: Any) -> pd.DataFrame:
    mask = np.ones(len(df), bool)
    for key, value in where.items():
        mask &= (df[key] == value).to_numpy()
    return df[mask]


def _ci(row: pd.Series) -> str:
    if pd.isna(row.get("ci_low")) or row.get("ci_low") == row.get("ci_high"):
        return _fmt(row["value"])
    return f"{_fmt(row['value'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"


def zero_shot_table(metrics: pd.DataFrame) -> tuple[str, float | None]:
    """Zero-shot AUROC per benchmark (trained, random init, chance) and the trained mean."""
    zs = _pick(metrics, section="zero_shot", metric="auroc")
    rows, trained_values = [], []
    for bench in dict.fromkeys(zs["benchmark"]):
        b = _pick(zs, benchmark=bench)
        trained = _pick(b, model="trained")
        if trained.empty:
            continue
        rand = _pick(b, model="random_init")["value"]
        row = trained.iloc[0]
        trained_values.append(float(row["value"]))
        rows.append([bench, int(row["n"]), _ci(row), rand.iloc[0] if len(rand) else None, 0.5])
    mean = float(np.mean(trained_values)) if trained_values else None
    rand_mean = _pick(zs, model="random_init")["value"].mean() if len(zs) else None
    if rows:
        rows.append(["**mean**", "", f"**{_fmt(mean)}**", rand_mean, 0.5])
    header = ["benchmark", "n test", "AUROC [95% CI]", "random init", "chance"]
    return _table(header, rows), mean


def out_of_reach(metrics: pd.DataFrame, floor: float = CLASS_FLOOR) -> list[str]:
    """``benchmark/class (AUROC)`` of the trained model's classes scoring below ``floor``,
    and cohort findings below it."""
    per_class = _pick(metrics, section="zero_shot", model="trained", metric="auroc_class")
    low = per_class[per_class["value"] < floor]
    out = [f"{r.benchmark}/{r.label} ({r.value:.2f})" for r in low.itertuples()]
    findings = _pick(metrics, section="cohort", metric="auroc_finding")
    low = findings[findings["value"] < floor]
    out += [f"{r.benchmark}/{r.label} ({r.value:.2f})" for r in low.itertuples()]
    return out


def evaluation_section(match: EvaluationMatch) -> str:
    """Headline tables: zero-shot, cohorts, retrieval, linear-probe baselines; or, when the
    latest evaluation scored another model, a plain statement that this one has none."""
    if match.status == "other_model":
        return (
            "**No evaluation of this model exists.** The latest evaluation scored another "
            f"model, {match.evaluated}; its numbers are not shown here. Run "
            f"{EVALUATE_COMMANDS}.\n"
        )
    if match.metrics is None:
        return f"_Not evaluated yet_: run {EVALUATE_COMMANDS}.\n"
    from revision_pipeline.evaluation.report import baselines_section, cohort_section

    metrics = match.metrics
    zero_shot, _ = zero_shot_table(metrics)
    cohorts, retrieval = cohort_section(metrics)
    caveat = (
        "_This evaluation does not record which model it scored (it was written before "
        "evaluate recorded the model's hash): it may be another model's. Run "
        f"{EVALUATE_COMMANDS} to be sure._\n\n"
        if match.status == "unrecorded"
        else ""
    )
    return (
        f"{caveat}"
        "**Zero-shot classification** on the benchmark sets (macro one-vs-rest AUROC, 95% "
        "bootstrap interval; expert-knowledge prompts, no training on the benchmark):\n\n"
        f"{zero_shot}\n"
        "**Clinical cohorts** (zero-shot, against the findings extracted from the held-out "
        "reports):\n\n"
        f"{cohorts}\n"
        "**Report retrieval** (image → report and report → image Recall@k):\n\n"
        f"{retrieval}\n"
        "**Linear probe** on frozen image features (16 examples per class, and all training "
        "data), against the same architecture with random weights:\n\n"
        f"{baselines_section(metrics)}\n"
        "Every table in full (per class, k-shot curves, adapters, contamination checks): "
        "`data/08_reporting/evaluation_report.md`; the tidy table: "
        "`data/08_reporting/evaluation_metrics.parquet`.\n"
    )


# ---- PHI -----------------------------------------------------------------------------------


def audit_counts(audit: pd.DataFrame) -> dict[str, int]:
    """Hits per kind of PHI in an audit table (``file, kind, count``): counts only."""
    if audit is None or audit.empty or "kind" not in audit:
        return {}
    if "count" in audit:
        counts = audit.groupby("kind")["count"].sum()
    else:
        counts = audit["kind"].value_counts()
    return {str(k): int(v) for k, v in counts.items() if int(v) > 0}


def phi_section(inputs: CardInputs) -> str:
    """The PHI audits after curate and after pretrain, and the suspected-name scan: counts."""
    lines = []
    for label, audit in (
        ("after curation (pairs, funnel, figures)", inputs.phi_audit),
        ("after pretraining (tokenizer vocabulary, model, summary)", inputs.phi_audit_pretrain),
    ):
        counts = audit_counts(audit)
        files = int(audit["file"].nunique()) if len(audit) and "file" in audit else 0
        verdict = (
            "**0 hits**"
            if not counts
            else f"**{sum(counts.values())} hits** in {files} file(s): "
            + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
        lines.append([label, verdict])
    text = (
        "Everything past `data/02_intermediate` is scanned for the archive's own identifiers "
        "(names, ID, phone and record numbers, exact dates) and, on the demo archive, for "
        "every planted PHI value. Counts only: no value is ever written to a report.\n\n"
    )
    text += _table(["audit", "result"], lines)
    sus = inputs.suspected_names
    if sus is not None and len(sus):
        reports = int(sus["reports"].sum())
        flagged = int(sus["reports_flagged"].sum())
        names = int(sus["suspected_names"].sum())
        with_flags = int((sus["reports_flagged"] > 0).sum())
        rate = flagged / reports if reports else 0.0
        text += (
            f"\n**Suspected names left in de-identified reports** (name-shaped spans the "
            f"scrubber kept): {names} in {flagged} of {reports:,} reports ({rate:.2%}), at "
            f"{with_flags} of {len(sus)} institutions.\n"
        )
    return text


# ---- the card ------------------------------------------------------------------------------

INTENDED_USE = """\
- **Primary use**: research on retinal vision-language models: zero-shot screening scores of
  the canonical findings, image/report retrieval, and frozen features for few-shot
  adaptation, on colour fundus photographs cropped as the curate pipeline crops them.
- **Users**: clinical-AI teams evaluating the method on their own archive; a clinic's
  screening command (`revision-screen`) runs an exported copy of the image tower on a CPU.
- **Out of scope**: diagnosis or triage of patients without an ophthalmologist's review; any
  photo that fails the quality check; other imaging modalities (OCT, angiography); reports
  in languages other than Chinese.
"""


def limitations_section(inputs: CardInputs) -> str:
    """Data, resolution and classes the model cannot separate."""
    size = inputs.config.get("vision", {}).get("image_size")
    text = (
        f"- **Training data**: {inputs.data_description}. Numbers on it say the pipeline "
        "works; they say nothing about performance on patients.\n"
        f"- **Resolution**: the image tower sees {size} px crops. Lesions smaller than a few "
        "pixels at that size (microaneurysms of mild DR, fine neovascularisation) are out of "
        "reach; grades that differ by lesion counts blur together.\n"
        "- **Benchmarks**: the evaluation ran on the sets configured in "
        "`conf/*/parameters_evaluate.yml`; in the demo these are synthetic stand-ins in the "
        "public sets' formats, not the public datasets.\n"
        "- **Labels**: training and cohort labels are extracted from the report text "
        "(negation-aware rules), not graded by a person.\n"
    )
    metrics = match_evaluation(inputs.metrics, inputs.model_hash).metrics
    if metrics is not None:
        low = out_of_reach(metrics)
        if low:
            text += (
                f"- **Out-of-reach classes** (zero-shot AUROC below {CLASS_FLOOR:.2f}): "
                + ", ".join(low)
                + ".\n"
            )
    return text


def reproduce_section(inputs: CardInputs) -> str:
    """The commands that rebuild the model, its evaluation and this card."""
    return f"""\
```bash
make install                               # .venv with the pinned stack
make run                                   # demo archive if data/01_raw is empty, then
                                           # curate + pretrain + evaluate
.venv/bin/kedro run --pipeline=model_card  # this card, and the registry entry
make mlflow-ui                             # runs and registered models, http://127.0.0.1:5000
```

Load the registered model (a pyfunc around the model folder; scores of the canonical
findings per photo):

```python
import mlflow, pandas as pd
mlflow.set_tracking_uri("sqlite:///mlflow.db")
model = mlflow.pyfunc.load_model("models:/{inputs.model_name}/latest")
scores = model.predict(pd.DataFrame({{"image_path": ["photo.jpg"]}}))
```

Or the folder itself: `revision_pipeline.models.load_pretrained(folder)`.
"""


def build_model_card(inputs: CardInputs) -> str:
    """The whole card as Markdown."""
    match = match_evaluation(inputs.metrics, inputs.model_hash)
    mean = zero_shot_table(match.metrics)[1] if match.metrics is not None else None
    if mean is not None:
        headline = f"zero-shot mean AUROC {mean:.3f}"
        headline += " (evaluated model not recorded)" if match.status == "unrecorded" else ""
    elif match.status == "other_model":
        headline = "not evaluated (the latest evaluation scored another model)"
    else:
        headline = "not evaluated yet"
    return (
        f"# Model card: {inputs.model_name}\n\n"
        f"- **model version**: `{inputs.model_version}` "
        f"(`data/06_models/retina_clip/{inputs.model_version}/retina_clip/`)\n"
        f"- **weights hash**: `{inputs.model_hash}`\n"
        f"- **architecture**: {inputs.config.get('name') or 'custom'} "
        f"(CLIP-style image/report model, ReVision, arXiv 2512.14499)\n"
        f"- **headline**: {headline}\n\n"
        "## Intended use\n\n"
        f"{INTENDED_USE}\n"
        "## Training data\n\n"
        f"{data_section(inputs)}\n"
        "## Training\n\n"
        f"{training_section(inputs)}\n"
        "## Evaluation\n\n"
        f"{evaluation_section(match)}\n"
        "## PHI audit\n\n"
        f"{phi_section(inputs)}\n"
        "## Limitations\n\n"
        f"{limitations_section(inputs)}\n"
        "## How to reproduce\n\n"
        f"{reproduce_section(inputs)}"
    )
