"""Builders shared by the evaluation tests: disc photos, a tiny saved model, folder sets."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

#: Class -> fundus tint of the generated photos (separable by colour alone).
TINTS = {
    "normal": (200, 90, 40),
    "glaucoma": (120, 160, 60),
    "amd": (90, 90, 190),
    "myopia": (210, 180, 60),
}


def disc_photo(tint: tuple[int, int, int], size: int = 160, seed: int = 0) -> np.ndarray:
    """A camera-like frame: a noisy tinted disc with a few dark 'vessels' on black."""
    rng = np.random.default_rng(seed)
    h, w = size, int(size * 1.25)
    img = np.zeros((h, w, 3), np.float32)
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), int(h * 0.45), 1, -1)
    fundus = np.array(tint, np.float32)[None, None, :] + rng.normal(0, 3, (h, w, 3))
    for _ in range(6):  # vessels: what tells two photos apart
        p1 = tuple(int(v) for v in rng.integers(0, [w, h]))
        p2 = tuple(int(v) for v in rng.integers(0, [w, h]))
        cv2.line(fundus, p1, p2, (40, 20, 10), max(2, size // 40))
    cv2.circle(
        fundus, (int(w * 0.6), h // 2), size // 10, tuple(min(255, c + 50) for c in tint), -1
    )
    img[mask > 0] = fundus[mask > 0]
    return np.clip(img, 0, 255).astype(np.uint8)


def save_photo(img: np.ndarray, path: Path) -> Path:
    """Write ``img`` as PNG or JPEG by the suffix of ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


def write_imagefolder(
    root: Path, per_split: dict[str, int], classes=tuple(TINTS), seed: int = 0
) -> Path:
    """``root/{split}/{class}/{i}.png`` (RETFound-style)."""
    k = seed
    for split, n in per_split.items():
        for cls in classes:
            for i in range(n):
                k += 1
                save_photo(
                    disc_photo(TINTS[cls], seed=k), root / split / cls / f"{cls}_{split}_{i}.png"
                )
    return root


def jpeg(img: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def save_tiny_model(directory: Path, image_size: int = 32, texts: list[str] | None = None) -> Path:
    """A randomly initialised tiny RetinaCLIP and its tokenizer, saved as pretrain saves them."""
    import torch
    from pairs_helpers import tiny_model_config

    from revision_pipeline.models import build_model, load_config, save_pretrained, train_tokenizer

    texts = texts or [
        "眼底未见明显异常",
        "青光眼 视杯扩大",
        "年龄相关性黄斑变性 玻璃膜疣",
        "病理性近视 豹纹状眼底",
    ]
    tokenizer = train_tokenizer(texts * 5, vocab_size=200)
    directory.parent.mkdir(parents=True, exist_ok=True)
    cfg_path = tiny_model_config(directory.parent / "tiny_config.json", image_size)
    config = load_config(str(cfg_path))
    torch.manual_seed(1234)  # not the random-init baseline's seed
    model = build_model(config, len(tokenizer), tokenizer.pad_token_id)
    save_pretrained(model, config, directory)
    tokenizer.save_pretrained(str(directory))
    return directory
