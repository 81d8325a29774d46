"""Image and text towers with projection heads to the joint embedding space."""

from __future__ import annotations

import difflib
import logging
from pathlib import Path
from typing import Any

import timm
import torch
import torch.nn.functional as F
from torch import nn
from transformers import BertConfig, BertModel

from revision_pipeline.models.config import TextConfig, VisionConfig

logger = logging.getLogger(__name__)

# Checkpoint keys that never belong to a headless backbone: classifier heads and the
# MAE decoder that RETFound-style checkpoints carry.
_IGNORED_PREFIXES = ("head.", "fc.", "classifier.", "decoder", "mask_token", "head_dist.")
_MAX_LISTED = 5
#: Attention kernel of the text tower: ``torch.nn.functional.scaled_dot_product_attention``
#: (flash / memory-efficient kernels on GPU, fused on CPU), with the padding mask.
ATTENTION = "sdpa"


def make_projection(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    """Projection head: ``linear`` (no bias) or ``mlp`` (Linear-GELU-Linear)."""
    if kind == "linear":
        return nn.Linear(in_dim, out_dim, bias=False)
    if kind == "mlp":
        hidden = max(in_dim, out_dim)
        return nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, out_dim))
    raise ValueError(f"unknown projection kind {kind!r}; expected 'linear' or 'mlp'")


def create_timm_backbone(config: VisionConfig) -> nn.Module:
    """Create a headless timm model (``num_classes=0``), never downloading weights.

    Raises:
        ValueError: the timm name is unknown (close names are suggested).
    """
    name = config.timm_name
    if not timm.is_model(name):
        close = difflib.get_close_matches(name, timm.list_models(), n=5, cutoff=0.5)
        raise ValueError(f"unknown timm model {name!r}; close names: {close or 'none found'}")
    kwargs: dict[str, Any] = {"pretrained": False, "num_classes": 0, **config.timm_kwargs}
    try:
        return timm.create_model(name, img_size=config.image_size, **kwargs)
    except TypeError as exc:  # convnets take no img_size: any input size works
        if "img_size" not in str(exc):
            raise
        logger.debug("timm model %s takes no img_size; creating without it", name)
        return timm.create_model(name, **kwargs)


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a torch file, unwrapping common wrappers."""
    if not path.is_file():
        raise FileNotFoundError(f"vision.init_checkpoint {path} does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state: Any = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("model", "state_dict", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(
            f"{path}: expected a state dict (or a dict with a 'model'/'state_dict' entry)"
        )
    return {k.removeprefix("module.").removeprefix("backbone."): v for k, v in state.items()}


def load_backbone_checkpoint(model: nn.Module, path: str | Path, strict: bool = True) -> None:
    """Initialise a timm backbone from a local checkpoint file.

    Classifier-head and MAE-decoder keys the backbone lacks are dropped; a ViT
    ``pos_embed`` of another grid size is resampled. Any shape mismatch raises. Missing
    or unexpected backbone keys raise when ``strict`` (listing a few), otherwise they
    are logged as a summary.

    Args:
        model: headless timm model.
        path: ``.pth``/``.pt``/``.bin``/``.safetensors`` file.
        strict: fail on missing/unexpected keys.
    """
    path = Path(path)
    own = model.state_dict()
    state = {
        k: v
        for k, v in _read_state_dict(path).items()
        if k in own or not k.startswith(_IGNORED_PREFIXES)  # e.g. convnext's head.norm stays
    }
    if (
        "pos_embed" in state
        and "pos_embed" in own
        and state["pos_embed"].shape != own["pos_embed"].shape
    ):
        from timm.layers import resample_abs_pos_embed

        prefix = 0 if getattr(model, "no_embed_class", False) else model.num_prefix_tokens
        grid = model.patch_embed.grid_size
        logger.info("resampling pos_embed %s -> grid %s", tuple(state["pos_embed"].shape), grid)
        state["pos_embed"] = resample_abs_pos_embed(
            state["pos_embed"], new_size=grid, num_prefix_tokens=prefix
        )
    bad_shapes = [
        f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
        for k, v in state.items()
        if k in own and v.shape != own[k].shape
    ]
    if bad_shapes:
        raise ValueError(
            f"{path}: {len(bad_shapes)} parameter shapes do not match the timm model: "
            + "; ".join(bad_shapes[:_MAX_LISTED])
        )
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if (missing or unexpected) and strict:
        raise ValueError(
            f"{path}: checkpoint does not fit the timm model: {len(missing)} missing keys "
            f"{missing[:_MAX_LISTED]}, {len(unexpected)} unexpected keys "
            f"{unexpected[:_MAX_LISTED]}; set vision.init_strict=false to load the rest"
        )
    model.load_state_dict(state, strict=False)
    logger.info(
        "loaded %d tensors from %s (%d missing, %d unexpected keys skipped)",
        len(state) - len(unexpected),
        path,
        len(missing),
        len(unexpected),
    )
    if missing or unexpected:
        logger.warning(
            "missing: %s; unexpected: %s", missing[:_MAX_LISTED], unexpected[:_MAX_LISTED]
        )


class ImageTower(nn.Module):
    """timm backbone + projection; outputs un-normalised embeddings ``[B, embed_dim]``."""

    def __init__(self, config: VisionConfig, embed_dim: int, load_init: bool = True) -> None:
        super().__init__()
        self.backbone = create_timm_backbone(config)
        if config.init_checkpoint and load_init:
            load_backbone_checkpoint(self.backbone, config.init_checkpoint, config.init_strict)
        self.proj = make_projection(config.proj, self.backbone.num_features, embed_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Project pooled backbone features of ``images`` ``[B, 3, H, W]``."""
        return self.proj(self.backbone(images))


