"""Read an archive institution by institution: reports, images, and their pairing.

Memory is bounded by the largest institution, never the whole archive:
:func:`iter_institutions` yields one :class:`InstitutionArchive` at a time.

Exam ids are matched after NFKC normalisation, stripping and case-folding
(:func:`~revision_pipeline.archive.reports.exam_key`): ``ex-01`` in a file name pairs
with ``EX-01`` in the report table, because exports written on case-insensitive file
systems (Windows, macOS) change case freely.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from revision_pipeline.archive.config import (
    CANONICAL_DIALECT,
    INSTITUTION_ID_RE,
    Dialect,
    dialect_for,
)
from revision_pipeline.archive.images import (
    IMAGE_COLUMNS,
    ImageTable,
    list_images,
    names_any_image,
)
from revision_pipeline.archive.reports import (
    REJECT_COLUMNS,
    REPORT_COLUMNS,
    ReportTable,
    exam_key,
    read_reports,
)

logger = logging.getLogger(__name__)

__all__ = [
    "MATCHED_COLUMNS",
    "ImageTable",
    "InstitutionArchive",
    "ReportTable",
    "discover_institutions",
    "iter_institutions",
    "list_images",
    "match_images",
    "read_institution",
    "read_reports",
]

_REPORT_FIELDS = [c for c in REPORT_COLUMNS if c not in ("institution_id", "exam_id", "source")]
#: Columns of the matched table: the image columns, then the report's, whose
#: ``source`` is renamed ``report_source``. ``exam_id`` is the report table's spelling.
MATCHED_COLUMNS: tuple[str, ...] = (*IMAGE_COLUMNS, *_REPORT_FIELDS, "report_source")


def discover_institutions(root: Path) -> list[str]:
    """Institution folders under the archive root (names ``[A-Za-z0-9_-]+``), sorted.

    Other folders and files are logged as warnings and ignored (hidden ones silently).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"archive root {root} is not a folder")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and INSTITUTION_ID_RE.fullmatch(entry.name):
            found.append(entry.name)
        else:
            kind = "folder" if entry.is_dir() else "file"
            logger.warning(
                "%s: %s %r is not an institution folder ([A-Za-z0-9_-]+), ignored",
                root,
                kind,
                entry.name,
            )
    return found


def _with_key(frame: pd.DataFrame) -> pd.Series:
    return frame["exam_id"].map(exam_key) if len(frame) else pd.Series(dtype=object)


def _restore_leading_zeros(
    image_keys: pd.Series, report_keys: pd.Series, institution_id: str
) -> pd.Series:
    """Image exam keys, with a numeric key that has no report row mapped to the report
    key that differs from it only in leading zeros (``000917`` -> ``917``: a table saved
    through Excel loses them), when that report key is unique and has no photo of its own.
    """
    known = set(report_keys)
    by_number: dict[str, list[str]] = {}
    for key in known:
        if key.isdigit():
            by_number.setdefault(key.lstrip("0"), []).append(key)
    exact = set(image_keys)
    mapping = {}
    for key in exact - known:
        targets = by_number.get(key.lstrip("0"), []) if key.isdigit() else []
        if len(targets) == 1 and targets[0] not in exact:
            mapping[key] = targets[0]
    if not mapping:
        return image_keys
    # exam ids are identifiers: the log gives the count, never the values
    logger.warning(
        "%s: %d exam id(s) of photos match a report row only without their leading zeros; "
        "paired so (was the report table saved through a spreadsheet?)",
        institution_id, len(mapping),
    )  # fmt: skip
    return image_keys.map(lambda k: mapping.get(k, k))


