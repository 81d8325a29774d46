"""notebooks/explore.ipynb runs top to bottom on a tiny project, and is committed clean."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from card_helpers import funnel, tracking_db_copy
from evaluation_helpers import save_tiny_model
from pairs_helpers import write_pairs

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"


def test_committed_notebook_has_no_outputs() -> None:
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"][:80]


def _tiny_project(root: Path) -> None:
    """What `make run` leaves, in small: curated pairs, a model version, the funnel."""
    write_pairs(
        root / "data/05_model_input/pairs",
        40,
        n_files=2,
        splits=("train", "train", "val", "test"),
        institutions=("H1", "H2", "H3"),
    )
    save_tiny_model(root / "data/06_models/retina_clip/2026-12-01T10.00.00.000Z/retina_clip")
    reporting = root / "data/08_reporting"
    reporting.mkdir(parents=True)
    funnel().to_csv(reporting / "curation_funnel.csv", index=False)
    tracking_db_copy(root / "mlflow.db")  # what `make install` creates


@pytest.mark.slow
def test_notebook_runs_top_to_bottom(
    kedro_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    _tiny_project(kedro_project)
    (kedro_project / "notebooks").mkdir()
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1, "one cell tagged 'parameters' sets how much is shown"
    parameters[0].source = "N_SAMPLES = 3\nN_MAP = 30\nSEED = 0"
    # the kernel is this interpreter, whatever kernels the machine has installed
    spec = tmp_path / "jupyter" / "kernels" / "revision-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "true")
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="revision-test",
        resources={"metadata": {"path": str(kedro_project / "notebooks")}},
    )
    client.execute()  # raises CellExecutionError naming the cell that failed

    text = "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "40 pairs from 3 institutions" in text
    assert "image tower test_efficientnet at 32 px" in text
    figures = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == 3  # sample pairs, embedding map, one photo's scores
    assert "probability" in text and "normal" in text
    assert not (kedro_project / "notebooks" / "mlflow.db").exists()  # worked from the root
