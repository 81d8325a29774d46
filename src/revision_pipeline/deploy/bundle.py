"""The export folder (no torch): its files, manifest and preprocessing settings.

An export is one folder::

    image_encoder.onnx        image tower, fp32: pixel_values (N, 3, S, S) -> embeddings (N, D)
    image_encoder.int8.onnx   the same, weights dynamically quantised to INT8
    prototypes.npy            (C, D) float32 class prototypes of the canonical findings
    classes.json              labels (row order of prototypes.npy), logit scale, score rule
    preprocessing.json        curate's crop and quality thresholds, size, mean/std, resize
    manifest.json             model version, source model hash, created, files with sha256

``kedro run --pipeline=export`` writes it to ``data/06_models/screening/<version>/screening/``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

FORMAT = "revision-screening/1"
MANIFEST = "manifest.json"
PREPROCESSING = "preprocessing.json"
CLASSES = "classes.json"
PROTOTYPES = "prototypes.npy"
VARIANTS = {"fp32": "image_encoder.onnx", "int8": "image_encoder.int8.onnx"}
#: Where the export pipeline writes, relative to the project root.
DEFAULT_EXPORT_ROOT = Path("data/06_models/screening")
INPUT_NAME = "pixel_values"
OUTPUT_NAME = "embeddings"
_KEDRO_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}\.\d{3}Z$")


class ExportError(ValueError):
    """An export folder is missing, incomplete or altered; the message says which and why."""


@dataclass(frozen=True)
class Preprocessing:
    """How a photo becomes the image tower's input, exactly as in training and evaluation.

    Curate's own step first (:func:`revision_pipeline.imaging.process_image`: decode, find
    the fundus disc, judge quality with ``quality_thresholds``, square crop of side
    ``crop_side`` with black outside the disc, JPEG at ``jpeg_quality``); then the
    evaluation transform: decode the crop with a JPEG draft of ``image_size``, resize to
    ``image_size`` square (Pillow bilinear, antialiased), scale to 0..1, normalise with
    ``mean``/``std``, channels first.
    """

    crop_side: int
    jpeg_quality: int
    quality_thresholds: dict[str, float]
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resize: str = "bilinear"
    input_name: str = INPUT_NAME
    output_name: str = OUTPUT_NAME
    notes: str = field(
        default="photos without a detectable fundus disc fail quality (no_fov) and get no scores"
    )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mean"], data["std"] = list(self.mean), list(self.std)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "preprocessing") -> Preprocessing:
        """Parse ``preprocessing.json``.

        Raises:
            ExportError: a key is missing or unknown (names it and the file).
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(f"{source}: unknown key(s) {unknown}")
        try:
            return cls(
                **{
                    **data,
                    "mean": tuple(float(v) for v in data["mean"]),
                    "std": tuple(float(v) for v in data["std"]),
                }
            )
        except (KeyError, TypeError) as exc:
            raise ExportError(f"{source}: incomplete preprocessing settings ({exc})") from exc


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_version(model_dir: Path) -> str:
    """The Kedro save version of a model folder (``.../<version>/retina_clip``), else its name."""
    parent = model_dir.resolve().parent.name
    return parent if _KEDRO_VERSION.match(parent) else model_dir.resolve().name


def write_manifest(folder: Path, info: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json``: ``info`` plus every other file of ``folder`` with its sha256."""
    files = {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST
    }
    manifest = {"format": FORMAT, **info, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def read_manifest(folder: Path, verify: bool = True) -> dict[str, Any]:
    """Read and check an export's manifest.

    Args:
        folder: the export folder.
        verify: compare every listed file's size and sha256 with the manifest.

    Raises:
        ExportError: no manifest, another format, a file missing or altered.
    """
    path = folder / MANIFEST
    if not path.is_file():
        raise ExportError(
            f"{folder} is not a screening export (no {MANIFEST}): run "
            "`kedro run --pipeline=export`, or pass --model with an export folder"
        )
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: unreadable manifest ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise ExportError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
    for name, entry in (manifest.get("files") or {}).items():
        file = folder / name
        if not file.is_file():
            raise ExportError(f"{folder}: {name} is listed in {MANIFEST} but missing")
        if not verify:
            continue
        if file.stat().st_size != entry["bytes"] or sha256_file(file) != entry["sha256"]:
            raise ExportError(
                f"{file} does not match its sha256 in {MANIFEST}: the export was altered or "
                "copied incompletely; copy the whole folder again"
            )
    return manifest


def read_json(folder: Path, name: str) -> dict[str, Any]:
    """One JSON file of an export (names the file when absent or broken)."""
    path = folder / name
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ExportError(f"{folder}: {name} is missing; export again") from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: unreadable ({exc})") from exc


def _export_in(version_dir: Path) -> Path | None:
    """The export inside a version folder: the folder itself or its one sub-folder."""
    if (version_dir / MANIFEST).is_file():
        return version_dir
    inner = [p for p in sorted(version_dir.iterdir()) if (p / MANIFEST).is_file()]
    return inner[-1] if inner else None


def resolve_export(path: Path) -> Path:
    """An export folder from what a user names: the export itself, one version of it, or
    the root of all versions (then the latest, by version name).

    Raises:
        ExportError: nothing exported under ``path``.
    """
    if not path.is_dir():
        raise ExportError(f"model folder {path} does not exist")
    found = _export_in(path)
    if found is not None:
        return found
    versions = sorted((p for p in path.iterdir() if p.is_dir()), key=lambda p: p.name)
    for version in reversed(versions):
        found = _export_in(version)
        if found is not None:
            return found
    raise ExportError(
        f"no screening export in {path} (no {MANIFEST} in it or in its version folders): "
        "run `kedro run --pipeline=export`"
    )


def find_latest_export(start: Path | None = None) -> Path:
    """The latest export under ``data/06_models/screening/`` of ``start`` or a parent of it.

    Raises:
        ExportError: no such folder from ``start`` up to the file-system root.
    """
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        root = folder / DEFAULT_EXPORT_ROOT
        if root.is_dir():
            return resolve_export(root)
    raise ExportError(
        f"no screening model found: {DEFAULT_EXPORT_ROOT}/ is in neither {start} nor a parent "
        "of it; run `kedro run --pipeline=export` in the project, or pass --model DIR"
    )