def match_images(
    reports: pd.DataFrame,
    images: pd.DataFrame,
    rejected_exams: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pair image rows with the report row of their exam.

    Args:
        reports: :data:`~revision_pipeline.archive.reports.REPORT_COLUMNS`, unique per
            exam key (as :func:`read_reports` returns them).
        images: :data:`~revision_pipeline.archive.images.IMAGE_COLUMNS`.
        rejected_exams: exam key → reason for exams whose report rows were all
            rejected (:attr:`ReportTable.rejected_exams`); their images get that
            reason (e.g. ``empty_report``) instead of ``orphan_image``.

    Returns:
        ``(matched, rejects)``: matched has :data:`MATCHED_COLUMNS`, one row per image
        with a report; rejects has ``orphan_image`` (image without a report row) and
        ``report_without_image`` (report row without an image) rows.

    Raises:
        ValueError: when two report rows share an exam key.
    """
    report_keys = _with_key(reports)
    if report_keys.duplicated().any():
        n = int(report_keys.duplicated().sum())  # ids are PHI: counted, not named
        raise ValueError(f"report rows are not unique per exam id ({n} repeated)")
    institution = str(images["institution_id"].iloc[0]) if len(images) else ""
    image_keys = _restore_leading_zeros(_with_key(images), report_keys, institution)
    has_report = image_keys.isin(set(report_keys)) if len(images) else pd.Series(dtype=bool)
    has_image = report_keys.isin(set(image_keys)) if len(reports) else pd.Series(dtype=bool)
    left = images.loc[has_report.to_numpy(bool)].drop(columns="exam_id").copy()
    left["_key"] = image_keys[has_report].to_numpy()
    right = reports.rename(columns={"source": "report_source"}).drop(columns="institution_id")
    right = right.assign(_key=report_keys.to_numpy())
    matched = left.merge(right, on="_key", how="left", validate="many_to_one")
    matched = matched.reindex(columns=list(MATCHED_COLUMNS)).reset_index(drop=True)
    orphan_mask = ~has_report.to_numpy(bool)
    orphans = images.loc[orphan_mask, ["institution_id", "source"]]
    why = image_keys[orphan_mask].map(lambda k: (rejected_exams or {}).get(k, "orphan_image"))
    lonely = reports.loc[~has_image.to_numpy(bool), ["institution_id", "source"]]
    rejects = pd.concat(
        [orphans.assign(reason=why.to_numpy()), lonely.assign(reason="report_without_image")],
        ignore_index=True,
    ).assign(stage="ingest")
    return matched, rejects.reindex(columns=list(REJECT_COLUMNS)).astype(object)


@dataclass
class InstitutionArchive:
    """Everything read from one institution folder.

    Attributes:
        matched: :data:`MATCHED_COLUMNS`, one row per image with a report.
        rejects: every report row and image file not matched, with its reason.
        reports: the institution's valid report rows (matched or not).
        images: every recognised image file (matched or not).
        n_report_rows: data records in the report file.
        n_images: files found under the images folder.
    """

    institution_id: str
    dialect: Dialect
    matched: pd.DataFrame
    rejects: pd.DataFrame
    reports: pd.DataFrame = field(repr=False)
    images: pd.DataFrame = field(repr=False)
    n_report_rows: int = 0
    n_images: int = 0


def _is_empty(folder: Path) -> bool:
    return not any(p.is_file() for p in folder.rglob("*"))


def read_institution(root: Path, institution_id: str, dialect: Dialect) -> InstitutionArchive:
    """Read one institution: its reports, its images, and pair them.

    An institution folder without any file gives empty tables and a warning. A
    missing reports file gives one ``missing_reports_file`` reject and every image
    becomes an ``orphan_image``.
    """
    folder = Path(root) / institution_id
    if _is_empty(folder):
        logger.warning("%s: institution folder is empty", folder)
        table = ReportTable(institution_id, *_empty_tables())
        images = ImageTable(
            institution_id, pd.DataFrame(columns=list(IMAGE_COLUMNS)), table.rejects
        )
    else:
        table = read_reports(root, institution_id, dialect)
        report_file = PurePosixPath(institution_id, dialect.reports.file).as_posix()
        images = list_images(root, institution_id, dialect, exclude={report_file})
    matched, pairing_rejects = match_images(table.reports, images.images, table.rejected_exams)
    rejects = pd.concat([table.rejects, images.rejects, pairing_rejects], ignore_index=True).astype(
        object
    )
    logger.info(
        "%s: %d report rows, %d image files, %d matched images, %d rejects",
        institution_id,
        table.n_rows,
        images.n_files,
        len(matched),
        len(rejects),
    )
    return InstitutionArchive(
        institution_id=institution_id,
        dialect=dialect,
        matched=matched,
        rejects=rejects,
        reports=table.reports,
        images=images.images,
        n_report_rows=table.n_rows,
        n_images=images.n_files,
    )


def _empty_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    reports = pd.DataFrame({c: pd.Series(dtype=object) for c in REPORT_COLUMNS})
    rejects = pd.DataFrame({c: pd.Series(dtype=object) for c in REJECT_COLUMNS})
    return reports, rejects


def _misfit(root: Path, institution_id: str, dialect: Dialect) -> str | None:
    """Why a folder does not look exported in ``dialect``, or None when it does."""
    folder = Path(root) / institution_id
    if not (folder / dialect.reports.file).is_file():
        return f"no reports file {dialect.reports.file}"
    if not names_any_image(root, institution_id, dialect):
        return f"no file under {dialect.images.dir}/ named as its pattern says"
    return None


def _actual_case(folder: Path, rel: str) -> str:
    """``rel`` with each part spelled as on disk when only its case differs (``Images``
    for ``images``, ``Reports.CSV`` for ``reports.csv``); unchanged when not unique."""
    parts = PurePosixPath(rel).parts
    current, out = folder, []
    for part in parts:
        if (current / part).exists() or not current.is_dir():
            name = part
        else:
            same = [e.name for e in current.iterdir() if e.name.casefold() == part.casefold()]
            name = same[0] if len(same) == 1 else part
        out.append(name)
        current = current / name
    return PurePosixPath(*out).as_posix() if out else rel


def _as_on_disk(root: Path, institution_id: str, dialect: Dialect) -> Dialect:
    """The dialect with its reports file and images folder spelled as on disk."""
    folder = Path(root) / institution_id
    file = _actual_case(folder, dialect.reports.file)
    directory = _actual_case(folder, dialect.images.dir)
    if (file, directory) == (dialect.reports.file, dialect.images.dir):
        return dialect
    logger.warning(
        "%s: reading %s and %s/ (the dialect says %s and %s/; only the case differs)",
        institution_id, file, directory, dialect.reports.file, dialect.images.dir,
    )  # fmt: skip
    return dialect.model_copy(
        update={
            "reports": dialect.reports.model_copy(update={"file": file}),
            "images": dialect.images.model_copy(update={"dir": directory}),
        }
    )


def resolve_dialect(root: Path, institution_id: str, declared: Dialect) -> Dialect:
    """The dialect to read a folder with: the declared one, or the canonical one when the
    folder plainly is canonical; file and folder names spelled as on disk.

    ``institutions.yml`` may declare a dialect for a folder that does not use it: the
    shipped file describes the demo archive, whose ids (``H002`` …) another archive may
    reuse. When the declared dialect misses its reports file or cannot name a single
    photo, and the canonical dialect finds both, the folder is read as canonical, with a
    warning naming the institution and what did not fit.
    """
    if declared == CANONICAL_DIALECT:
        return _as_on_disk(root, institution_id, declared)
    declared = _as_on_disk(root, institution_id, declared)
    why = _misfit(root, institution_id, declared)
    if why is None:
        return declared
    canonical = _as_on_disk(root, institution_id, CANONICAL_DIALECT)
    if _misfit(root, institution_id, canonical) is not None:
        return declared
    logger.warning(
        "%s: the dialect declared in institutions.yml does not fit this folder (%s), but the "
        "canonical layout does (reports.csv, images/<exam_id>_<eye>.<ext>): read as canonical. "
        "Remove or correct its entry in conf/base/institutions.yml.",
        institution_id,
        why,
    )
    return canonical


def iter_institutions(
    root: Path, dialects: dict[str, Dialect], institutions: list[str] | None = None
) -> Iterator[InstitutionArchive]:
    """Yield each institution's :class:`InstitutionArchive`, one at a time.

    Args:
        root: the archive root (``data/01_raw/archive``).
        dialects: from :func:`~revision_pipeline.archive.config.load_dialects`;
            institutions absent from it use the canonical dialect.
        institutions: restrict to these ids (default: every folder discovered).
    """
    found = discover_institutions(root)
    for declared in sorted(set(dialects) - set(found)):
        logger.warning("%s: dialect declared but no folder %s/%s", declared, root, declared)
    if institutions is not None:
        unknown = sorted(set(institutions) - set(found))
        if unknown:
            raise FileNotFoundError(f"{root}: no institution folder(s) {unknown}")
        found = [i for i in found if i in set(institutions)]
    for institution_id in found:
        dialect = resolve_dialect(root, institution_id, dialect_for(institution_id, dialects))
        yield read_institution(root, institution_id, dialect)
