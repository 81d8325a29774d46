"""Class-folder sets: ``[<split>/]<class>/<image>``, the label is the folder's class.

``imagefolder`` is the generic RETFound layout (``train|val|test/<class>/``, or class
folders directly); its classes are the folder names found. The published folder sets
(JSIEC, Retina, Glaucoma-Fundus) have a fixed class list and a folder-name -> class map
(``folders`` in ``data/benchmarks.yml``), and accept the same tree; so do the DR and
glaucoma adapters when given RETFound's ``train|val|test/<class>/`` release of their set.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from pathlib import Path

from revision_pipeline.benchmarks._files import IMAGE_EXTENSIONS, subdirs
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LabelError
from revision_pipeline.benchmarks.registry import Loader, _metadata, register_benchmark

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
        subs = subdirs(top)
        if len(subs) == 1 and not _has_images(top) and subdirs(subs[0]):
            top = subs[0]
    subs = subdirs(top)
    splits = [d for d in subs if d.name.casefold() in SPLIT_NAMES and subdirs(d)]
    if splits:
        others = [d.name for d in subs if d not in splits]
        if others:
            logger.warning("%s: folders beside the split folders ignored: %s", top, others)
        pairs = [(SPLIT_NAMES[d.name.casefold()], c) for d in splits for c in subdirs(d)]
    else:
        pairs = [(None, d) for d in subs]
    if not pairs:
        raise BenchmarkNotFound(
            f"no class folders (<class>/<image> or train/<class>/<image>) under {root}"
        )
    return pairs


def _key(name: str) -> str:
    """Folder name compared loosely: case and separators (space ``_`` ``-``) ignored."""
    return re.sub(r"[\s_\-]+", "", name.casefold())


@functools.cache
def folder_map(name: str) -> dict[str, str]:
    """Loose folder name -> class of a published folder set (``data/benchmarks.yml``)."""
    meta = _metadata().get(name, {})
    table = {_key(str(c)): str(c) for c in meta.get("classes") or ()}
    for cls, spellings in (meta.get("folders") or {}).items():
        for spelling in spellings:
            table.setdefault(_key(str(spelling)), str(cls))
    return table


def read_folders(root: Path, name: str | None = None) -> RawTable:
    """Rows of a class-folder set; ``name`` a published set whose folders map to classes.

    Raises:
        BenchmarkNotFound: no class folder under ``root``.
        LabelError: a folder name is not one of the set's classes (the folder is named).
    """
    table = folder_map(name) if name else None
    raw = RawTable()
    for split, folder in class_folders(root):
        label = folder.name if table is None else table.get(_key(folder.name))
        if label is None:
            raise LabelError(
                f"{folder}: the folder name {folder.name!r} is not a class of {name} "
                f"({sorted(set(table.values())) if table else []})"
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


def retfound_layout(root: Path, name: str) -> bool:
    """Whether ``root`` holds ``train|val|test/<class>/`` folders that all map to ``name``'s
    classes (RETFound's release of the public sets)."""
    try:
        pairs = class_folders(root)
    except BenchmarkNotFound:
        return False
    table = folder_map(name)
    return all(split is not None for split, _ in pairs) and all(
        _key(folder.name) in table for _, folder in pairs
    )


def or_class_folders(name: str) -> Callable[[Loader], Loader]:
    """Let a label-file adapter also read RETFound's class-folder release of its set.

    The wrapped loader runs first; only when it finds no label file and ``root`` is a
    ``train|val|test/<class>/`` tree whose folders all map to ``name``'s classes are the
    folders read instead.
    """

    def wrap(loader: Loader) -> Loader:
        @functools.wraps(loader)
        def load(root: Path) -> RawTable:
            try:
                return loader(root)
            except BenchmarkNotFound:
                if retfound_layout(root, name):
                    logger.info("%s: no label file under %s; reading its class folders", name, root)
                    return read_folders(root, name)
                raise

        return load

    return wrap


@register_benchmark("imagefolder", generic=True)
def load_imagefolder(root: Path) -> RawTable:
    """A RETFound-style folder set; the classes are the sorted folder names found."""
    raw = read_folders(root)
    raw.classes = tuple(sorted({row["label"] for row in raw.rows}))
    return raw


@register_benchmark("jsiec")
def load_jsiec(root: Path) -> RawTable:
    """JSIEC: 39 class folders (``0.0.Normal`` ... ``29.1.Blur fundus with suspected PDR``)."""
    return read_folders(root, "jsiec")


@register_benchmark("retina")
def load_retina(root: Path) -> RawTable:
    """Kaggle "cataract dataset": ``1_normal``, ``2_cataract``, ``2_glaucoma``,
    ``3_retina_disease`` folders."""
    return read_folders(root, "retina")


@register_benchmark("glaucoma_fundus")
def load_glaucoma_fundus(root: Path) -> RawTable:
    """Harvard Dataverse "Glaucoma fundus": normal / early / advanced class folders."""
    return read_folders(root, "glaucoma_fundus")
