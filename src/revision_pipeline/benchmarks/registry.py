"""A decorator registry of benchmark adapters (as timm registers models).

An adapter is a function ``root -> RawTable`` registered under a name::

    @register_benchmark("aptos2019")
    def _load_aptos(root: Path) -> RawTable: ...

Its metadata (title, url, licence, task, classes, graded) comes from the packaged
``data/benchmarks.yml`` unless given to the decorator, so a user's own adapter can be
registered without touching that file.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from revision_pipeline.benchmarks._table import RawTable, finish
from revision_pipeline.benchmarks.errors import BenchmarkError, BenchmarkNotFound, UnknownBenchmark

logger = logging.getLogger(__name__)

METADATA_PATH = Path(__file__).parent / "data" / "benchmarks.yml"
#: Modules whose import registers the packaged adapters.
_ADAPTER_MODULES = ("dr_grading", "odir", "rfmid", "folders", "glaucoma", "flair_csv")

Loader = Callable[[Path], RawTable]


@dataclass(frozen=True)
class BenchmarkInfo:
    """What a benchmark is: its task, classes and provenance.

    Attributes:
        name: the registered name.
        task: ``"single"`` (one label per image) or ``"multi"`` (a list per image).
        classes: every label value the adapter can return, in a fixed order (grades 0..4).
            Empty for generic adapters until a root is given (:func:`benchmark_info`).
        graded: ordinal DR grades (quadratic kappa applies).
        title: human name.
        url: where the data is published.
        licence: the terms it is distributed under.
        generic: the classes are read from the user's data (``imagefolder``, ``flair_csv``).
    """

    name: str
    task: Literal["single", "multi"]
    classes: tuple[str, ...]
    graded: bool
    title: str
    url: str
    licence: str
    generic: bool = False


@dataclass(frozen=True)
class _Entry:
    loader: Loader
    overrides: dict[str, Any]
    generic: bool


_REGISTRY: dict[str, _Entry] = {}


def register_benchmark(
    name: str, *, generic: bool = False, **info: Any
) -> Callable[[Loader], Loader]:
    """Register ``loader`` under ``name``.

    Args:
        name: the benchmark's name (``load_benchmark(name, root)``).
        generic: classes come from the data, not from a fixed list.
        **info: :class:`BenchmarkInfo` fields overriding ``data/benchmarks.yml``.

    Raises:
        BenchmarkError: the name is registered already.
    """

    def decorate(loader: Loader) -> Loader:
        if name in _REGISTRY and _REGISTRY[name].loader is not loader:
            raise BenchmarkError(f"a benchmark adapter is already registered as {name!r}")
        _REGISTRY[name] = _Entry(loader=loader, overrides=dict(info), generic=generic)
        _info.cache_clear()
        return loader

    return decorate


@functools.cache
def _metadata() -> dict[str, dict[str, Any]]:
    with METADATA_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@functools.cache
def _registered() -> None:
    for module in _ADAPTER_MODULES:
        importlib.import_module(f"{__package__}.{module}")


def _entry(name: str) -> _Entry:
    _registered()
    if name not in _REGISTRY:
        raise UnknownBenchmark(
            f"no benchmark adapter named {name!r}; registered: {', '.join(list_benchmarks())}"
        )
    return _REGISTRY[name]


def list_benchmarks() -> list[str]:
    """The registered benchmark names, sorted."""
    _registered()
    return sorted(_REGISTRY)


@functools.cache
def _info(name: str) -> BenchmarkInfo:
    entry = _entry(name)
    fields = {**_metadata().get(name, {}), **entry.overrides}
    missing = [f for f in ("task", "title", "url", "licence") if f not in fields]
    if missing:
        raise BenchmarkError(
            f"benchmark {name!r} has no {', '.join(missing)}: give them to register_benchmark "
            f"or add them to {METADATA_PATH}"
        )
    if fields["task"] not in ("single", "multi"):
        raise BenchmarkError(f"benchmark {name!r}: task must be 'single' or 'multi'")
    return BenchmarkInfo(
        name=name,
        task=fields["task"],
        classes=tuple(str(c) for c in fields.get("classes") or ()),
        graded=bool(fields.get("graded", False)),
        title=str(fields["title"]),
        url=str(fields["url"]),
        licence=str(fields["licence"]),
        generic=entry.generic,
    )


def benchmark_info(name: str, root: str | os.PathLike[str] | None = None) -> BenchmarkInfo:
    """The metadata of a registered benchmark.

    Args:
        name: a registered name.
        root: for generic adapters, the data whose classes to report (read from disk);
            ignored by the others.

    Generic adapters (``imagefolder``, ``flair_csv``) report no classes without a root;
    a loaded table's ``attrs["classes"]`` always holds them.

    Raises:
        UnknownBenchmark: ``name`` is not registered.
    """
    info = _info(name)
    if info.generic and root is not None:
        df = load_benchmark(name, root, min_classes=1)
        return BenchmarkInfo(**{**info.__dict__, "classes": tuple(df.attrs["classes"])})
    return info


def load_benchmark(
    name: str, root: str | os.PathLike[str], *, min_classes: int = 2
) -> pd.DataFrame:
    """Read a benchmark in its publisher's layout as one table.

    Args:
        name: a registered name (:func:`list_benchmarks`).
        root: the dataset's folder (one level above or below is accepted); for
            ``flair_csv`` the CSV file itself or its folder.
        min_classes: fewer classes present than this is an error.

    Returns:
        Columns ``image_path`` (absolute; the file exists), ``label`` (a class, or a list
        of classes for ``task == "multi"``), ``split`` (``train``/``val``/``test``, only
        when the rows come from at least two of the publisher's splits), ``image_id`` (the
        publisher's id), ``source`` (``<label file>#<row>``) and extras. Rows are ordered
        by split, then path. ``attrs``: ``benchmark``, ``classes`` (every class the table
        can hold, in order; for generic adapters those found), ``dropped`` (rows whose
        image is missing or repeated: ``{"source", "reason"}``), ``unlabelled`` (rows the
        publisher left without a usable label).

    Raises:
        UnknownBenchmark: ``name`` is not registered.
        BenchmarkNotFound: the root, a label file or the image folder is missing.
        LayoutError: a label file lacks a column of the publisher's layout.
        LabelError: a label is not one of the classes (file and row named).
        EmptyBenchmark: no labelled image exists on disk.
        SingleClassBenchmark: fewer than ``min_classes`` classes are present.
    """
    entry = _entry(name)
    path = Path(root).expanduser()
    if not path.exists():
        raise BenchmarkNotFound(f"{name}: the root {path} does not exist")
    raw = entry.loader(path.resolve())
    info = _info(name)
    classes = raw.classes if info.generic and raw.classes is not None else info.classes
    return finish(name, raw, classes, info.task, min_classes=min_classes)
