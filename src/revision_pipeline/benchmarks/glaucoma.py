"""Glaucoma sets whose labels sit in spreadsheets: REFUGE (2018 challenge) and PAPILA.

REFUGE labels its training images by folder (``Glaucoma/``, ``Non-Glaucoma/``) and its
validation and test images in Excel sheets (``ImgName`` + a 0/1 glaucoma column).
PAPILA has one clinical sheet per eye (``patient_data_od.xlsx``, ``patient_data_os.xlsx``)
whose ``Diagnosis`` is 0 healthy, 1 glaucoma, 2 suspect; images are ``RET<id><eye>.jpg``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from revision_pipeline.benchmarks._files import (
    ImageIndex,
    find_dir,
    find_file,
    pick_columns,
    read_table,
    records,
    source,
    subdirs,
)
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LabelError, LayoutError
from revision_pipeline.benchmarks.folders import or_class_folders
from revision_pipeline.benchmarks.registry import register_benchmark

logger = logging.getLogger(__name__)

REFUGE_CLASSES = {"0": "non-glaucoma", "1": "glaucoma"}
_REFUGE_SHEETS = ("Glaucoma_label_and_Fovea_location.xlsx", "Fovea_locations.xlsx")
_REFUGE_FOLDERS = {"glaucoma": "glaucoma", "nonglaucoma": "non-glaucoma"}
#: Folders of REFUGE's ground truth (masks, illustrations with the disc drawn in), which
#: repeat the photos' names and class folders: never photos.
_ANNOTATION = re.compile(r"annotation|mask|illustration|groundtruth|(^|[-_ ])gt($|[-_ ])", re.I)


def _is_annotation(relative: Path) -> bool:
    return any(_ANNOTATION.search(part) for part in relative.parts[:-1])


def _walk(root: Path, depth: int) -> list[Path]:
    """Folders under ``root`` down to ``depth`` levels, breadth first, sorted."""
    out, level = [], [root]
    for _ in range(depth):
        level = [d for folder in level for d in subdirs(folder)]
        out.extend(level)
    return out


def _split_of(path: Path, root: Path) -> str:
    """REFUGE's split from a path's folder names (``...Validation400...`` -> ``val``)."""
    parts = " ".join(p.casefold() for p in path.relative_to(root).parts[:-1])
    if "val" in parts:
        return "val"
    if "test" in parts:
        return "test"
    return "train"


def _refuge_train(root: Path, raw: RawTable) -> None:
    for folder in _walk(root, 4):
        label = _REFUGE_FOLDERS.get(re.sub(r"[\s_\-]+", "", folder.name.casefold()))
        if label is None or _is_annotation(folder.relative_to(root) / "x"):
            continue
        for image in sorted(folder.iterdir()):
            if image.suffix.casefold() in {".jpg", ".jpeg", ".png", ".tif", ".tiff"}:
                raw.rows.append({
                    "image_path": image, "expected": str(image), "label": label,
                    "split": "train", "image_id": image.name, "source": str(image),
                })  # fmt: skip


def _refuge_sheet(sheet: Path, root: Path, images: ImageIndex, raw: RawTable) -> None:
    df = read_table(sheet)
    cols = pick_columns(
        df, sheet,
        {"id": ("ImgName", "Image Name", "image"),
         "label": ("Label(Glaucoma=1)", "Glaucoma Label", "Label", "Glaucoma")},
    )  # fmt: skip
    split = _split_of(sheet, root)
    for n, row in enumerate(records(df), start=1):
        name = str(row[cols["id"]]).strip()
        if not name:
            continue
        where = source(sheet, n)
        value = str(row[cols["label"]]).strip().removesuffix(".0")
        if value not in REFUGE_CLASSES:
            raise LabelError(f"{where}: glaucoma label {value!r} is not 0 or 1")
        raw.rows.append({
            **images.row(name),
            "label": REFUGE_CLASSES[value], "split": split, "image_id": name, "source": where,
        })  # fmt: skip


@register_benchmark("refuge")
@or_class_folders("refuge")
def load_refuge(root: Path) -> RawTable:
    """REFUGE: training folders by class, validation/test sheets; whichever are present."""
    raw = RawTable()
    _refuge_train(root, raw)
    sheets = sorted(
        p for folder in [root, *_walk(root, 4)] for p in folder.iterdir()
        if p.is_file() and p.name.casefold() in {s.casefold() for s in _REFUGE_SHEETS}
    )  # fmt: skip
    if sheets:
        images = ImageIndex(root, recursive=True, skip=_is_annotation)
        for sheet in sheets:
            _refuge_sheet(sheet, root, images, raw)
    if not raw.rows:
        raise BenchmarkNotFound(
            f"refuge: no Glaucoma/ + Non-Glaucoma/ training folders and no label sheet "
            f"({', '.join(_REFUGE_SHEETS)}) under {root}"
        )
    return raw


PAPILA_CLASSES = {"0": "healthy", "1": "glaucoma", "2": "suspect"}
_PAPILA_ID = re.compile(r"^#?\s*(\d+)$")


def _papila_sheet(path: Path) -> pd.DataFrame:
    """The sheet below its real header row (the one holding ``Diagnosis``)."""
    df = read_table(path, header=None)
    for i in range(min(6, len(df))):
        cells = [str(v).strip().casefold() for v in df.iloc[i]]
        if "diagnosis" in cells:
            body = df.iloc[i + 1 :].copy()
            body.columns = [str(v).strip() or f"col{j}" for j, v in enumerate(df.iloc[i])]
            return body
    raise LayoutError(f"{path}: no 'Diagnosis' column in the first rows")


@register_benchmark("papila")
@or_class_folders("papila")
def load_papila(root: Path) -> RawTable:
    """PAPILA: ``ClinicalData/patient_data_{od,os}.xlsx`` + ``FundusImages/RET<id><eye>.jpg``."""
    raw = RawTable()
    images = None
    for eye in ("OD", "OS"):
        sheet = find_file(root, [f"patient_data_{eye.lower()}.xlsx"], depth=3)
        images = images or ImageIndex(find_dir(sheet.parent.parent, ["FundusImages"]))
        df = _papila_sheet(sheet)
        diagnosis = next(c for c in df.columns if c.casefold() == "diagnosis")
        id_col = df.columns[0]
        for n, row in enumerate(records(df), start=1):
            match = _PAPILA_ID.match(str(row[id_col]).strip())
            if match is None:
                continue  # the sub-header and blank rows under the header
            where = source(sheet, n)
            value = str(row[diagnosis]).strip().removesuffix(".0")
            if value not in PAPILA_CLASSES:
                raise LabelError(f"{where}: Diagnosis {value!r} is not 0, 1 or 2")
            name = f"RET{int(match.group(1)):03d}{eye}"
            raw.rows.append({
                **images.row(name),
                "label": PAPILA_CLASSES[value], "image_id": name, "source": where,
                "patient_id": match.group(1), "eye": eye,
            })  # fmt: skip
    return raw
