"""Project hooks: validate configuration at start-up, before any node runs."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)

#: Top-level parameter key -> "module:Model" that validates it (imported only when used).
PARAMETER_MODELS: dict[str, str] = {
    "demo_archive": "revision_pipeline.synth.config:DemoArchiveConfig",
    "curate": "revision_pipeline.pipelines.curate.nodes:CurateConfig",
    "pretrain": "revision_pipeline.pipelines.pretrain.nodes:PretrainConfig",
}


def _model(path: str) -> type[BaseModel]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


class ConfigError(ValueError):
    """A configuration file holds an invalid value; the message names the key and file."""


def format_validation_error(error: ValidationError, prefix: str, where: str) -> str:
    """One line per problem: ``prefix.key.path: message (in where)``."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in (prefix, *problem["loc"]) if part != "")
        lines.append(f"  {key}: {problem['msg']}")
    return f"Invalid configuration in {where}:\n" + "\n".join(lines)


def validate_parameters(params: dict[str, Any], models: dict[str, str] | None = None) -> None:
    """Validate every known parameter section; raise ``ConfigError`` naming key and file.

    Args:
        params: all parameters.
        models: top-level key -> ``"module:Model"`` (default :data:`PARAMETER_MODELS`).
    """
    for key, model in (models or PARAMETER_MODELS).items():
        if key not in params:
            continue
        try:
            _model(model).model_validate(params[key])
        except ValidationError as error:
            raise ConfigError(
                format_validation_error(error, key, f"conf/*/parameters_{key}.yml")
            ) from None


class TrackingDatabaseHook:
    """Create or check the MLflow database before kedro-mlflow opens it.

    Runs first (``tryfirst``) among the ``after_context_created`` hooks, so MLflow never
    builds its schema in place, where an interrupted run would leave it half done
    (``revision_pipeline.tracking``).
    """

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        """Create the SQLite tracking database atomically, or fail naming the repair."""
        from kedro.config import MissingConfigException

        from revision_pipeline.tracking import ensure_tracking_db, sqlite_path

        loader = context.config_loader
        if "mlflow" not in loader.config_patterns:
            loader.config_patterns.update({"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]})
        try:
            uri = str(loader["mlflow"].get("server", {}).get("mlflow_tracking_uri") or "")
        except MissingConfigException:
            return
        path = sqlite_path(uri, Path(context.project_path))
        if path is not None:
            ensure_tracking_db(path)


class RunLockHook:
    """One run at a time per project: a second ``kedro run`` stops at once, naming the first.

    The lock (``data/.run.lock``, :mod:`revision_pipeline.runlock`) is released when the
    pipeline ends or fails, and by the kernel when the process dies.
    """

    def __init__(self) -> None:
        self._lock: Any = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Take the project's run lock before any node runs."""
        from revision_pipeline.runlock import RunLock

        project = Path(run_params.get("project_path") or ".")
        pipeline = run_params.get("pipeline_name") or "__default__"
        self._lock = RunLock(project / "data" / ".run.lock")
        self._lock.acquire(f"kedro run --pipeline={pipeline}")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Release the lock after a complete run."""
        self._release()

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Release the lock after a failed run."""
        self._release()


class ValidateConfigHook:
    """Fail fast on a typo in parameters or in ``institutions.yml``."""

    def __init__(self, extra_checks: list[Callable[[Any], None]] | None = None) -> None:
        self._extra_checks = extra_checks or []

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Validate as soon as the configuration is loaded."""
        validate_parameters(context.params)
        for check in self._extra_checks:
            check(context)
