"""Load the model under evaluation, and encode photos with a cache per (model hash, set).

Image features are stored in ``<cache_dir>/<model_hash>/<benchmark>.npz`` keyed by the
SHA-256 of each crop, so adding a benchmark, or photos to one, encodes only what is new,
and a different model never reads another model's features.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)


class ModelLoadError(ValueError):
    """The model folder cannot be evaluated (missing files, another config); names the folder."""


@dataclass
class LoadedModel:
    """A model ready for evaluation: the network, its tokenizer and an identity hash."""

    model: Any
    tokenizer: Any
    model_hash: str
    source: str

    @property
    def image_size(self) -> int:
        return int(self.model.config.vision.image_size)

    @property
    def mean(self) -> tuple[float, ...]:
        return tuple(self.model.config.vision.mean)

    @property
    def logit_scale(self) -> float:
        """The learned temperature ``exp(logit_scale)`` that zero-shot softmax uses."""
        return float(self.model.scale().detach())

    @property
    def std(self) -> tuple[float, ...]:
        return tuple(self.model.config.vision.std)


def folder_hash(directory: Path) -> str:
    """SHA-256 (16 hex digits) of a model folder's config and weight files."""
    h = hashlib.sha256()
    for name in ("config.json", "text_bert_config.json", "model.safetensors", "model.pt"):
        path = directory / name
        if path.is_file():
            h.update(name.encode())
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()[:16]


def choose_model_dir(
    latest: Path | str | None, override: str | None, parameter: str = "evaluate.model_dir"
) -> Path:
    """The model a pipeline works on: ``override`` (a parameter such as
    ``evaluate.model_dir``) when set, else ``latest`` (the newest ``retina_clip`` version).

    Raises:
        ModelLoadError: neither is set, or the folder named does not exist.
    """
    if override:
        chosen = Path(override)
        if not chosen.is_dir():
            raise ModelLoadError(f"model folder {chosen} does not exist ({parameter})")
        return chosen
    if latest is None:
        raise ModelLoadError(
            f"no trained model: run `kedro run --pipeline=pretrain` or set {parameter}"
        )
    return Path(latest)


#: A Kedro save version (``2026-12-03T12.28.45.124Z``), the parent folder of a saved model.
_KEDRO_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3}Z")


def folder_version(directory: Path) -> str:
    """The Kedro save version of a model folder (``retina_clip/<version>/retina_clip``), or
    ``""`` for a folder saved elsewhere (``evaluate.model_dir``)."""
    parent = Path(directory).parent.name
    return parent if _KEDRO_VERSION.fullmatch(parent) else ""


def load_model(directory: str | Path, device: str = "cpu") -> LoadedModel:
    """Load a saved RetinaCLIP folder and its tokenizer (``models.load_pretrained``).

    Raises:
        ModelLoadError: the folder is missing, lacks a file, holds weights of another
            config, or its tokenizer does not fit the text tower.
    """
    from revision_pipeline.models import check_tokenizer_matches, load_pretrained, load_tokenizer

    directory = Path(directory)
    if not directory.is_dir():
        raise ModelLoadError(f"model folder {directory} does not exist (evaluate.model_dir)")
    try:
        model, _ = load_pretrained(directory, map_location=device)
        tokenizer = load_tokenizer(directory)
        check_tokenizer_matches(model, tokenizer)
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise ModelLoadError(f"cannot evaluate the model in {directory}: {exc}") from exc
    model.eval()
    return LoadedModel(model, tokenizer, folder_hash(directory), str(directory))


def random_init_like(loaded: LoadedModel, seed: int = 0) -> LoadedModel:
    """The same architecture, randomly initialised (the baseline every number is set against)."""
    import torch

    from revision_pipeline.models import build_model

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = loaded.model.config
        model = build_model(config, len(loaded.tokenizer), loaded.tokenizer.pad_token_id)
    model.eval()
    digest = hashlib.sha256(f"random-init|{loaded.model_hash}|{seed}".encode()).hexdigest()[:16]
    return LoadedModel(
        model, loaded.tokenizer, f"random-{digest}", f"random init of {loaded.source}"
    )


def imagenet_like(loaded: LoadedModel, checkpoint: str | Path, seed: int = 0) -> LoadedModel:
    """The same architecture with its image backbone from a local (ImageNet) timm checkpoint.

    Only the linear probe uses it (its text tower and projection are untrained).

    Raises:
        ModelLoadError: the checkpoint is missing or does not fit the backbone.
    """
    import copy

    import torch

    from revision_pipeline.models import build_model

    config = copy.deepcopy(loaded.model.config)
    config.vision.init_checkpoint = str(checkpoint)
    config.vision.init_strict = False
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = build_model(config, len(loaded.tokenizer), loaded.tokenizer.pad_token_id)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"baselines.imagenet_checkpoint {checkpoint}: {exc}") from exc
    model.eval()
    digest = hashlib.sha256(f"imagenet|{Path(checkpoint).resolve()}|{loaded.model_hash}".encode())
    return LoadedModel(
        model, loaded.tokenizer, f"imagenet-{digest.hexdigest()[:16]}", str(checkpoint)
    )


def encode_images(
    loaded: LoadedModel,
    keys: list[str],
    load_batch: Callable[[list[int]], Any],
    *,
    cache_file: Path | None = None,
    batch_size: int = 64,
    progress: bool = True,
    desc: str = "encode",
) -> np.ndarray:
    """``(N, D)`` L2-normalised float32 image features, reusing cached rows by key.

    Args:
        loaded: the model.
        keys: one stable key per image (the crop's SHA-256); rows with the same key share
            one feature.
        load_batch: indices into ``keys`` -> ``(B, 3, S, S)`` tensor.
        cache_file: ``.npz`` with ``keys`` and ``features`` (read, then rewritten).
        batch_size: images per forward pass.
        progress: tqdm bar.
        desc: bar label.
    """
    import torch

    cache: dict[str, np.ndarray] = {}
    if cache_file is not None and cache_file.is_file():
        with np.load(cache_file, allow_pickle=False) as data:
            cache = dict(zip(data["keys"].tolist(), data["features"], strict=True))
    first: dict[str, int] = {}
    for i, k in enumerate(keys):
        if k not in cache:
            first.setdefault(k, i)
    todo = list(first.values())
    if todo:
        device = next(loaded.model.parameters()).device
        bar = tqdm(total=len(todo), desc=desc, unit="img", disable=not progress)
        with torch.no_grad():
            for lo in range(0, len(todo), batch_size):
                idx = todo[lo : lo + batch_size]
                feats = loaded.model.encode_image(load_batch(idx).to(device)).float().cpu().numpy()
                for i, f in zip(idx, feats, strict=True):
                    cache[keys[i]] = f
                bar.update(len(idx))
        bar.close()
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            ks = sorted(cache)
            np.savez(cache_file, keys=np.array(ks), features=np.stack([cache[k] for k in ks]))
    logger.info("%s: %d images encoded, %d from cache", desc, len(todo), len(keys) - len(todo))
    if not keys:
        return np.zeros((0, loaded.model.config.embed_dim), np.float32)
    feats = np.stack([cache[k] for k in keys]).astype(np.float32)
    return feats / np.maximum(np.linalg.norm(feats, axis=1, keepdims=True), 1e-12)
