"""Project hooks: validate configuration at start-up, before any node runs."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from kedro.framework.hooks import hook_impl
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)

#: Top-level parameter key -> "module:Model" that validates it (imported only when used).
PARAMETER_MODELS: dict[str, str] = {
    "demo_archive": "revision_pipeline.synth.config:DemoArchiveConfig",
    "curate": "revision_pipeline.pipelines.curate.nodes:CurateConfig",
    "pretrain": "revision_pipeline.pipelines.pretrain.nodes:PretrainConfig",
    "evaluate": "revision_pipeline.evaluation.config:EvaluateConfig",
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
