"""List one institution's image files and read exam id, eye and sequence from each.

Every file under the dialect's images folder ends up either in
:attr:`ImageTable.images` or in :attr:`ImageTable.rejects` (stage ``ingest``), checked
in this order:

``not_an_image``
    hidden or system files (``.DS_Store``, ``._*`` AppleDouble, ``Thumbs.db``,
    ``desktop.ini``, anything under ``__MACOSX`` or a hidden folder);
``unsupported_file_type``
    an extension other than jpg, jpeg, png, tif, tiff, bmp, dcm (any case);
``empty_file``
    0 bytes;
``unrecognised_file_name``
    the path (relative to the images folder, ``/`` separators) does not ``fullmatch``
    the dialect's pattern, or matches with an empty exam id.

An unreadable eye is not a reject: ``eye`` is ``"unknown"``. The eye comes from the
pattern's ``eye`` group; DICOM files whose name gives no eye take it from the header
(ImageLaterality (0020,0062), else Laterality (0020,0060)).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from revision_pipeline.archive.config import IMAGE_EXTENSIONS, Dialect
from revision_pipeline.archive.laterality import Eye, parse_eye
from revision_pipeline.archive.reports import make_rejects

logger = logging.getLogger(__name__)

#: Columns of :attr:`ImageTable.images`.
IMAGE_COLUMNS: tuple[str, ...] = (
    "institution_id",
    "source",
    "exam_id",
    "eye",
    "seq",
    "ext",
    "size_bytes",
)
_SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r"})
_SYSTEM_DIRS = frozenset({"__macosx", "$recycle.bin", "system volume information"})


@dataclass
class ImageTable:
    """One institution's image files.

    Attributes:
        institution_id: folder name of the institution.
        images: :data:`IMAGE_COLUMNS`; ``source`` is the path relative to the archive
            root, ``eye`` is ``OD``/``OS``/``unknown``, ``seq`` is ``""`` when absent,
            ``ext`` is lower case, ``size_bytes`` an int.
        rejects: ``institution_id, source, stage, reason``.
        n_files: files found (= rows of ``images`` + rows of ``rejects``).
    """

    institution_id: str
    images: pd.DataFrame
    rejects: pd.DataFrame
    n_files: int = 0


def read_dicom_eye(path: Path) -> Eye | None:
    """The eye named in a DICOM header, or None (no tag, ``B``/``U``, unreadable file)."""
    import pydicom

    try:
        header = pydicom.dcmread(
            path, stop_before_pixels=True, specific_tags=["ImageLaterality", "Laterality"]
        )
    except Exception as exc:  # pydicom raises many kinds on a damaged file
        # file names carry exam ids (PHI): named at DEBUG only; the photo itself is
        # judged (and if need be rejected by name) when it is decoded
        logger.debug("%s: cannot read the DICOM header: %s", path, exc)
        return None
    for keyword in ("ImageLaterality", "Laterality"):
        eye = parse_eye(str(header.get(keyword, "") or ""))
        if eye is not None:
            return eye
    return None


def _walk(
    directory: Path, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(path relative to ``directory`` with '/' separators, entry) for every file, sorted;
    folders in ``skip`` (relative, with a trailing '/') are not entered."""
    stack: list[tuple[str, Path]] = [("", directory)]
    while stack:
        prefix, folder = stack.pop()
        with os.scandir(folder) as entries:
            children = sorted(entries, key=lambda e: e.name)
        subdirs = []
        for entry in children:
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                if f"{rel}/" not in skip:
                    subdirs.append((f"{rel}/", Path(entry.path)))
            elif entry.is_file():
                yield rel, entry
            else:
                logger.debug("%s: neither a file nor a folder, skipped", entry.path)
        stack.extend(reversed(subdirs))


def _is_system(rel: str) -> bool:
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return True
    if any(p.lower() in _SYSTEM_DIRS for p in parts[:-1]):
        return True
    return parts[-1].lower() in _SYSTEM_FILES


