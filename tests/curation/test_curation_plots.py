"""Funnel figures: the overview and one lazily drawn funnel per institution."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revision_pipeline.curation.funnel import build_funnel
from revision_pipeline.curation.plots import institution_plot, institution_plots, overview_plot


def _funnel() -> pd.DataFrame:
    found = pd.DataFrame(
        [{"institution_id": "H1", "kind": "image"}] * 10
        + [{"institution_id": "H1", "kind": "report"}] * 5
        + [{"institution_id": "H2", "kind": "image"}] * 3
    )
    rejects = pd.DataFrame(
        [
            ("H1", "image", "ingest", "orphan_image"),
            ("H1", "image", "quality", "quality: blurred"),
            ("H1", "image", "quality", "quality: blurred"),
            ("H1", "report", "ingest", "empty_report"),
        ],
        columns=["institution_id", "kind", "stage", "reason"],
    ).assign(source=lambda f: [f"x{i}" for i in range(len(f))])
    kept = pd.DataFrame({"institution_id": ["H1"] * 7 + ["H2"] * 3})
    return build_funnel(found, rejects, kept)


def test_one_lazy_figure_per_institution() -> None:
    funnel = _funnel()
    plots = institution_plots(funnel)
    assert sorted(plots) == ["H1", "H2"]
    assert all(callable(draw) for draw in plots.values())  # drawn only when saved
    image = plots["H1"]()
    assert image.format == "PNG" and image.width > 300 and image.height > 150
    pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 128 < pixels.max()  # something is drawn on the white page


def test_figures_differ_by_institution_and_overview_has_every_bar() -> None:
    funnel = _funnel()
    h1 = np.asarray(institution_plot(funnel, "H1").convert("L"))
    h2 = np.asarray(institution_plot(funnel, "H2").convert("L"))
    assert h1.shape == h2.shape and (h1 != h2).any()
    overview = overview_plot(funnel)
    assert overview.format == "PNG" and overview.height >= 400
