"""Diabetic-retinopathy grading sets: one label file per split, an id and a 0–4 grade per row.

APTOS 2019, EyePACS (Kaggle 2015), IDRiD, Messidor-2 and DDR differ only in file names,
column names and how an ungradable photo is marked, so they share :func:`read_grades`:
each adapter names its files and columns, nothing more.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from revision_pipeline.benchmarks._files import (
    ImageIndex,
    find_dir,
    find_file,
    find_file_or_none,
    grade,
    pick_columns,
    read_table,
    records,
    source,
)
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import LayoutError
from revision_pipeline.benchmarks.folders import or_class_folders
from revision_pipeline.benchmarks.registry import register_benchmark

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradeFile:
    """One label file of a grading set and how to read it.

    Attributes:
        path: the CSV (or whitespace-separated text file).
        images: where its images are.
        split: the publisher's split, or None when the set has one labelled split only.
        id_columns: accepted spellings of the image-id column.
        grade_columns: accepted spellings of the grade column.
        extras: output column -> accepted spellings (kept when present).
        ungradable: returns a reason when a row has no usable grade, else None.
    """

    path: Path
    images: ImageIndex
    split: str | None
    id_columns: Sequence[str] = ("image",)
    grade_columns: Sequence[str] = ("level",)
    extras: dict[str, Sequence[str]] = field(default_factory=dict)
    ungradable: Callable[[dict[str, str], str], str | None] | None = None


def _blank_grade(row: dict[str, str], value: str) -> str | None:
    return "no grade given" if value == "" else None


def _read_text_pairs(path: Path) -> pd.DataFrame:
    """DDR's ``<image> <grade>`` lines as a two-column table."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) < 2:
            raise LayoutError(f"{source(path, n)}: expected '<image> <grade>', got {line!r}")
        rows.append({"image": " ".join(parts[:-1]), "level": parts[-1], "_line": n})
    return pd.DataFrame(rows, columns=["image", "level", "_line"])


def read_grades(spec: GradeFile, raw: RawTable) -> None:
    """Append the rows of one grading file to ``raw`` (labels as ``"0"``..``"4"``)."""
    is_text = spec.path.suffix.casefold() == ".txt"
    df = _read_text_pairs(spec.path) if is_text else read_table(spec.path)
    wanted = {"id": spec.id_columns, "grade": spec.grade_columns, **spec.extras}
    cols = pick_columns(df, spec.path, wanted, optional=spec.extras)
    ungradable = spec.ungradable or _blank_grade
    for i, row in enumerate(records(df), start=1):
        n = int(row["_line"]) if is_text else i
        image_id = str(row[cols["id"]]).strip()
        value = str(row[cols["grade"]]).strip()
        if not image_id:
            if value:
                raise LayoutError(f"{source(spec.path, n)}: a grade without an image id")
            continue  # a padding row (IDRiD's sheets end with blank lines)
        reason = ungradable(row, value)
        if reason is not None:
            raw.unlabelled.append({"source": source(spec.path, n), "reason": reason})
            continue
        out = {
            **spec.images.row(image_id),
            "label": grade(value),
            "image_id": image_id,
            "source": source(spec.path, n),
        }
        if spec.split is not None:
            out["split"] = spec.split
        for key in spec.extras:
            if cols[key] is not None:
                out[key] = str(row[cols[key]]).strip()
        raw.rows.append(out)


def _read_all(specs: list[GradeFile]) -> RawTable:
    raw = RawTable()
    for spec in specs:
        logger.debug(
            "reading %s (%d images in %s)", spec.path, len(spec.images), spec.images.folder
        )
        read_grades(spec, raw)
    return raw


@register_benchmark("aptos2019")
@or_class_folders("aptos2019")
def load_aptos2019(root: Path) -> RawTable:
    """APTOS 2019: ``train.csv`` (``id_code``, ``diagnosis``), ``train_images/<id_code>.png``.

    ``test.csv`` carries no labels and is not read.
    """
    labels = find_file(root, ["train.csv", "train_1.csv"])
    images = find_dir(labels.parent, ["train_images", "train"])
    return _read_all([
        GradeFile(labels, ImageIndex(images), None, ("id_code",), ("diagnosis",)),
    ])  # fmt: skip