def bert_config_from(config: TextConfig, vocab_size: int, pad_token_id: int = 0) -> BertConfig:
    """A from-scratch :class:`BertConfig` for ``config`` (``config.max_len`` must be set)."""
    if config.max_len is None:
        raise ValueError(
            "text.max_len is null (chosen from the training reports): set it, e.g. with "
            "models.tokenizer.length_covering(tokenizer, reports), before building the model"
        )
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        intermediate_size=config.intermediate_size or 4 * config.hidden_size,
        max_position_embeddings=config.max_len,
        hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout,
        pad_token_id=pad_token_id,
        attn_implementation=ATTENTION,
    )


def _load_pretrained_bert(directory: str | Path) -> BertModel:
    """Load a BERT encoder from a local directory only (no hub access)."""
    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise FileNotFoundError(
            f"text.pretrained_dir {directory} is not a local Hugging Face model directory "
            "(no config.json); hub names are not supported offline"
        )
    return BertModel.from_pretrained(
        str(directory),
        local_files_only=True,
        add_pooling_layer=False,
        attn_implementation=ATTENTION,
    )


class TextTower(nn.Module):
    """BERT encoder pooled (CLS or masked mean) + projection to ``embed_dim``."""

    def __init__(
        self,
        config: TextConfig,
        embed_dim: int,
        vocab_size: int,
        pad_token_id: int = 0,
        bert_config: BertConfig | None = None,
    ) -> None:
        """Build the tower.

        Args:
            config: text config.
            embed_dim: joint embedding dimension.
            vocab_size: tokenizer vocabulary size.
            pad_token_id: id of the padding token.
            bert_config: exact BERT architecture (used when reloading a saved model);
                overrides both ``config`` sizes and ``config.pretrained_dir``.
        """
        super().__init__()
        self.pooling = config.pooling
        if bert_config is not None:
            bert_config._attn_implementation = ATTENTION
            self.bert = BertModel(bert_config, add_pooling_layer=False)
        elif config.pretrained_dir:
            self.bert = _load_pretrained_bert(config.pretrained_dir)
            have = self.bert.config.vocab_size
            if vocab_size > have:
                logger.info("resizing pretrained token embeddings %d -> %d", have, vocab_size)
                self.bert.resize_token_embeddings(vocab_size)
            elif vocab_size < have:
                raise ValueError(
                    f"vocab_size {vocab_size} is smaller than the pretrained text tower's "
                    f"{have} in {config.pretrained_dir}; use that directory's tokenizer"
                )
        else:
            self.bert = BertModel(
                bert_config_from(config, vocab_size, pad_token_id), add_pooling_layer=False
            )
        self.proj = make_projection(config.proj, self.bert.config.hidden_size, embed_dim)

    @property
    def vocab_size(self) -> int:
        """Rows of the token embedding matrix."""
        return self.bert.get_input_embeddings().num_embeddings

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Project pooled BERT states of ``input_ids`` ``[B, L]``."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.proj(pooled)


def l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """L2-normalise the last dimension."""
    return F.normalize(x, dim=-1)
