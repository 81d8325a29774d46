"""Funnel figures for ``data/08_reporting`` (matplotlib's object API: no global state,
safe in any process). They show counts only: no identifier reaches a figure."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PIL import Image

from revision_pipeline.curation.funnel import STAGES


def _to_image(fig: Figure, dpi: int) -> Image.Image:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return Image.open(io.BytesIO(buffer.getvalue()))


def overview_plot(funnel: pd.DataFrame) -> Image.Image:
    """One bar per institution: images kept and rejected by stage, largest first."""
    images = funnel[funnel["kind"] == "image"]
    table = images.pivot_table(
        index="institution_id", columns="stage", values="rejected", aggfunc="sum"
    ).fillna(0)
    found = images.groupby("institution_id")["items_in"].first()
    table.insert(0, "kept", found - table.sum(axis=1))
    table = table.loc[found.sort_values(ascending=False).index]
    fig = Figure(figsize=(9, max(4.0, 0.12 * len(table) + 1.5)))
    ax = fig.subplots()
    left = np.zeros(len(table))
    for column in table.columns:
        ax.barh(table.index, table[column], left=left, label=column, height=0.8)
        left += table[column].to_numpy()
    ax.invert_yaxis()
    ax.set_xlabel("images")
    ax.set_title("Curation funnel per institution: images kept and rejected by stage")
    ax.legend(loc="lower right")
    ax.tick_params(axis="y", labelsize=5)
    fig.tight_layout()
    return _to_image(fig, 120)


def institution_plot(funnel: pd.DataFrame, institution: str) -> Image.Image:
    """The funnel of one institution's photos: how many remain after each stage, and
    the commonest reasons each stage rejected (report rows summed up in the title)."""
    mine = funnel[funnel["institution_id"] == institution]
    images = mine[mine["kind"] == "image"].set_index("stage").reindex(list(STAGES))
    reports = mine[mine["kind"] == "report"]
    found = int(images["items_in"].dropna().iloc[0]) if images["items_in"].notna().any() else 0
    labels, values, notes = ["found"], [found], [""]
    remaining = found
    reason_cols = [c for c in images.columns if c.startswith("rejected:")]
    for stage, row in images.iterrows():
        if pd.notna(row["kept"]):
            remaining = int(row["kept"])
            top = sorted(
                ((int(row[c]), c.removeprefix("rejected:")) for c in reason_cols if row[c] > 0),
                reverse=True,
            )[:3]
            notes.append(", ".join(f"{n} {reason}" for n, reason in top))
        else:
            notes.append("")
        labels.append(f"after {stage}")
        values.append(remaining)
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    width = max([*values, 1])
    y = np.arange(len(values))
    ax.barh(y, values, left=[(width - v) / 2 for v in values], color="#4C72B0", height=0.7)
    for i, (value, note) in enumerate(zip(values, notes, strict=True)):
        ax.text(width / 2, i, str(value), ha="center", va="center", color="white", fontsize=8)
        if note:
            ax.text(width * 1.02, i, f"-{values[i - 1] - value}: {note}", va="center", fontsize=7)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, width * 1.9)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    rows_in = int(reports["items_in"].iloc[0]) if len(reports) else 0
    rows_out = int(reports["rejected"].sum()) if len(reports) else 0
    ax.set_title(
        f"{institution}: {found} photos found, {remaining} paired; "
        f"report rows {rows_in}, {rows_out} rejected",
        fontsize=9,
    )
    fig.subplots_adjust(left=0.14, right=0.98, top=0.88, bottom=0.04)  # tight_layout: 2x slower
    return _to_image(fig, 90)


def institution_plots(funnel: pd.DataFrame) -> dict[str, Callable[[], Image.Image]]:
    """One lazily drawn funnel per institution, keyed by institution id (for a Kedro
    ``PartitionedDataset``: each figure is drawn only when it is saved)."""
    return {
        str(inst): partial(institution_plot, funnel, str(inst))
        for inst in sorted(funnel["institution_id"].unique())
    }
