"""The training run's history, and the model in the MLflow model registry with its card.

All calls go through the tracking URI MLflow is set to (inside ``kedro run``: the project's
``conf/*/mlflow.yml``, ``sqlite:///mlflow.db``; the registry shares it), so ``make
mlflow-ui`` shows the registered model beside the runs.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from revision_pipeline.reporting.model_card import CURVES_FILE

logger = logging.getLogger(__name__)

#: The card's file name, in the model folder and among the run's artifacts.
CARD_FILE = "model_card.md"
#: MLflow keeps registry descriptions in a 5,000-character column.
DESCRIPTION_LIMIT = 5000
#: The file MLflow runs to build the pyfunc (models-from-code).
PYFUNC_ENTRY = Path(__file__).with_name("pyfunc_entry.py")
#: The package's own source, logged with the pyfunc (``code_paths``): MLflow puts it on
#: ``sys.path`` when the model is loaded, so a host needs no install of revision_pipeline,
#: which no package index serves, and runs the code the model was registered with.
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Distributions the pyfunc's code imports when it loads and scores (pinned at the versions
#: installed when the model is registered; see :func:`pip_requirements`).
PYFUNC_DISTRIBUTIONS = (
    "mlflow",
    "torch",
    "torchvision",
    "timm",
    "transformers",
    "tokenizers",
    "safetensors",
    "jieba",
    "opencc",
    "opencv-python-headless",
    "simplejpeg",
    "pillow",
    "numpy",
    "pandas",
    "pyarrow",
    "pyyaml",
    "tqdm",
)


def pip_requirements() -> list[str]:
    """``name==version`` of :data:`PYFUNC_DISTRIBUTIONS` as installed here (the environment
    that built and checked the model), for the pyfunc's ``requirements.txt``."""
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for name in PYFUNC_DISTRIBUTIONS:
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError as exc:
            raise RuntimeError(
                f"{name} is not installed, but the registered model imports it: "
                "install the project's dependencies (make install)"
            ) from exc
    return pins


@dataclass(frozen=True)
class Registration:
    """Where the model landed: registered name and version, the logged model, the run."""

    name: str
    version: str
    model_uri: str
    run_id: str
    tracking_uri: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def find_training_run(model_version: str, client: Any | None = None) -> Any | None:
    """The MLflow run that wrote model folder version ``model_version``, or None.

    kedro-mlflow tags each run with the Kedro session id (tag ``run_id``), which is also the
    save version of every versioned dataset the run wrote, the model folder included.
    """
    from mlflow import MlflowClient

    client = client or MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return None
    runs = client.search_runs(
        experiments,
        filter_string=f"tags.run_id = '{model_version}'",
        order_by=["attributes.start_time DESC"],
        max_results=5,
    )
    for run in runs:
        if any(key.startswith("pretrain.") for key in run.data.metrics):
            return run
    return runs[0] if runs else None


def loss_history(
    run: Any | None, names: Sequence[str] = ("pretrain.loss",), client: Any | None = None
) -> dict[str, list[tuple[int, float]]]:
    """``{name without "pretrain.": [(step, value), ...]}`` of the run's metric histories."""
    if run is None:
        return {}
    from mlflow import MlflowClient

    client = client or MlflowClient()
    out = {}
    for name in names:
        history = client.get_metric_history(run.info.run_id, name)
        if history:
            short = name.removeprefix("pretrain.")
            out[short] = sorted((int(m.step), float(m.value)) for m in history)
    return out


def training_params(run: Any | None) -> dict[str, str]:
    """The run's ``pretrain.*`` parameters (empty without a run)."""
    if run is None:
        return {}
    return {k: v for k, v in run.data.params.items() if k.startswith("pretrain.")}


#: Sections kept first when the card is cut to fit a description (the rest as room allows).
DESCRIPTION_PRIORITY = ("Evaluation", "Limitations", "Intended use", "PHI audit")
#: Sections that give only their first table to a description that must be cut.
DESCRIPTION_HEADLINE = frozenset({"Evaluation", "Training data", "Training"})


def _headline_only(section: str) -> str:
    """A section cut after its first table (Evaluation: the zero-shot table)."""
    lines, seen_table = [], False
    for line in section.splitlines():
        if seen_table and not line.startswith("|"):
            break
        seen_table = seen_table or line.startswith("|")
        lines.append(line)
    return "\n".join(lines) + ("\n\n_More tables in the full card._" if seen_table else "")


