"""A tiny canonical archive written by hand, and curate run in process on it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pandas as pd
from kedro.io import DataCatalog
from PIL import Image
from pipeline_slices import run_in_memory
from skimage import data as skdata

from revision_pipeline.archive import CANONICAL_COLUMNS

REPORT = "右眼：视盘界清，未见出血渗出。左眼：黄斑区可见玻璃膜疣。诊断：左眼年龄相关性黄斑变性。"
SECRET = b"0123456789abcdef0123456789abcdef"


def fundus(seed: int) -> bytes:
    """A JPEG of the real retina photo, rotated by ``seed`` x 33 degrees: a distinct photo
    per seed (a mere shift or tone change would rightly be caught as a duplicate)."""
    base = skdata.retina()[::3, ::3]
    side = base.shape[0]
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), 33.0 * seed, 1.0)
    disc = cv2.warpAffine(base, turn, (side, side))
    img = np.zeros((side + 40, side + 160, 3), np.uint8)
    img[20 : 20 + side, 80 : 80 + side] = disc
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def reports_csv(exam_ids: list[str], columns: tuple[str, ...] | None = None) -> str:
    """A canonical report table, one row per exam (the same patient name on every row)."""
    columns = columns or CANONICAL_COLUMNS
    values = {
        "patient_name": "张三",
        "id_number": "",
        "sex": "男",
        "age": "60",
        "exam_date": "2021-03-04",
        "report": REPORT,
    }
    lines = [",".join(columns)]
    for i, exam in enumerate(exam_ids):
        row = {**values, "exam_id": exam, "patient_id": f"MRN{i:04d}"}
        lines.append(",".join(row[c] for c in columns))
    return "\n".join(lines) + "\n"


def write_institution(root: Path, inst: str, exams: list[str], first: int) -> list[str]:
    """Two photos per exam, distinct photos numbered from ``first``."""
    images = root / inst / "images"
    images.mkdir(parents=True)
    sources = []
    for k, exam in enumerate(exams):
        for j, eye in enumerate(("OD", "OS")):
            (images / f"{exam}_{eye}.jpg").write_bytes(fundus(first + 2 * k + j))
            sources.append(f"{inst}/images/{exam}_{eye}.jpg")
    return sources


def good_archive(root: Path) -> Path:
    """Two institutions of two exams each (eight distinct, good photos)."""
    for n, inst in enumerate(("GOOD", "ALSO")):
        exams = [f"{inst[0]}X00000{k}" for k in (1, 2)]
        write_institution(root, inst, exams, 4 * n)
        (root / inst / "reports.csv").write_text(reports_csv(exams), encoding="utf-8")
    return root


def curate_params(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    """``params:curate`` for a small in-process run: small crops, one process, no bars."""
    return {
        "image_side": 128,
        "workers": 1,
        "progress": False,
        "cache_dir": str(tmp_path / "cache"),
        "audit": {"paths": [str(tmp_path / "boundary")]},
        **overrides,
    }


def run_curate(archive: Path, params: dict[str, Any], **inputs: Any) -> DataCatalog:
    """The whole curate pipeline in process; every dataset readable from the catalog."""
    from revision_pipeline.pipelines.curate import create_pipeline

    given = {
        "archive": archive,
        "institutions": {},
        "pseudonym_secret": SECRET,
        "demo_truth_phi_optional": pd.DataFrame(),
        "params:curate": params,
        **inputs,
    }
    return run_in_memory(create_pipeline(), given)
