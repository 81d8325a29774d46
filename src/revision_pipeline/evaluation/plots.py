"""Figures of the evaluation report (matplotlib's object API: no global state)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image


def _to_image(fig: Figure, dpi: int = 100) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return Image.open(io.BytesIO(buffer.getvalue()))


def roc_plot(
    name: str,
    roc: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]],
    per_class: dict[str, float],
    max_classes: int = 12,
) -> Image.Image:
    """Zero-shot ROC curves of one benchmark: one curve per class (trained model), the
    random-init model's macro curve dashed, chance diagonal.

    Args:
        name: benchmark.
        roc: ``{model: {class: (fpr, tpr)}}``.
        per_class: trained model's AUROC per class (legend; the largest classes first).
        max_classes: curves drawn at most (multi-label sets have dozens of labels).
    """
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    trained = roc.get("trained", {})
    shown = sorted(trained, key=lambda c: -np.nan_to_num(per_class.get(c, 0.0)))[:max_classes]
    for cls in shown:
        fpr, tpr = trained[cls]
        ax.plot(fpr, tpr, lw=1.2, label=f"{cls} ({per_class.get(cls, float('nan')):.2f})")
    for model, curves in roc.items():
        if model == "trained" or not curves:
            continue
        grid = np.linspace(0, 1, 101)
        mean_tpr = np.mean([np.interp(grid, f, t) for f, t in curves.values()], axis=0)
        ax.plot(grid, mean_tpr, "k--", lw=1, label=f"{model} (mean of classes)")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(f"{name}: zero-shot ROC")
    ax.legend(fontsize=7, loc="lower right")
    return _to_image(fig)


def shots_plot(name: str, rows: pd.DataFrame) -> Image.Image:
    """AUROC (mean ± sd over seeds) against shots per class, one line per method and model.

    ``rows`` are adaptation rows of the metrics table (``shots`` -1 = all training data,
    drawn at the right edge); the zero-shot AUROC of the trained model is a horizontal line.
    """
    fig = Figure(figsize=(6, 4.5))
    ax = fig.subplots()
    adapt = rows[(rows["benchmark"] == name) & (rows["metric"] == "auroc") & rows["shots"].notna()]
    if len(adapt):
        max_shot = max(int(adapt["shots"].max()), 1)
        for (section, model), group in adapt.groupby(["section", "model"]):
            shots = group["shots"].astype(int).where(group["shots"] >= 0, max_shot * 2)
            stats = group.assign(x=shots).groupby("x")["value"].agg(["mean", "std"]).fillna(0)
            ax.errorbar(
                stats.index,
                stats["mean"],
                yerr=stats["std"],
                marker="o",
                ms=3,
                capsize=2,
                label=f"{section} ({model})",
            )
        ax.set_xscale("log", base=2)
        ticks = sorted(set(adapt["shots"].astype(int).where(adapt["shots"] >= 0, max_shot * 2)))
        ax.set_xticks(ticks, [str(t) if t <= max_shot else "all" for t in ticks])
    zs = rows[
        (rows["benchmark"] == name) & (rows["section"] == "zero_shot") & (rows["metric"] == "auroc")
    ]
    for model, style in (("trained", "-"), ("chance", ":")):
        value = zs.loc[zs["model"] == model, "value"]
        if len(value):
            ax.axhline(
                float(value.iloc[0]), color="grey", ls=style, lw=1, label=f"zero-shot ({model})"
            )
    ax.set_xlabel("shots per class")
    ax.set_ylabel("AUROC")
    ax.set_title(f"{name}: adaptation")
    ax.legend(fontsize=7, loc="lower right")
    return _to_image(fig)
