"""Exam-level work of curation: de-identify, normalise, and pair reports with photos.

Input rows come from ``archive`` (they hold PHI); output rows hold pseudonyms, the
scrubbed normalised report of the photo's eye and its finding codes — nothing else
about the patient.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from revision_pipeline.archive.reports import exam_key as archive_exam_key
from revision_pipeline.deid import pseudonymize, scrub
from revision_pipeline.text import process_report

logger = logging.getLogger(__name__)

_ID_RE = re.compile(r"^\d{17}[\dX]$")

#: Structured columns whose values are identifiers: removed from text, listed for the audit.
IDENTIFIER_COLUMNS: tuple[str, ...] = ("patient_name", "patient_id", "id_number", "exam_id")

#: Columns of the de-identified exam table (no PHI).
EXAM_COLUMNS: tuple[str, ...] = (
    "institution_id", "exam_key", "patient_pid", "exam_pid", "report",
    "report_od", "report_os", "labels", "labels_od", "labels_os",
)  # fmt: skip


def normalise_id_number(value: str) -> str:
    """A national ID without spaces, full-width digits or a lower-case x; '' when invalid."""
    text = unicodedata.normalize("NFKC", value or "").replace(" ", "").upper()
    return text if _ID_RE.match(text) else ""


def patient_key(institution_id: str, patient_id: str, id_number: str) -> str:
    """What identifies a person: the national ID across institutions, else the local id."""
    national = normalise_id_number(id_number)
    if national:
        return f"id:{national}"
    return f"local:{institution_id}:{(patient_id or '').strip()}"


def exam_key(institution_id: str, exam_id: str) -> str:
    """The key joining an exam's report to its photos: the reader's comparison form."""
    return f"{institution_id}:{archive_exam_key(exam_id)}"


def _known_identifiers(row: dict[str, object]) -> list[str]:
    values = []
    for column in IDENTIFIER_COLUMNS:
        value = str(row.get(column) or "").strip()
        if len(value) >= 2:
            values.append(value)
    national = normalise_id_number(str(row.get("id_number") or ""))
    if national:
        values.append(national)
    return values


def _merge_labels(od: list[str], os_: list[str]) -> list[str]:
    labels = sorted(set(od) | set(os_))
    return [c for c in labels if c != "normal"] or labels


def deidentify_exams(reports: pd.DataFrame, secret: bytes, progress: bool = True) -> pd.DataFrame:
    """One de-identified row per exam: pseudonyms, scrubbed per-eye text, finding codes.

    Args:
        reports: one row per exam with the canonical report columns and ``institution_id``.
        secret: the pseudonymisation key.
        progress: show a progress bar.

    Returns:
        :data:`EXAM_COLUMNS`; ``exam_key`` joins to the photos (it stays inside the
        pipeline and is dropped before anything crosses the PHI boundary).
    """
    rows = []
    records = reports.to_dict("records")
    for row in tqdm(records, desc="de-identifying reports", unit="report", disable=not progress):
        inst = str(row["institution_id"])
        person = patient_key(
            inst, str(row.get("patient_id") or ""), str(row.get("id_number") or "")
        )
        scrubbed = scrub(str(row.get("report") or ""), known=_known_identifiers(row))
        text = process_report(scrubbed)
        od, os_ = text["OD"], text["OS"]
        rows.append({
            "institution_id": inst,
            "exam_key": exam_key(inst, str(row["exam_id"])),
            "patient_pid": pseudonymize(secret, person, "patient"),
            "exam_pid": pseudonymize(secret, exam_key(inst, str(row["exam_id"])), "exam"),
            "report": text["text"],
            "report_od": od["text"],
            "report_os": os_["text"],
            "labels": _merge_labels(od["labels"], os_["labels"]),
            "labels_od": list(od["labels"]),
            "labels_os": list(os_["labels"]),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(EXAM_COLUMNS))


def identifiers_of(reports: pd.DataFrame) -> pd.DataFrame:
    """Every identifier the archive holds in its structured columns, for the PHI audit.

    Returns:
        ``kind, value`` rows (names, patient ids, national ids, exam ids, exam dates);
        this table holds PHI and stays inside ``02_intermediate``.
    """
    frames = []
    for column in IDENTIFIER_COLUMNS:
        if column in reports:
            values = reports[column].astype(str).str.strip()
            frames.append(pd.DataFrame({"kind": column, "value": values}))
    if "exam_date" in reports:  # the audit adds the usual spellings of each
        dates = reports["exam_date"].dropna()
        frames.append(pd.DataFrame({"kind": "exam_date", "value": dates.astype(str)}))
    if "exam_date_text" in reports:  # a date that did not parse, searched as written
        unparsed = reports["exam_date"].isna() if "exam_date" in reports else True
        raw = reports.loc[unparsed, "exam_date_text"].dropna().astype(str).str.strip()
        raw = raw[(raw.str.len() >= 6) & raw.str.contains(r"\d")]
        frames.append(pd.DataFrame({"kind": "exam_date", "value": raw}))
    table = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["kind", "value"])
    )
    table = table[table["value"].str.len() >= 2]
    return table.drop_duplicates().reset_index(drop=True)


_EMPTY_TEXT = re.compile(r"[\s\W_]*")


def says_nothing(report: str | None) -> bool:
    """Whether an eye's report text is empty (blank, or only punctuation).

    A report written about one eye ("右眼孔源性视网膜脱离。") leaves the other eye's text
    empty; that photo has nothing to be paired with.
    """
    return report is None or _EMPTY_TEXT.fullmatch(str(report)) is not None


def pair_rows(images: pd.DataFrame, exams: pd.DataFrame) -> pd.DataFrame:
    """Attach to every kept image its exam's pseudonyms and eye-specific report and labels.

    Args:
        images: kept images with ``institution_id, source, exam_key, eye, quality_score,
            crop_path, pair_id``.
        exams: from :func:`deidentify_exams`.

    Returns:
        One row per image; ``eye`` is ``OD``/``OS``/``unknown`` (an unknown eye gets the
        whole report and the union of both eyes' labels).
    """
    merged = images.merge(
        exams, on=["institution_id", "exam_key"], how="inner", validate="many_to_one"
    )
    od, os_ = merged["eye"].eq("OD"), merged["eye"].eq("OS")
    merged["report"] = (
        merged["report"].where(~od, merged["report_od"]).where(~os_, merged["report_os"])
    )
    merged["labels"] = [
        list(lod) if e == "OD" else list(los) if e == "OS" else list(lab)
        for e, lod, los, lab in zip(
            merged["eye"], merged["labels_od"], merged["labels_os"], merged["labels"], strict=True
        )
    ]
    return merged


def chunked(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """Consecutive slices of at most ``size`` rows."""
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def read_crops(paths: Iterable[str]) -> list[bytes]:
    """The JPEG bytes of cached crops."""
    return [Path(p).read_bytes() for p in paths]