def _classify(
    rel: str, entry: os.DirEntry[str], dialect: Dialect, pattern: re.Pattern[str]
) -> tuple[dict[str, object] | None, str | None]:
    """(image row, None) or (None, reject reason) for one file."""
    if _is_system(rel):
        return None, "not_an_image"
    name = rel.rpartition("/")[2]
    suffix = name.rpartition(".")[2].lower() if "." in name else ""
    if suffix not in IMAGE_EXTENSIONS:
        return None, "unsupported_file_type"
    size = entry.stat().st_size
    if size == 0:
        return None, "empty_file"
    match = pattern.fullmatch(rel)
    exam_id = (match.groupdict().get("exam_id") or "").strip() if match else ""
    if not exam_id:
        return None, "unrecognised_file_name"
    groups = match.groupdict()
    eye = parse_eye(groups.get("eye"), dialect.images.eye_tokens)
    if eye is None and suffix == "dcm":
        eye = read_dicom_eye(Path(entry.path))
    row = {
        "exam_id": exam_id,
        "eye": eye or "unknown",
        "seq": (groups.get("seq") or "").strip(),
        "ext": (groups.get("ext") or suffix).lower(),
        "size_bytes": int(size),
    }
    return row, None


def _outside_images_folder(
    root: Path, institution_id: str, dialect: Dialect, exclude: set[str]
) -> list[tuple[str, str]]:
    """Files of the institution folder that are neither under its images folder nor its
    reports file: rejected by name, so that nothing found is dropped silently (photos in
    ``Images/`` or loose in the folder are the usual case)."""
    images_dir = PurePosixPath(dialect.images.dir).as_posix()
    folder = Path(root) / institution_id
    if images_dir in ("", ".") or not folder.is_dir():
        return []  # the images folder is the institution folder: everything was listed
    reports = PurePosixPath(institution_id, dialect.reports.file).as_posix()
    out = []
    for rel, _entry in _walk(folder, skip=frozenset({f"{images_dir}/"})):
        source = f"{institution_id}/{rel}"
        if source == reports or source in exclude:
            continue
        reason = "not_an_image" if _is_system(rel) else f"outside_images_folder: {images_dir}/"
        out.append((source, reason))
    if out:  # counted, not named: file names carry exam ids (the rejects table has them)
        logger.warning(
            "%s: %d files outside its images folder %s/, rejected as outside_images_folder",
            institution_id, len(out), images_dir,
        )  # fmt: skip
    return out


def names_any_image(root: Path, institution_id: str, dialect: Dialect, limit: int = 500) -> bool:
    """Whether a file under the dialect's images folder matches its file-name pattern
    (looking at ``limit`` files at most): a cheap test that a folder fits a dialect."""
    directory = Path(root) / institution_id / dialect.images.dir
    if not directory.is_dir():
        return False
    pattern = dialect.images.compiled_pattern()
    for n, (rel, _entry) in enumerate(_walk(directory)):
        if n >= limit:
            break
        if not _is_system(rel) and pattern.fullmatch(rel):
            return True
    return False


def list_images(
    root: Path, institution_id: str, dialect: Dialect, exclude: set[str] | None = None
) -> ImageTable:
    """Walk the dialect's images folder of one institution, recursively.

    Args:
        root: the archive root.
        institution_id: the institution folder name.
        dialect: the institution's export dialect.
        exclude: sources (relative to ``root``) not to list, e.g. the reports file when
            the images folder is the institution folder itself.
    """
    directory = Path(root) / institution_id / dialect.images.dir
    base = PurePosixPath(institution_id, dialect.images.dir).as_posix()
    pattern = dialect.images.compiled_pattern()
    rows: list[dict[str, object]] = []
    rejects: list[tuple[str, str]] = []
    if not directory.is_dir():
        logger.warning("%s: no images folder %s", institution_id, base)
    else:
        for rel, entry in _walk(directory):
            source = f"{base}/{rel}"
            if exclude and source in exclude:
                continue
            row, reason = _classify(rel, entry, dialect, pattern)
            if reason is not None:
                rejects.append((source, reason))
            else:
                rows.append({"institution_id": institution_id, "source": source, **row})
    rejects.extend(_outside_images_folder(root, institution_id, dialect, exclude or set()))
    images = pd.DataFrame(rows, columns=list(IMAGE_COLUMNS), dtype=object)
    images["size_bytes"] = images["size_bytes"].astype("int64")
    if rejects:
        logger.info(
            "%s: %d of %d files rejected", institution_id, len(rejects), len(rows) + len(rejects)
        )
    return ImageTable(
        institution_id, images, make_rejects(institution_id, rejects), len(rows) + len(rejects)
    )
