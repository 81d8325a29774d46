"""The CLIP-style retinal vision-language model and its factory."""

from __future__ import annotations

import copy
import logging
import math
from typing import Any

import torch
from torch import nn
from transformers import BertConfig

from revision_pipeline.models.config import ModelConfig
from revision_pipeline.models.towers import ImageTower, TextTower, l2_normalize

logger = logging.getLogger(__name__)

#: Text length of a model whose config leaves ``text.max_len`` null when no length was
#: chosen from the training reports (the ``pretrain`` pipeline always chooses one).
FALLBACK_MAX_LEN = 128


class RetinaCLIP(nn.Module):
    """Image and text towers projected into one normalised embedding space.

    Attributes:
        config: the :class:`ModelConfig` it was built from (``text.vocab_size`` filled).
        logit_scale: learnable log temperature; ``exp`` is clamped at
            ``config.max_logit_scale``.
    """

    def __init__(
        self,
        config: ModelConfig,
        vocab_size: int,
        pad_token_id: int = 0,
        bert_config: BertConfig | None = None,
        load_init: bool = True,
    ) -> None:
        """Build both towers; prefer :func:`build_model` / :func:`load_pretrained`.

        Args:
            config: architecture.
            vocab_size: tokenizer vocabulary size.
            pad_token_id: padding token id.
            bert_config: exact text architecture (when reloading a saved model).
            load_init: read ``config.vision.init_checkpoint`` (off when reloading).
        """
        super().__init__()
        self.config = config = copy.deepcopy(config)
        if config.text.max_len is None:
            if bert_config is None and config.text.pretrained_dir is None:
                logger.warning(
                    "text.max_len is null and no length was chosen from the training "
                    "reports (models.tokenizer.length_covering); using %d",
                    FALLBACK_MAX_LEN,
                )
            config.text.max_len = FALLBACK_MAX_LEN
        self.visual = ImageTower(config.vision, config.embed_dim, load_init=load_init)
        self.text = TextTower(config.text, config.embed_dim, vocab_size, pad_token_id, bert_config)
        self.config.text.vocab_size = self.text.vocab_size
        self.logit_scale = nn.Parameter(torch.tensor(float(config.init_logit_scale)))

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """L2-normalised image embeddings ``[B, D]`` of ``images`` ``[B, 3, H, W]``."""
        return l2_normalize(self.visual(images))

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """L2-normalised text embeddings ``[B, D]`` of token ids ``[B, L]``."""
        return l2_normalize(self.text(input_ids, attention_mask))

    def scale(self) -> torch.Tensor:
        """``exp(logit_scale)`` clamped at ``config.max_logit_scale``."""
        return self.logit_scale.exp().clamp(max=self.config.max_logit_scale)

    @torch.no_grad()
    def clamp_logit_scale_(self) -> None:
        """Clamp the parameter in place (call after each optimiser step, as open_clip does)."""
        self.logit_scale.clamp_(0.0, math.log(self.config.max_logit_scale))

    def forward(
        self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """Encode both modalities.

        Returns:
            dict with ``image_features`` ``[B, D]``, ``text_features`` ``[B, D]`` (both
            normalised) and the scalar ``logit_scale`` (already exponentiated).
        """
        return {
            "image_features": self.encode_image(images),
            "text_features": self.encode_text(input_ids, attention_mask),
            "logit_scale": self.scale(),
        }


def build_model(config: ModelConfig, vocab_size: int, pad_token_id: int = 0) -> RetinaCLIP:
    """Build a :class:`RetinaCLIP` for a tokenizer of ``vocab_size`` tokens.

    Args:
        config: architecture (see :func:`~revision_pipeline.models.load_config`).
        vocab_size: ``len(tokenizer)``.
        pad_token_id: ``tokenizer.pad_token_id`` (padding row of the embeddings).
    """
    if vocab_size <= 0:
        raise ValueError(f"vocab_size must be > 0, got {vocab_size}")
    model = RetinaCLIP(config, vocab_size, pad_token_id)
    n_img = sum(p.numel() for p in model.visual.parameters())
    n_txt = sum(p.numel() for p in model.text.parameters())
    logger.info(
        "built %s: image tower %.1fM, text tower %.1fM parameters",
        config.name,
        n_img / 1e6,
        n_txt / 1e6,
    )
    return model


def _vocab_size_of(model_or_config: RetinaCLIP | ModelConfig) -> tuple[int, str]:
    if isinstance(model_or_config, RetinaCLIP):
        return model_or_config.text.vocab_size, f"model {model_or_config.config.name!r}"
    if isinstance(model_or_config, ModelConfig):
        text = model_or_config.text
        if text.vocab_size is not None:
            return text.vocab_size, f"config {model_or_config.name!r}"
        if text.pretrained_dir:
            cfg = BertConfig.from_pretrained(text.pretrained_dir, local_files_only=True)
            return cfg.vocab_size, f"pretrained text tower {text.pretrained_dir}"
        raise ValueError(
            f"config {model_or_config.name!r} has no text.vocab_size (a from-scratch text "
            "tower takes the tokenizer's size); pass the built model instead"
        )
    raise TypeError(f"expected RetinaCLIP or ModelConfig, got {type(model_or_config).__name__}")


def check_tokenizer_matches(model_or_config: RetinaCLIP | ModelConfig, tokenizer: Any) -> None:
    """Raise ``ValueError`` when ``tokenizer`` does not fit the text tower.

    Checks: ``len(tokenizer)`` equals the tower's vocabulary size, and the pad token
    exists and its id is inside the vocabulary.
    """
    vocab, what = _vocab_size_of(model_or_config)
    n_tok = len(tokenizer)
    if n_tok != vocab:
        raise ValueError(
            f"tokenizer has {n_tok} tokens but {what} has a vocabulary of {vocab}: "
            "the model was built for another tokenizer"
        )
    pad_id = getattr(tokenizer, "pad_token_id", None)
    if pad_id is None:
        raise ValueError("tokenizer has no pad token; batches cannot be padded")
    if not 0 <= pad_id < vocab:
        raise ValueError(f"tokenizer pad id {pad_id} is outside {what}'s vocabulary [0, {vocab})")
