"""Small synthetic feature sets for the adaptation tests (tests/evaluation)."""

from __future__ import annotations

import numpy as np

# the class centres of blobs(): unit vectors drawn once
CENTRES_SEED = 123


def blobs(
    n_per_class: int | list[int],
    n_classes: int = 4,
    dim: int = 16,
    noise: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around random unit centres (separable when noise is small)."""
    rng = np.random.default_rng(seed)
    counts = [n_per_class] * n_classes if isinstance(n_per_class, int) else n_per_class
    centres = np.random.default_rng(CENTRES_SEED).normal(size=(n_classes, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    y = np.repeat(np.arange(n_classes), counts)
    x = centres[y] + noise / np.sqrt(dim) * rng.normal(size=(len(y), dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), y


def multilabel(
    n: int = 300, n_classes: int = 3, dim: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot labels; features are the sum of the present classes' centres + noise."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(7).normal(size=(n_classes, dim))
    y = (rng.random((n, n_classes)) < 0.3).astype(np.uint8)
    x = y @ centres + 0.3 * rng.normal(size=(n, dim))
    return x.astype(np.float32), y
