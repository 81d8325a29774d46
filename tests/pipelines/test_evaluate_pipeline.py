"""The evaluate pipeline end to end, in process, on tiny data: a tiny model built here, a
tiny class-folder set, an absent dataset, a one-class set, and a benchmark photo planted from
the pretraining pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from evaluation_helpers import TINTS, disc_photo, save_photo, save_tiny_model, write_imagefolder
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import CSVDataset

from revision_pipeline.evaluation.images import CropSettings, prepare_one
from revision_pipeline.pipelines.evaluate import create_pipeline

CODES = {
    "normal": "眼底未见明显异常",
    "glaucoma": "青光眼，视杯扩大",
    "amd": "年龄相关性黄斑变性",
    "myopia": "病理性近视",
}
FINDING = {"normal": "normal", "glaucoma": "glaucoma", "amd": "amd", "myopia": "pathologic_myopia"}


def _pairs(root: Path, tmp: Path, settings: CropSettings) -> tuple[Path, Path]:
    """Curated pairs (crops made by curate's code) in the test split of two institutions."""
    rows: dict[str, list] = {
        k: [] for k in ("pair_id", "institution_id", "split", "image", "report", "labels")
    }
    photos = []
    for i in range(24):
        cls = list(TINTS)[i % 4]
        photo = save_photo(disc_photo(TINTS[cls], seed=500 + i), tmp / "archive" / f"{i}.png")
        photos.append(photo)
        rows["pair_id"].append(f"p{i}")
        rows["institution_id"].append("H1" if i % 3 else "EXT")
        rows["split"].append("test" if i % 2 == 0 else "train")
        rows["image"].append(prepare_one(str(photo), settings)["crop"])
        rows["report"].append(CODES[cls])
        rows["labels"].append([FINDING[cls]])
    root.mkdir(parents=True)
    pq.write_table(pa.table(rows), root / "part-000.parquet")
    return root, photos[5]


@pytest.mark.slow
def test_evaluate_pipeline_runs_in_process(tmp_path: Path) -> None:
    settings = CropSettings(64, 90)
    model = save_tiny_model(tmp_path / "model")
    bench = write_imagefolder(tmp_path / "folders", {"train": 5, "test": 4})
    pairs_root, pair_photo = _pairs(tmp_path / "pairs", tmp_path, settings)
    planted = bench / "test" / "normal" / "planted.png"
    planted.write_bytes(pair_photo.read_bytes())
    one_class = write_imagefolder(tmp_path / "one", {"train": 3, "test": 3}, classes=("amd",))
    params = {
        "benchmarks": {
            "folders": {"adapter": "imagefolder", "root": str(bench)},
            "absent": {"adapter": "aptos2019", "root": str(tmp_path / "nowhere")},
            "one": {"adapter": "imagefolder", "root": str(one_class)},
        },
        "bootstrap": 50,
        "workers": 1,
        "cache_dir": str(tmp_path / "cache"),
        "progress": False,
        "adaptation": {
            "shots": [1, 4],
            "seeds": 2,
            "lora": False,
            "full_finetune": False,
            "tip_adapter": False,
        },
    }
    catalog = DataCatalog(
        {
            "params:evaluate": MemoryDataset(params),
            "params:curate": MemoryDataset(
                {"image_side": 64, "jpeg_quality": 90, "splits": {"external_institutions": ["EXT"]}}
            ),
            "pairs": MemoryDataset(ds.dataset(str(pairs_root)), copy_mode="assign"),
            "retina_clip": MemoryDataset(model, copy_mode="assign"),
            "evaluation_contamination": CSVDataset(filepath=str(tmp_path / "contamination.csv")),
        }
    )
    outputs = SequentialRunner().run(create_pipeline(), catalog)
    out = {k: v.load() if hasattr(v, "load") else v for k, v in outputs.items()}
    out["evaluation_contamination"] = catalog.load("evaluation_contamination")
    metrics, report = out["evaluation_metrics"], out["evaluation_report"]
    mlflow = out["evaluation_mlflow_metrics"]
    # zero-shot with intervals, under the contract's names
    for key in (
        "zero_shot/folders/auroc",
        "zero_shot/folders/auroc_ci_low",
        "zero_shot/folders/auroc_ci_high",
        "zero_shot/mean_auroc",
    ):
        assert key in mlflow, key
    zs = metrics[(metrics["section"] == "zero_shot") & (metrics["metric"] == "auroc")]
    assert set(zs["model"]) == {"trained", "random_init", "chance"}
    # the planted pair photo is found, counted and not scored
    contamination = out["evaluation_contamination"]
    assert "planted.png" in " ".join(contamination["image_path"])
    n_test = metrics[
        (metrics["section"] == "zero_shot")
        & (metrics["model"] == "trained")
        & (metrics["metric"] == "auroc")
    ]["n"].iat[0]
    assert n_test == 4 * 4  # the planted photo is excluded
    # k-shot probes of both models, cohorts and retrieval with intervals
    lp = metrics[metrics["section"] == "linear_probe"]
    assert set(lp["model"]) == {"trained", "random_init"} and set(lp["shots"]) == {1, 4, -1}
    assert {"test_split", "EXT"} <= set(metrics.loc[metrics["section"] == "retrieval", "benchmark"])
    r5 = metrics[(metrics["section"] == "retrieval") & (metrics["metric"] == "i2t_R@5")]
    assert r5["ci_low"].notna().all()
    # skips are in the report, with reasons
    assert "absent" in report and "not found" in report
    assert "only the class" in report
    for heading in (
        "Zero-shot",
        "cohorts",
        "Retrieval",
        "k-shot",
        "Adapters",
        "Baselines",
        "Contamination",
        "Skipped",
    ):
        assert heading in report
    plots = out["evaluation_plots"]
    assert {"folders_roc", "folders_shots"} <= set(plots)
    assert plots["folders_roc"]().size[0] > 100
    assert np.isfinite(metrics["value"].dropna()).all()
    # every row names the model folder it scored (the model card checks it)
    from revision_pipeline.evaluation.features import folder_hash

    assert set(metrics["model_hash"]) == {folder_hash(model)}
    assert set(metrics["model_version"]) == {""}  # a folder outside Kedro's versioning
    assert f"**model hash**: `{folder_hash(model)}`" in report


def test_mlflow_metric_names_carry_no_dataset_prefix(tmp_path: Path) -> None:
    """kedro-mlflow prefixes metrics with the dataset name unless ``prefix`` is set: the
    contract's names are ``zero_shot/<benchmark>/auroc`` and ``zero_shot/mean_auroc``."""
    import mlflow
    import yaml
    from kedro_mlflow.io.metrics import MlflowMetricsHistoryDataset

    catalog = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "conf/base/catalog.yml").read_text()
    )
    entry = catalog["evaluation_mlflow_metrics"]
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        with mlflow.start_run() as run:
            MlflowMetricsHistoryDataset(prefix=entry["prefix"]).save(
                {"zero_shot/mean_auroc": [{"value": 0.9, "step": 0}]}
            )
        names = set(mlflow.get_run(run.info.run_id).data.metrics)
    finally:
        mlflow.set_tracking_uri(previous)
    assert names == {"zero_shot/mean_auroc"}