@register_benchmark("eyepacs")
@or_class_folders("eyepacs")
def load_eyepacs(root: Path) -> RawTable:
    """EyePACS: ``trainLabels.csv`` (``image``, ``level``), ``train/<image>.jpeg``.

    When the published test solution (``retinopathy_solution.csv``, columns ``image``,
    ``level``, ``Usage``) and ``test/`` are present, their rows are added as split ``test``
    (and the training rows get split ``train``).
    """
    train = find_file(root, ["trainLabels.csv", "trainlabels.csv"])
    specs = [GradeFile(train, ImageIndex(find_dir(train.parent, ["train"])), "train")]
    test = find_file_or_none(root, ["retinopathy_solution.csv", "testLabels.csv"])
    if test is not None:
        specs.append(
            GradeFile(test, ImageIndex(find_dir(test.parent, ["test"])), "test",
                      extras={"usage": ("Usage",)})
        )  # fmt: skip
    return _read_all(specs)


_IDRID_COLUMNS = {
    "id_columns": ("Image name", "Image"),
    "grade_columns": ("Retinopathy grade",),
    "extras": {"dme_risk": ("Risk of macular edema",)},
}


@register_benchmark("idrid")
@or_class_folders("idrid")
def load_idrid(root: Path) -> RawTable:
    """IDRiD disease grading: training and testing label CSVs, ``1. Original Images/*``."""
    specs = []
    for split, csv_names, folder in (
        ("train", ["a. IDRiD_Disease Grading_Training Labels.csv",
                   "IDRiD_Disease Grading_Training Labels.csv"], "a. Training Set"),
        ("test", ["b. IDRiD_Disease Grading_Testing Labels.csv",
                  "IDRiD_Disease Grading_Testing Labels.csv"], "b. Testing Set"),
    ):  # fmt: skip
        labels = find_file(root, csv_names, depth=3)
        images = find_dir(labels.parent.parent, [folder, folder[3:]])
        specs.append(GradeFile(labels, ImageIndex(images), split, **_IDRID_COLUMNS))
    return _read_all(specs)


def _messidor_ungradable(row: dict[str, str], value: str) -> str | None:
    gradable = next(
        (str(row[c]).strip() for c in row if c.casefold() == "adjudicated_gradable"), ""
    )
    if gradable in {"0", "0.0"}:
        return "ungradable (adjudicated_gradable 0)"
    return "no adjudicated grade" if value == "" else None


@register_benchmark("messidor2")
@or_class_folders("messidor2")
def load_messidor2(root: Path) -> RawTable:
    """Messidor-2: ``messidor_data.csv`` (adjudicated grades), images in ``IMAGES/``.

    Ungradable photos (no grade, ``adjudicated_gradable`` 0) are listed in
    ``attrs["unlabelled"]``, not returned.
    """
    labels = find_file(root, ["messidor_data.csv", "messidor-2.csv", "messidor2.csv"])
    images = find_dir(labels.parent, ["IMAGES", "messidor-2", "preprocess"])
    spec = GradeFile(
        labels, ImageIndex(images), None,
        id_columns=("image_id", "image"),
        grade_columns=("adjudicated_dr_grade",),
        extras={"dme": ("adjudicated_dme",)},
        ungradable=_messidor_ungradable,
    )  # fmt: skip
    return _read_all([spec])


def _ddr_ungradable(row: dict[str, str], value: str) -> str | None:
    return "ungradable (DDR grade 5)" if grade(value) == "5" else None


@register_benchmark("ddr")
@or_class_folders("ddr")
def load_ddr(root: Path) -> RawTable:
    """DDR grading: ``DR_grading/{train,valid,test}.txt`` (``<image> <grade>``) + folders.

    Grade 5 (ungradable) rows are listed in ``attrs["unlabelled"]``.
    """
    grading = root
    if find_file_or_none(root, ["train.txt", "test.txt", "valid.txt"], depth=0) is None:
        grading = find_dir(root, ["DR_grading", "DR grading"], depth=2, what="DR_grading folder")
    specs = []
    for split, stem in (("train", "train"), ("val", "valid"), ("test", "test")):
        labels = find_file_or_none(grading, [f"{stem}.txt"], depth=0)
        if labels is None:
            continue
        images = find_dir(grading, [stem, "val"] if stem == "valid" else [stem], depth=0)
        specs.append(GradeFile(labels, ImageIndex(images), split, ungradable=_ddr_ungradable))
    if not specs:
        find_file(grading, ["train.txt", "valid.txt", "test.txt"], depth=0)  # raises
    return _read_all(specs)
