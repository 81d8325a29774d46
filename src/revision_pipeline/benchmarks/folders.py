"""Class-folder sets: ``[<split>/]<class>/<image>``, the label is the folder's class.

``imagefolder`` is the generic RETFound layout (``train|val|test/<class>/``, or class
folders directly); its classes are the folder names found. The published folder sets
(JSIEC, Retina, Glaucoma-Fundus) have a fixed class list and a folder-name -> class map,
and accept the same tree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from revision_pipeline.benchmarks._files import IMAGE_EXTENSIONS, _subdirs
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LabelError
from revision_pipeline.benchmarks.registry import register_benchmark

logger = logging.getLogger(__name__)

#: Folder names read as a split (case-insensitive) -> the split.
SPLIT_NAMES: dict[str, str] = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val",
    "test": "test", "testing": "test",
}  # fmt: skip


def _images_under(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.casefold() in IMAGE_EXTENSIONS and not p.name.startswith(".")
    )  # fmt: skip


def _has_images(folder: Path) -> bool:
    return any(p.is_file() and p.suffix.casefold() in IMAGE_EXTENSIONS for p in folder.iterdir())


def class_folders(root: Path) -> list[tuple[str | None, Path]]:
    """``(split or None, class folder)`` pairs of a folder set, ordered by path.

    A root holding a single folder (the dataset unpacked one level deeper) is descended
    into, twice at most.

    Raises:
        BenchmarkNotFound: no class folder holds an image.
    """
    top = root
    for _ in range(2):
        subs = _subdirs(top)
        if len(subs) == 1 and not _has_images(top) and _subdirs(subs[0]):
            top = subs[0]
    subs = _subdirs(top)
    if subs and all(d.name.casefold() in SPLIT_NAMES for d in subs):
        pairs = [(SPLIT_NAMES[d.name.casefold()], c) for d in subs for c in _subdirs(d)]
    else:
        pairs = [(None, d) for d in subs]
    if not pairs:
        raise BenchmarkNotFound(
            f"no class folders (<class>/<image> or train/<class>/<image>) under {root}"
        )
    return pairs


def read_folders(root: Path, to_class: Callable[[str], str | None] | None = None) -> RawTable:
    """Rows of a class-folder set; ``to_class`` maps a folder name to its class.

    Raises:
        LabelError: a folder name is not one of the set's classes (the folder is named).
    """
    raw = RawTable()
    for split, folder in class_folders(root):
        label = folder.name if to_class is None else to_class(folder.name)
        if label is None:
            raise LabelError(
                f"{folder}: the folder name {folder.name!r} is not a class of this set"
            )
        for image in _images_under(folder):
            row = {
                "image_path": image,
                "expected": str(image),
                "label": label,
                "image_id": image.name,
                "source": str(image),
            }
            if split is not None:
                row["split"] = split
            raw.rows.append(row)
    return raw


@register_benchmark("imagefolder", generic=True)
def load_imagefolder(root: Path) -> RawTable:
    """A RETFound-style folder set; the classes are the sorted folder names found."""
    raw = read_folders(root)
    raw.classes = tuple(sorted({row["label"] for row in raw.rows}))
    return raw


def _key(name: str) -> str:
    """Folder name compared loosely: case, separators and a leading ``1_`` number ignored."""
    return re.sub(r"[\s_\-.]+", " ", name.casefold()).strip()


def folder_mapper(aliases: Mapping[str, str]) -> Callable[[str], str | None]:
    """A folder-name -> class function from loose spellings (see :func:`_key`)."""
    table = {_key(k): v for k, v in aliases.items()}
    return lambda name: table.get(_key(name))
