"""The model in the MLflow model registry: a pyfunc around the folder, the card attached."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from card_helpers import inputs, tracking_db_copy
from evaluation_helpers import TINTS, disc_photo, save_photo, save_tiny_model
from mlflow import MlflowClient

from revision_pipeline.reporting import registry
from revision_pipeline.reporting.model_card import build_model_card, curves_figure
from revision_pipeline.reporting.pyfunc import finding_codes


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A throw-away tracking store (artifacts under tmp_path too); no run left open."""
    monkeypatch.chdir(tmp_path)  # the default artifact root is relative to the cwd
    previous = mlflow.get_tracking_uri()
    uri = f"sqlite:///{tracking_db_copy(tmp_path / 'mlflow.db')}"
    mlflow.set_tracking_uri(uri)
    yield uri
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.set_tracking_uri(previous)


def test_training_run_is_found_by_the_model_version(tracking: str) -> None:
    with mlflow.start_run(tags={"run_id": "2026-01-01T00.00.00.000Z"}):
        mlflow.log_metric("curate.pairs_kept", 10)
    with mlflow.start_run(tags={"run_id": "2026-01-02T00.00.00.000Z"}) as run:
        mlflow.log_param("pretrain.train.lr", 0.002)
        for step, loss in ((10, 3.0), (20, 2.0)):
            mlflow.log_metric("pretrain.loss", loss, step=step)
    found = registry.find_training_run("2026-01-02T00.00.00.000Z")
    assert found.info.run_id == run.info.run_id
    assert registry.loss_history(found) == {"loss": [(10, 3.0), (20, 2.0)]}
    assert registry.training_params(found) == {"pretrain.train.lr": "0.002"}
    assert registry.find_training_run("1999-01-01T00.00.00.000Z") is None
    assert registry.loss_history(None) == {} and registry.training_params(None) == {}


def test_short_description_fits_and_keeps_the_headline_numbers() -> None:
    card = build_model_card(inputs())
    text = registry.short_description(card, "Full card: see the artifact.", limit=2500)
    assert len(text) <= 2500 and text.endswith("Full card: see the artifact.")
    assert text.startswith("# Model card: retina_clip")
    assert "zero-shot mean AUROC 0.875" in text  # the title block always stays
    assert "| benchA | 111 | 0.812 [0.770, 0.854]" in text  # the zero-shot table comes first
    assert "Clinical cohorts" not in text and "More tables in the full card" in text
    titles = [line for line in text.splitlines() if line.startswith("## ")]
    assert titles == sorted(titles, key=card.index)  # in the card's order
    whole = registry.short_description(card, "x", limit=len(card) + 10)
    assert whole == card.rstrip() + "\n\nx"


def test_short_description_of_a_model_without_its_evaluation_says_so() -> None:
    from card_helpers import metrics

    card = build_model_card(inputs(metrics=metrics(model_hash="fedcba9876543210")))
    text = registry.short_description(card, "Full card: see the artifact.", limit=2500)
    assert "**No evaluation of this model exists.**" in text
    evaluation = text.split("## Evaluation", 1)[1].split("\n## ", 1)[0]
    assert "More tables" not in evaluation  # it has none


@pytest.mark.slow
def test_register_model_attaches_the_card_and_loads_as_pyfunc(
    tracking: str, tmp_path: Path
) -> None:
    model_dir = save_tiny_model(tmp_path / "06_models" / "v1" / "retina_clip")
    card_inputs = inputs()
    card = build_model_card(card_inputs)
    curves = curves_figure(card_inputs.loss_history, card_inputs.summary)

    first = registry.register_model(model_dir, card, curves, "retina_clip", crop_side=64)
    second = registry.register_model(model_dir, card, curves, "retina_clip", crop_side=64)
    assert (first.version, second.version) == ("1", "2")
    assert first.tracking_uri == tracking

    # the card sits in the model folder and among the run's artifacts
    assert (model_dir / registry.CARD_FILE).read_text(encoding="utf-8") == card
    client = MlflowClient()
    artifacts = {a.path for a in client.list_artifacts(first.run_id, "model_card")}
    assert artifacts == {"model_card/model_card.md", "model_card/model_card_training_curves.png"}

    # and in the descriptions (whole sections, with the numbers), version and model alike
    version = client.get_model_version("retina_clip", "1")
    assert version.description.startswith("# Model card: retina_clip")
    assert "zero-shot mean AUROC 0.875" in version.description
    assert f"run {first.run_id}" in version.description
    latest = client.get_model_version("retina_clip", "2").description
    assert f"run {second.run_id}" in latest  # the registered model describes its latest version
    assert client.get_registered_model("retina_clip").description == latest

    # what a user loads: the pyfunc scores photos on the canonical findings
    loaded = mlflow.pyfunc.load_model("models:/retina_clip/1")
    photo = save_photo(disc_photo(TINTS["glaucoma"], seed=3), tmp_path / "photo.png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a photo")
    scores = loaded.predict(pd.DataFrame({"image_path": [str(photo), str(bad)]}))
    assert list(scores.columns) == ["crop_status", *finding_codes()]
    assert scores.loc[0, "crop_status"] in {"disc", "centre"}
    assert np.isclose(scores.loc[0, finding_codes()].astype(float).sum(), 1.0, atol=1e-5)
    assert scores.loc[1, "crop_status"].startswith("unreadable")
    assert scores.loc[1, finding_codes()].isna().all()
    # the registry holds no pickle of the network
    local = Path(mlflow.artifacts.download_artifacts(loaded.metadata.get_model_info().model_uri))
    assert not list(local.rglob("*.pkl")) and list(local.rglob("model.safetensors"))


