"""RFMiD: one label CSV per split, ``ID``, ``Disease_Risk`` and one 0/1 column per disease.

An image's label is the list of disease columns set to 1; an image with ``Disease_Risk``
0 and no disease set is ``["normal"]``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from revision_pipeline.benchmarks._files import (
    ImageIndex,
    find_dir,
    find_file_or_none,
    pick_columns,
    read_table,
    records,
    source,
)
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LabelError, LayoutError
from revision_pipeline.benchmarks.registry import benchmark_info, register_benchmark

logger = logging.getLogger(__name__)

NORMAL = "normal"
#: (split, label file names, image folder names) in the publisher's layout.
_SPLITS = (
    ("train", ["RFMiD_Training_Labels.csv"], ["Training"]),
    ("val", ["RFMiD_Validation_Labels.csv"], ["Validation", "Evaluation"]),
    ("test", ["RFMiD_Testing_Labels.csv", "RFMiD_Test_Labels.csv"], ["Test", "Testing"]),
)


def _flag(value: str, where: str, column: str) -> bool:
    text = value.strip()
    if text in {"1", "1.0"}:
        return True
    if text in {"0", "0.0", ""}:
        return False
    raise LabelError(f"{where}: column {column!r} holds {value!r}; expected 0 or 1")


def _read_split(
    path: Path, images: ImageIndex, split: str, diseases: tuple[str, ...], raw: RawTable
) -> None:
    df = read_table(path)
    cols = pick_columns(df, path, {"id": ("ID",), "risk": ("Disease_Risk",)})
    disease_cols = [
        c
        for c in df.columns
        if c not in (cols["id"], cols["risk"]) and c and not c.startswith("Unnamed")
    ]
    unknown = [c for c in disease_cols if c not in diseases]
    if unknown:
        raise LayoutError(
            f"{path}: disease column(s) {unknown} are not RFMiD classes {list(diseases)}"
        )
    for n, row in enumerate(records(df), start=1):
        image_id = str(row[cols["id"]]).strip()
        if not image_id:
            continue
        where = source(path, n)
        labels = [c for c in diseases if c in disease_cols and _flag(str(row[c]), where, c)]
        risk = _flag(str(row[cols["risk"]]), where, cols["risk"])
        if not labels:
            if risk:
                raw.unlabelled.append(
                    {"source": where, "reason": "Disease_Risk 1 but no disease column set"}
                )
                continue
            labels = [NORMAL]
        raw.rows.append({
            **images.row(image_id),
            "label": labels,
            "split": split,
            "image_id": image_id,
            "source": where,
            "disease_risk": int(risk),
        })  # fmt: skip


@register_benchmark("rfmid")
def load_rfmid(root: Path) -> RawTable:
    """RFMiD training, validation and test sets (those present; at least one)."""
    diseases = tuple(c for c in benchmark_info("rfmid").classes if c != NORMAL)
    raw = RawTable()
    found = 0
    for split, names, folders in _SPLITS:
        labels = find_file_or_none(root, names, depth=3)
        if labels is None:
            continue
        found += 1
        images = ImageIndex(find_dir(labels.parent, folders, depth=1))
        _read_split(labels, images, split, diseases, raw)
    if not found:
        raise BenchmarkNotFound(
            f"rfmid: none of {[n for _, names, _ in _SPLITS for n in names]} under {root}"
        )
    return raw