def short_description(card: str, pointer: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """The card cut to fit ``limit`` characters, then ``pointer``.

    The title block always stays; then whole sections are taken in the order of
    :data:`DESCRIPTION_PRIORITY` and then the card's own, while they fit; the long tabular
    sections (:data:`DESCRIPTION_HEADLINE`), and any section too long to fit whole, give
    only their first table. They are written back in the card's order.
    """
    if len(card) + len(pointer) + 2 <= limit:
        return f"{card.rstrip()}\n\n{pointer}"
    title, *sections = card.split("\n## ")
    names = [section.split("\n", 1)[0].strip() for section in sections]
    order = [n for n in DESCRIPTION_PRIORITY if n in names] + [
        n for n in names if n not in DESCRIPTION_PRIORITY
    ]
    room = limit - len(pointer) - len(title) - 4
    chosen: dict[str, str] = {}
    for name in order:
        section = sections[names.index(name)].rstrip()
        if name in DESCRIPTION_HEADLINE:
            section = _headline_only(section)
        for candidate in (section, _headline_only(section)):
            if len(candidate) + 5 <= room:
                chosen[name] = candidate
                room -= len(candidate) + 5
                break
    body = "".join(f"\n\n## {chosen[n]}" for n in names if n in chosen)
    return f"{title.rstrip()}{body}\n\n{pointer}"[:limit]


def write_into_model_folder(model_dir: Path, card: str, curves: Image.Image) -> list[Path]:
    """Put the card and its curves figure beside the weights (the folder travels with both)."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"model folder {model_dir} does not exist: run pretrain first")
    card_path = model_dir / CARD_FILE
    card_path.write_text(card, encoding="utf-8")
    curves_path = model_dir / CURVES_FILE
    curves.save(curves_path)
    return [card_path, curves_path]


def package_version() -> str:
    """The version of the revision_pipeline source logged with the model."""
    from revision_pipeline import __version__

    return __version__


def register_model(
    model_dir: Path,
    card: str,
    curves: Image.Image,
    name: str,
    *,
    tags: dict[str, str] | None = None,
    crop_side: int = 512,
    jpeg_quality: int = 90,
) -> Registration:
    """Log the model folder as a pyfunc, register it under ``name``, attach the card.

    The card and its curves go into the model folder, into the run's artifacts
    (``model_card/``), and into the descriptions of the registered model and of the new
    version (cut to whole sections under MLflow's 5,000 characters, with a pointer to the
    full card). Logs into the active run when there is one (``kedro run`` opens it), else
    into a new run named ``model_card``.

    Args:
        model_dir: the saved model folder (``models.save_pretrained`` layout).
        card: the Markdown card.
        curves: the training-curves figure the card shows.
        name: registered model name.
        tags: extra tags for the model version (e.g. the Kedro model version).
        crop_side: curate's crop side, used by the pyfunc on photo files.
        jpeg_quality: curate's crop JPEG quality.
    """
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    from revision_pipeline.reporting.pyfunc import MODEL_DIR_ARTIFACT, finding_codes

    model_dir = Path(model_dir)
    written = write_into_model_folder(model_dir, card, curves)
    signature = infer_signature(
        pd.DataFrame({"image_path": ["photo.jpg"]}),
        pd.DataFrame({"crop_status": ["disc"], **{c: [0.1] for c in finding_codes()}}),
    )
    own_run = mlflow.active_run() is None
    run = mlflow.start_run(run_name="model_card") if own_run else mlflow.active_run()
    try:
        # the pyfunc's artifacts are the weights, config and tokenizer only
        staging = model_dir.parent / f".{model_dir.name}.pyfunc-staging"
        if staging.exists():
            shutil.rmtree(staging)
        shutil.copytree(model_dir, staging, ignore=shutil.ignore_patterns("*.png"))
        try:
            info = mlflow.pyfunc.log_model(
                name="retina_clip",
                python_model=str(PYFUNC_ENTRY),
                artifacts={MODEL_DIR_ARTIFACT: str(staging)},
                model_config={"crop_side": crop_side, "jpeg_quality": jpeg_quality},
                signature=signature,
                pip_requirements=pip_requirements(),
                code_paths=[str(PACKAGE_DIR)],
                metadata={
                    "package": "revision_pipeline",
                    "package_version": package_version(),
                    "card": CARD_FILE,
                },
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for path in written:
            mlflow.log_artifact(str(path), "model_card")
        version = mlflow.register_model(info.model_uri, name, tags=tags or None)
    finally:
        if own_run:
            mlflow.end_run()
    client = MlflowClient()
    pointer = (
        f"Full card: artifact `model_card/{CARD_FILE}` of run {run.info.run_id}, and "
        f"`{CARD_FILE}` in the model folder."
    )
    description = short_description(card, pointer)
    client.update_registered_model(name, description=description)
    client.update_model_version(name, version.version, description=description)
    registration = Registration(
        name=name,
        version=str(version.version),
        model_uri=f"models:/{name}/{version.version}",
        run_id=run.info.run_id,
        tracking_uri=mlflow.get_tracking_uri(),
    )
    logger.info("registered %s version %s (%s)", name, version.version, info.model_uri)
    return registration