def test_register_model_needs_the_folder(tracking: str, tmp_path: Path) -> None:
    card_inputs = inputs()
    with pytest.raises(FileNotFoundError, match="run pretrain first"):
        registry.register_model(
            tmp_path / "missing",
            build_model_card(card_inputs),
            curves_figure({}, {}),
            "retina_clip",
        )


#: Run in a fresh interpreter: load the registered model where revision_pipeline is not
#: installed (its editable install dropped from sys.path), score a photo, and list the
#: top-level modules the package's code imported, with the distributions providing them.
_LOAD_WITHOUT_PACKAGE = """
import ast, json, sys
from importlib.metadata import packages_distributions
from importlib.util import find_spec
from pathlib import Path

sys.path = [p for p in sys.path if not (Path(p or ".") / "revision_pipeline").is_dir()]
assert find_spec("revision_pipeline") is None, "revision_pipeline is still importable"
import mlflow, pandas as pd

scores = mlflow.pyfunc.load_model(sys.argv[1]).predict(pd.DataFrame({"image_path": [sys.argv[2]]}))
import revision_pipeline

imported = set()
for name, module in list(sys.modules.items()):
    if name.startswith("revision_pipeline") and getattr(module, "__file__", None):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
loaded = {name.split(".")[0] for name in sys.modules}
third_party = (imported & loaded) - set(sys.stdlib_module_names) - {"revision_pipeline"}
dists = packages_distributions()
print(json.dumps({
    "package_file": revision_pipeline.__file__,
    "crop_status": str(scores.loc[0, "crop_status"]),
    "imports": {top: dists.get(top, [top]) for top in sorted(third_party)},
}))
"""


@pytest.mark.slow
def test_registered_model_loads_without_the_package_installed(
    tracking: str, tmp_path: Path
) -> None:
    """The package's source travels with the model (code_paths), and its requirements name
    every distribution that code imports, at the versions installed here."""
    import json
    import os
    import subprocess
    import sys

    model_dir = save_tiny_model(tmp_path / "06_models" / "v1" / "retina_clip")
    card_inputs = inputs()
    registry.register_model(
        model_dir, build_model_card(card_inputs), curves_figure({}, {}), "retina_clip", crop_side=64
    )
    photo = save_photo(disc_photo(TINTS["amd"], seed=5), tmp_path / "photo.png")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MLFLOW_TRACKING_URI"] = tracking
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_WITHOUT_PACKAGE, "models:/retina_clip/1", str(photo)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["crop_status"] in {"disc", "centre"}
    assert "/code/revision_pipeline/" in result["package_file"]  # the copy logged with the model

    requirements = Path(mlflow.pyfunc.get_model_dependencies("models:/retina_clip/1"))
    pins = dict(line.split("==") for line in requirements.read_text().split() if "==" in line)
    assert pins == dict(pin.split("==") for pin in registry.pip_requirements())
    names = {name.lower() for name in pins}
    missing = {
        top: dists
        for top, dists in result["imports"].items()
        if not {d.lower() for d in dists} & names
    }
    assert not missing, f"imported by the pyfunc but not in its requirements: {missing}"
    info = mlflow.models.get_model_info("models:/retina_clip/1")
    assert info.metadata["package_version"] == registry.package_version()
