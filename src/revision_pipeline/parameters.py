"""Start-up validation of the parameter files (kedro-free; the hook in ``hooks.py`` calls it).

Every top-level key of ``conf/*/parameters*.yml`` is a section with a pydantic model
(:data:`PARAMETER_MODELS`); an unknown section, or a wrong key inside one, fails before
the first node runs with the key and the file that holds it named.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

logger = logging.getLogger(__name__)

#: Top-level parameter key -> "module:Model" that validates it (imported only when used).
#: A new pipeline's section is added here, beside the library its model configures.
PARAMETER_MODELS: dict[str, str] = {
    "demo_archive": "revision_pipeline.synth.config:DemoArchiveConfig",
    "curate": "revision_pipeline.curation.config:CurateConfig",
    "pretrain": "revision_pipeline.training.config:PretrainConfig",
    "evaluate": "revision_pipeline.evaluation.config:EvaluateConfig",
    "export": "revision_pipeline.deploy.config:ExportConfig",
    "model_card": "revision_pipeline.reporting.config:ModelCardConfig",
}

#: The file patterns Kedro reads parameters from (``OmegaConfigLoader``'s defaults).
PARAMETER_PATTERNS: tuple[str, ...] = ("parameters*", "parameters*/**", "**/parameters*")
_SUFFIXES = (".yml", ".yaml", ".json")


class ConfigError(ValueError):
    """A configuration file holds an invalid value; the message names the key and file."""


def _model(path: str) -> type[BaseModel]:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def format_validation_error(error: ValidationError, prefix: str, where: str) -> str:
    """One line per problem: ``prefix.key.path: message (in where)``."""
    lines = []
    for problem in error.errors():
        key = ".".join(str(part) for part in (prefix, *problem["loc"]) if part != "")
        lines.append(f"  {key}: {problem['msg']}")
    return f"Invalid configuration in {where}:\n" + "\n".join(lines)


def parameter_sources(
    conf_source: str | Path,
    envs: Iterable[str],
    patterns: Iterable[str] = PARAMETER_PATTERNS,
) -> dict[str, list[str]]:
    """Which parameter files define each top-level key, as ``conf/<env>/<file>`` paths.

    Args:
        conf_source: the configuration folder (``conf``).
        envs: the environments read, base first (``base``, ``local``).
        patterns: the glob patterns of parameter files within an environment.
    """
    root = Path(conf_source)
    sources: dict[str, list[str]] = {}
    for env in dict.fromkeys(envs):
        folder = root / env
        files = {p for pattern in patterns for p in folder.glob(pattern)} if folder.is_dir() else ()
        for path in sorted(p for p in files if p.is_file() and p.suffix in _SUFFIXES):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue  # Kedro's own loader reports an unreadable file
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            for key in data if isinstance(data, dict) else ():
                sources.setdefault(str(key), []).append(name)
    return sources


def _where(key: str, sources: dict[str, list[str]] | None) -> str:
    files = (sources or {}).get(key)
    if sources is None:
        return f"conf/*/parameters_{key}.yml"
    return " or ".join(files) if files else "the run's --params (no parameter file defines it)"


def validate_parameters(
    params: dict[str, Any],
    models: dict[str, str] | None = None,
    sources: dict[str, list[str]] | None = None,
) -> None:
    """Validate every parameter section; raise :class:`ConfigError` naming key and file.

    Args:
        params: all parameters (every top-level key is a section).
        models: top-level key -> ``"module:Model"`` (default :data:`PARAMETER_MODELS`).
        sources: top-level key -> the files defining it (:func:`parameter_sources`);
            ``None`` names the conventional ``conf/*/parameters_<key>.yml``.

    Raises:
        ConfigError: a section no model validates, or a wrong key or value in one.
    """
    models = PARAMETER_MODELS if models is None else models
    unknown = sorted(set(params) - set(models))
    if unknown:
        where = "; ".join(f"{key!r} in {_where(key, sources)}" for key in unknown)
        raise ConfigError(
            f"Unknown parameter section {where}: expected one of {sorted(models)}. A typo? "
            "A new pipeline's section needs a model in revision_pipeline.parameters."
            "PARAMETER_MODELS."
        )
    for key, model in models.items():
        if key not in params:
            continue
        try:
            _model(model).model_validate(params[key])
        except ValidationError as error:
            raise ConfigError(format_validation_error(error, key, _where(key, sources))) from None
