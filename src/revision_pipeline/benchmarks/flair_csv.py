"""A CSV of image paths and labels (FLAIR's table style), paths relative to the CSV."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from revision_pipeline.benchmarks._files import pick_columns, read_table, records, source
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LabelError
from revision_pipeline.benchmarks.folders import SPLIT_NAMES
from revision_pipeline.benchmarks.registry import register_benchmark

logger = logging.getLogger(__name__)

_COLUMNS = {
    "image": ("image", "path", "filename", "image_path", "file"),
    "label": ("label", "class", "categories", "category"),
    "split": ("split", "partition", "subset"),
}


def _csv_of(root: Path) -> Path:
    if root.is_file():
        return root
    csvs = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.casefold() == ".csv")
    if len(csvs) != 1:
        raise BenchmarkNotFound(
            f"flair_csv: {root} holds {len(csvs)} CSV files ({[p.name for p in csvs]}); "
            "give the CSV file itself as the root"
        )
    return csvs[0]


def _label(value: str, where: str) -> str:
    """A class name; FLAIR writes lists such as ``"['glaucoma']"``: one element is unwrapped."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise LabelError(f"{where}: cannot read the label {value!r}") from exc
        if not isinstance(items, list) or len(items) != 1:
            raise LabelError(f"{where}: {value!r} is not one label (flair_csv is single-label)")
        text = str(items[0]).strip()
    if not text:
        raise LabelError(f"{where}: empty label")
    return text


@register_benchmark("flair_csv", generic=True)
def load_flair_csv(root: Path) -> RawTable:
    """Rows of the CSV; classes are the sorted label values found."""
    path = _csv_of(root)
    df = read_table(path)
    cols = pick_columns(df, path, _COLUMNS, optional=("split",))
    raw = RawTable()
    for n, row in enumerate(records(df), start=1):
        name = str(row[cols["image"]]).strip()
        if not name:
            continue
        where = source(path, n)
        image = Path(name) if Path(name).is_absolute() else path.parent / name
        out = {
            "image_path": image if image.is_file() else None,
            "expected": str(image),
            "label": _label(str(row[cols["label"]]), where),
            "image_id": name,
            "source": where,
        }
        if cols["split"] is not None:
            split = str(row[cols["split"]]).strip().casefold()
            if split not in SPLIT_NAMES:
                raise LabelError(f"{where}: split {split!r} is not one of train/val/test")
            out["split"] = SPLIT_NAMES[split]
        raw.rows.append(out)
    raw.classes = tuple(sorted({row["label"] for row in raw.rows}))
    return raw
