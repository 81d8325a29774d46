"""Named architecture configs (open_clip style): JSON files parsed into dataclasses.

A config names the image tower by its timm name and describes the text tower as a
BERT (built from scratch, or loaded from a local pretrained directory). Files live in
``revision_pipeline/models/configs/<name>.json``; any other JSON file can be passed by
path. Unknown keys and bad values raise :class:`ConfigError` naming the file and key.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).parent / "configs"
_PROJ_KINDS = ("linear", "mlp")
_POOLINGS = ("cls", "mean")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ConfigError(ValueError):
    """A model config file has an unknown key or an invalid value."""


@dataclass
class VisionConfig:
    """Image tower: a timm backbone (no classifier head) and its projection.

    Attributes:
        timm_name: timm model name, e.g. ``vit_base_patch16_224``.
        image_size: input side in pixels (passed to timm as ``img_size`` when the
            architecture accepts it).
        init_checkpoint: optional local file with backbone weights (ImageNet, RETFound).
        init_strict: when True, unexpected/missing backbone keys in ``init_checkpoint``
            raise; when False they are logged and skipped. Classifier heads and MAE
            decoder keys are always ignored.
        proj: ``linear`` or ``mlp`` projection to the joint embedding.
        timm_kwargs: extra keyword arguments for ``timm.create_model``.
        mean: per-channel normalisation mean for the image transform.
        std: per-channel normalisation std for the image transform.
    """

    timm_name: str = "vit_base_patch16_224"
    image_size: int = 224
    init_checkpoint: str | None = None
    init_strict: bool = True
    proj: str = "linear"
    timm_kwargs: dict[str, Any] = field(default_factory=dict)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD


@dataclass
class TextConfig:
    """Text tower: a BERT encoder pooled to one vector, and its projection.

    Attributes:
        hidden_size: BERT hidden width (ignored when ``pretrained_dir`` is set).
        num_layers: number of transformer layers.
        num_heads: attention heads (must divide ``hidden_size``).
        intermediate_size: feed-forward width; default ``4 * hidden_size``.
        max_len: maximum token sequence length (position embeddings and truncation);
            ``null``: chosen from the training reports, the shortest length that keeps
            95% of them whole (the ``pretrain`` tokenizer node logs and records it;
            the saved model's config holds the number).
        pooling: ``cls`` (first token) or ``mean`` (attention-masked mean).
        proj: ``linear`` or ``mlp`` projection to the joint embedding.
        dropout: hidden and attention dropout inside BERT.
        pretrained_dir: local directory of a Hugging Face BERT checkpoint
            (e.g. RoBERTa-wwm-ext); loaded with ``local_files_only=True``.
        vocab_size: filled in by :func:`~revision_pipeline.models.build_model`; lets a
            saved config be checked against a tokenizer.
    """

    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int | None = None
    max_len: int | None = None
    pooling: str = "cls"
    proj: str = "linear"
    dropout: float = 0.1
    pretrained_dir: str | None = None
    vocab_size: int | None = None


@dataclass
class ModelConfig:
    """A whole CLIP-style architecture.

    Attributes:
        name: config name (file stem for named configs).
        embed_dim: joint embedding dimension.
        vision: image tower config.
        text: text tower config.
        init_logit_scale: initial value of the learnable log temperature.
        max_logit_scale: upper clamp of ``exp(logit_scale)``.
    """

    name: str = "custom"
    embed_dim: int = 512
    vision: VisionConfig = field(default_factory=VisionConfig)
    text: TextConfig = field(default_factory=TextConfig)
    init_logit_scale: float = math.log(1 / 0.07)
    max_logit_scale: float = 100.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (round-trips through :func:`config_from_dict`)."""
        data = dataclasses.asdict(self)
        data["vision"]["mean"] = list(self.vision.mean)
        data["vision"]["std"] = list(self.vision.std)
        return data

    def save(self, path: str | Path) -> Path:
        """Write the config as JSON to ``path`` and return it."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", "utf-8")
        return path


def list_configs() -> list[str]:
    """Names of the architecture configs shipped in ``models/configs/``."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def load_config(name_or_path: str | Path) -> ModelConfig:
    """Load a named config (``"demo-tiny"``) or a JSON file path.

    Raises:
        FileNotFoundError: neither a shipped config name nor an existing file.
        ConfigError: unknown keys or invalid values (the message names file and key).
    """
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" and candidate.is_file():
        path = candidate
    elif (CONFIG_DIR / f"{name_or_path}.json").is_file():
        path = CONFIG_DIR / f"{name_or_path}.json"
    else:
        raise FileNotFoundError(
            f"model config {str(name_or_path)!r} is neither a JSON file nor one of "
            f"{list_configs()} in {CONFIG_DIR}"
        )
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON: {exc}") from exc
    data.setdefault("name", path.stem)
    return config_from_dict(data, source=str(path))


def config_from_dict(data: dict[str, Any], source: str = "<dict>") -> ModelConfig:
    """Build and validate a :class:`ModelConfig` from a nested dict.

    Args:
        data: dict with top-level keys of :class:`ModelConfig`; ``vision``/``text`` nested.
        source: where the dict came from, used in error messages.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a JSON object, got {type(data).__name__}")
    top = dict(data)
    vision = _build(VisionConfig, top.pop("vision", {}), source, "vision")
    text = _build(TextConfig, top.pop("text", {}), source, "text")
    config = _build(ModelConfig, top, source, "", vision=vision, text=text)
    _validate(config, source)
    return config


def _build(cls: type, raw: Any, source: str, prefix: str, **extra: Any) -> Any:
    """Instantiate dataclass ``cls`` from ``raw``, rejecting unknown keys and bad types."""
    where = f"{prefix}." if prefix else ""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {prefix!r} must be an object, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    allowed = sorted(set(fields) - set(extra))
    for key in raw:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            hint_text = f"; did you mean {where}{hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"{source}: unknown key {where + str(key)!r} (allowed: {allowed}){hint_text}"
            )
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        kwargs[key] = _check_type(value, fields[key].type, f"{source}: key {where}{key}")
    return cls(**kwargs, **extra)


def _check_type(value: Any, annotation: str, where: str) -> Any:
    """Check a JSON value against a (string) annotation; returns a normalised value."""
    optional = "None" in annotation
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{where} must not be null")
    base = annotation.replace(" | None", "")
    checks: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
    }
    if base in checks:
        ok = isinstance(value, checks[base]) and not (base != "bool" and isinstance(value, bool))
        if not ok:
            raise ConfigError(f"{where} must be {base}, got {value!r}")
        return float(value) if base == "float" else value
    if base.startswith("dict"):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be an object, got {value!r}")
        return value
    if base.startswith("tuple"):
        if not (isinstance(value, list | tuple) and len(value) == 3):
            raise ConfigError(f"{where} must be a list of 3 numbers, got {value!r}")
        return tuple(float(v) for v in value)
    raise ConfigError(f"{where}: unsupported annotation {annotation}")  # pragma: no cover


def _validate(config: ModelConfig, source: str) -> None:
    """Value checks across fields; raises :class:`ConfigError` naming the key."""

    def fail(key: str, message: str) -> None:
        raise ConfigError(f"{source}: key {key} {message}")

    positive = {
        "embed_dim": config.embed_dim,
        "vision.image_size": config.vision.image_size,
        "text.hidden_size": config.text.hidden_size,
        "text.num_layers": config.text.num_layers,
        "text.num_heads": config.text.num_heads,
    }
    if config.text.max_len is not None:
        positive["text.max_len"] = config.text.max_len
    for key, value in positive.items():
        if value <= 0:
            fail(key, f"must be > 0, got {value}")
    if config.text.hidden_size % config.text.num_heads:
        fail(
            "text.num_heads",
            f"({config.text.num_heads}) must divide text.hidden_size ({config.text.hidden_size})",
        )
    for key, value in (("vision.proj", config.vision.proj), ("text.proj", config.text.proj)):
        if value not in _PROJ_KINDS:
            fail(key, f"must be one of {_PROJ_KINDS}, got {value!r}")
    if config.text.pooling not in _POOLINGS:
        fail("text.pooling", f"must be one of {_POOLINGS}, got {config.text.pooling!r}")
    if not 0.0 <= config.text.dropout < 1.0:
        fail("text.dropout", f"must be in [0, 1), got {config.text.dropout}")
    if config.max_logit_scale <= 0 or math.exp(config.init_logit_scale) > config.max_logit_scale:
        fail("init_logit_scale", f"exp({config.init_logit_scale}) exceeds max_logit_scale")
