"""Shared test helpers: tiny Parquet pair datasets (docs/contracts.md §5) and a tiny model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from revision_pipeline.curation.schema import PAIR_COLUMNS

COLOURS = {
    "红色": (220, 30, 30),
    "绿色": (30, 200, 40),
    "蓝色": (30, 40, 220),
    "黄色": (230, 220, 30),
}


def jpeg(rgb: tuple[int, int, int], size: int = 16, seed: int = 0) -> bytes:
    """A small noisy square JPEG of colour ``rgb``."""
    rng = np.random.default_rng(seed)
    arr = np.clip(np.array(rgb)[None, None, :] + rng.normal(0, 12, (size, size, 3)), 0, 255)
    buf = io.BytesIO()
    Image.fromarray(arr.astype(np.uint8)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def pair_rows(n: int, splits=("train",), institutions=("inst_a",), start: int = 0) -> dict:
    """Column dict of ``n`` pairs whose colour matches the report word."""
    words = list(COLOURS)
    rows: dict[str, list] = {c: [] for c in PAIR_COLUMNS}
    for i in range(start, start + n):
        word = words[i % len(words)]
        rows["pair_id"].append(f"p{i:05d}")
        rows["institution_id"].append(institutions[i % len(institutions)])
        rows["patient_pid"].append(f"pat{i // 2}")
        rows["exam_pid"].append(f"ex{i // 2}")
        rows["eye"].append("OD" if i % 2 else "OS")
        rows["split"].append(splits[i % len(splits)])
        rows["image"].append(jpeg(COLOURS[word], seed=i))
        rows["quality_score"].append(0.9)
        rows["report"].append(f"眼底{word}")
        rows["labels"].append([word])
    return rows


def write_pairs(
    directory: Path,
    n: int,
    n_files: int = 3,
    row_group_size: int = 5,
    splits=("train",),
    institutions=("inst_a",),
) -> Path:
    """Write ``n`` pairs over ``n_files`` Parquet files of several row groups."""
    directory.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, n, n_files + 1).astype(int)
    for f in range(n_files):
        rows = pair_rows(int(bounds[f + 1] - bounds[f]), splits, institutions, int(bounds[f]))
        table = pa.table(rows)
        pq.write_table(table, directory / f"part-{f:03d}.parquet", row_group_size=row_group_size)
    return directory


def tiny_model_config(path: Path, image_size: int = 32) -> Path:
    """A JSON config for a very small RetinaCLIP (CPU tests)."""
    config = {
        "embed_dim": 32,
        "vision": {"timm_name": "test_efficientnet", "image_size": image_size, "proj": "linear"},
        "text": {
            "hidden_size": 32,
            "num_layers": 1,
            "num_heads": 2,
            "intermediate_size": 64,
            "max_len": 16,
            "pooling": "cls",
            "proj": "linear",
            "dropout": 0.1,
        },
    }
    path.write_text(json.dumps(config))
    return path
