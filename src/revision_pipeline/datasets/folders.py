"""A folder produced by a node (a model, a tokenizer), optionally versioned by Kedro."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractVersionedDataset, DatasetError, Version


class FolderDataset(AbstractVersionedDataset[Path, Path]):
    """Saving copies a folder the node wrote (its path is the data) into place.

    With ``versioned: true`` each save lands in ``<path>/<version>/<name>/`` and loading
    returns the latest (or the requested) version. With ``mlflow_artifact_path`` set,
    the saved folder is also logged to the active MLflow run under that path (wrapping
    a versioned dataset in kedro-mlflow's ``MlflowArtifactDataset`` breaks Kedro's
    single save version, so the folder logs itself). Loading returns the folder's path;
    the consumer decides how to read it (e.g. ``models.load_pretrained``). With
    ``missing_ok: true`` loading a folder never saved returns ``None`` (a consumer that
    can be pointed elsewhere, like ``evaluate.model_dir``, decides what that means).
    """

    def __init__(
        self,
        path: str,
        version: Version | None = None,
        mlflow_artifact_path: str | None = None,
        metadata: dict | None = None,
        missing_ok: bool = False,
    ):
        self._artifact_path = mlflow_artifact_path
        self._missing_ok = missing_ok
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=os.path.exists,
            glob_function=glob.glob,
        )
        self.metadata = metadata

    def _load(self) -> Path | None:
        try:
            path = Path(self._get_load_path())
        except DatasetError:  # no version saved yet
            if self._missing_ok:
                return None
            raise
        if not path.is_dir():
            if self._missing_ok:
                return None
            raise DatasetError(f"{path} does not exist: run the pipeline that writes it")
        return path

    def _save(self, data: Path) -> None:
        source = Path(data)
        if not source.is_dir():
            raise DatasetError(f"expected a folder to save, got {source}")
        target = Path(self._get_save_path())
        target.parent.mkdir(parents=True, exist_ok=True)
        # copy beside the target, then rename: a kill mid-copy never leaves a folder that
        # loading (the latest version) would take as complete
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        try:
            shutil.copytree(source, tmp)
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        if self._artifact_path is not None:
            import mlflow

            if mlflow.active_run() is not None:
                mlflow.log_artifacts(str(target), self._artifact_path)

    def _exists(self) -> bool:
        try:
            return Path(self._get_load_path()).is_dir()
        except DatasetError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {
            "path": str(self._filepath),
            "version": self._version,
            "mlflow_artifact_path": self._artifact_path,
        }
