"""Fixtures of the deployment tests: one tiny random model exported once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised tiny RetinaCLIP saved as pretrain saves it (32 px input)."""
    from evaluation_helpers import save_tiny_model

    root = tmp_path_factory.mktemp("model")
    return save_tiny_model(root / "2026-01-01T00.00.00.000Z" / "retina_clip")


@pytest.fixture(scope="session")
def tiny_export(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model exported (fp32 and INT8) into ``<root>/<version>/screening``."""
    from revision_pipeline.deploy.export import export_screening

    root = tmp_path_factory.mktemp("exports") / "screening"
    out = root / "2026-01-02T00.00.00.000Z" / "screening"
    export_screening(tiny_model, out, crop_side=256, jpeg_quality=90)
    return out


@pytest.fixture(scope="session")
def retina_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-image's real fundus photo (CC0) as a PNG: passes curate's quality check."""
    import skimage.data
    from PIL import Image

    path = tmp_path_factory.mktemp("photos") / "retina.png"
    Image.fromarray(skimage.data.retina()).save(path)
    return path
