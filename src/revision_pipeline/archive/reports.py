"""Read one institution's report table, in its dialect, into canonical columns.

Row numbers in ``source`` (``<institution>/<file>#<row>``) are 1-based *data* rows: the
header is not counted, so ``#1`` is the first record under the header (spreadsheet
row 2 of an Excel sheet, line 1 of a JSON Lines file). Blank records are skipped but
keep their number, so numbers always point at the record in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import math
import unicodedata
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from revision_pipeline.archive.config import CANONICAL_COLUMNS, REQUIRED_COLUMNS, Dialect
from revision_pipeline.archive.dates import parse_date
from revision_pipeline.archive.encoding import (
    EncodingDetectionError,
    decode_text,
    detect_encoding,
)

logger = logging.getLogger(__name__)

STAGE = "ingest"
#: Columns of every rejects table (docs/contracts.md §5).
REJECT_COLUMNS: tuple[str, ...] = ("institution_id", "source", "stage", "reason")
#: Columns of :attr:`ReportTable.reports`; ``exam_date_text`` is the date as written,
#: kept for the PHI audit (a date that does not parse is still an identifier).
REPORT_COLUMNS: tuple[str, ...] = ("institution_id", *CANONICAL_COLUMNS, "exam_date_text", "source")
_STRIP_CHARS = " \t\r\n\ufeff\u200b\u3000"

Record = tuple[int, dict[str, Any]]


class UnreadableFileError(ValueError):
    """The whole report file cannot be read (encoding, corrupt workbook, no header)."""


@dataclass
class ReportTable:
    """One institution's report rows in canonical columns, and the rows not kept.

    Attributes:
        institution_id: folder name of the institution.
        reports: :data:`REPORT_COLUMNS`; strings except ``exam_date`` (``date``/None);
            one row per exam id.
        rejects: :data:`REJECT_COLUMNS`.
        n_rows: data records read from the file (kept + rejected row by row).
        rejected_exams: exam key (:func:`exam_key`) → reason, for exams none of whose
            rows was kept (e.g. ``empty_report``); their images take this reason.
    """

    institution_id: str
    reports: pd.DataFrame
    rejects: pd.DataFrame
    n_rows: int = 0
    rejected_exams: dict[str, str] = field(default_factory=dict)


def make_rejects(institution_id: str, items: list[tuple[str, str]]) -> pd.DataFrame:
    """A rejects table from ``(source, reason)`` pairs."""
    rows = [(institution_id, source, STAGE, reason) for source, reason in items]
    return pd.DataFrame(rows, columns=list(REJECT_COLUMNS), dtype=object)


def exam_key(exam_id: str) -> str:
    """The form exam ids are compared in: NFKC, stripped, case-folded."""
    return unicodedata.normalize("NFKC", str(exam_id)).strip(_STRIP_CHARS).casefold()


def normalise_header(name: object) -> str:
    """A column header without surrounding whitespace, BOM or zero-width spaces."""
    return str(name if name is not None else "").strip(_STRIP_CHARS)


def cell_to_str(value: Any) -> str:
    """A cell as text: empty for None/NaN, integral floats without ``.0``, ISO dates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        is_midnight = value.time() == dt.time(0)
        return value.date().isoformat() if is_midnight else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _decode(path: Path, rel: str, encoding: str) -> str:
    data = path.read_bytes()
    if encoding == "auto":
        encoding = detect_encoding(data, rel)
    return decode_text(data, encoding, rel)


#: Field separators other than the comma that exports from other tools and locales use.
_OTHER_DELIMITERS: tuple[str, ...] = ("\t", ";", "|")


def csv_delimiter(text: str) -> str:
    """The field separator of a CSV export, read off its header row.

    The comma, unless the header splits into more fields on a tab, ``;`` or ``|`` (Excel
    in many locales writes ``;``; some systems export tab-separated ``.csv`` files).
    """
    first = next(iter(text.splitlines()), "")
    count = {d: len(next(csv.reader([first], delimiter=d))) for d in (",", *_OTHER_DELIMITERS)}
    best = ","
    for delimiter in _OTHER_DELIMITERS:
        if count[delimiter] > count[best]:
            best = delimiter
    return best


def _read_csv(text: str, rel: str) -> tuple[list[str], list[Record], list[tuple[str, str]]]:
    delimiter = csv_delimiter(text)
    if delimiter != ",":
        logger.info("%s: fields separated by %r, not commas", rel, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [normalise_header(h) for h in next(reader)]
    except StopIteration as exc:
        raise UnreadableFileError("no header row") from exc
    records: list[Record] = []
    rejects: list[tuple[str, str]] = []
    try:
        for row_number, row in enumerate(reader, start=1):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
                reason = f"malformed_row: {len(row)} fields, header has {len(header)}"
                rejects.append((f"{rel}#{row_number}", reason))
                continue
            values: dict[str, Any] = {}
            for name, cell in zip_longest(header, row[: len(header)], fillvalue=""):
                if not values.get(name):  # a repeated header: the first non-empty cell
                    values[name] = cell
            records.append((row_number, values))
    except csv.Error as exc:
        raise UnreadableFileError(f"CSV error after data row {len(records)}: {exc}") from exc
    return header, records, rejects


def _read_jsonl(text: str, rel: str) -> tuple[list[str], list[Record], list[tuple[str, str]]]:
    header: dict[str, None] = {}
    records: list[Record] = []
    rejects: list[tuple[str, str]] = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append((f"{rel}#{line_number}", f"malformed_json_line: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            reason = f"malformed_json_line: a {type(obj).__name__}, not an object"
            rejects.append((f"{rel}#{line_number}", reason))
            continue
        values = {normalise_header(k): v for k, v in obj.items()}
        header.update(dict.fromkeys(values))
        records.append((line_number, values))
    return list(header), records, rejects


def _read_excel(path: Path, sheet: str | int | None) -> tuple[list[str], list[Record]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike
        raise UnreadableFileError(f"not a readable .xlsx workbook ({exc})") from exc
    try:
        names = workbook.sheetnames
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise UnreadableFileError(f"no sheet index {sheet} (sheets: {names})")
            worksheet = workbook.worksheets[sheet]
        elif sheet is not None:
            if sheet not in names:
                raise UnreadableFileError(f"no sheet {sheet!r} (sheets: {names})")
            worksheet = workbook[sheet]
        else:
            worksheet = workbook.worksheets[0]
        rows = worksheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise UnreadableFileError("empty sheet, no header row")
        header = [normalise_header(h) for h in first]
        records: list[Record] = []
        for row_number, row in enumerate(rows, start=1):
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue
            values: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=False):
                if name and (name not in values or values[name] in (None, "")):
                    values[name] = cell
            records.append((row_number, values))
        return header, records
    finally:
        workbook.close()


def _read_records(
    path: Path, rel: str, dialect: Dialect
) -> tuple[list[str], list[Record], list[tuple[str, str]]]:
    fmt = dialect.reports.resolved_format
    if fmt == "excel":
        header, records = _read_excel(path, dialect.reports.sheet)
        return header, records, []
    text = _decode(path, rel, dialect.reports.encoding)
    return _read_jsonl(text, rel) if fmt == "jsonl" else _read_csv(text, rel)


def resolve_columns(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Canonical column → column of the file, after the dialect's mapping.

    Mapped names take precedence (first match in mapping order); a canonical name not
    mapped is then looked for among the file's headers, case-insensitively.
    """
    by_folded: dict[str, str] = {}
    for name in header:
        by_folded.setdefault(name.casefold(), name)
    resolved: dict[str, str] = {}
    for file_column, canonical in mapping.items():
        found = by_folded.get(normalise_header(file_column).casefold())
        if found is not None and canonical not in resolved:
            resolved[canonical] = found
    for canonical in CANONICAL_COLUMNS:
        if canonical not in resolved and canonical in by_folded:
            resolved[canonical] = by_folded[canonical]
    return resolved


def _canonical_row(values: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for canonical in CANONICAL_COLUMNS:
        raw = values.get(columns[canonical]) if canonical in columns else None
        if canonical == "exam_date":
            row[canonical] = parse_date(raw.strip() if isinstance(raw, str) else raw)
            row["exam_date_text"] = cell_to_str(raw).strip(_STRIP_CHARS)
        else:
            row[canonical] = cell_to_str(raw).strip(_STRIP_CHARS)
    return row


def _empty_reports() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REPORT_COLUMNS})


def _table(institution_id: str, rows: list[dict[str, Any]], rejects: list, n: int) -> ReportTable:
    reports = pd.DataFrame(rows, columns=list(REPORT_COLUMNS), dtype=object) if rows else None
    return ReportTable(
        institution_id,
        reports if reports is not None else _empty_reports(),
        make_rejects(institution_id, rejects),
        n,
    )


def read_reports(root: Path, institution_id: str, dialect: Dialect) -> ReportTable:
    """Read, validate and de-duplicate one institution's report rows.

    Rejects (stage ``ingest``): ``missing_reports_file``, ``unreadable_reports_file: <why>``
    and ``missing_column: <name>`` (one row for the file); ``malformed_row``,
    ``malformed_json_line``, ``missing_exam_id``, ``empty_report`` and
    ``duplicate_exam_row: kept <source> (identical|differs)`` (one row per record).
    Exam ids are compared with :func:`exam_key` (case-insensitive); the first valid row
    of an exam is kept.

    Args:
        root: the archive root (``data/01_raw/archive``).
        institution_id: the institution folder name.
        dialect: the institution's export dialect.
    """
    path = Path(root) / institution_id / dialect.reports.file
    rel = PurePosixPath(institution_id, dialect.reports.file).as_posix()
    if not path.is_file():
        logger.warning("%s: no reports file %s", institution_id, rel)
        return _table(institution_id, [], [(rel, "missing_reports_file")], 0)
    try:
        header, records, rejects = _read_records(path, rel, dialect)
    except (UnreadableFileError, EncodingDetectionError, OSError) as exc:
        why = str(exc).removeprefix(f"{rel}: ")
        logger.warning("%s: cannot read %s: %s", institution_id, rel, why)
        return _table(institution_id, [], [(rel, f"unreadable_reports_file: {why}")], 0)
    n_rows = len(records) + len(rejects)
    columns = resolve_columns(header, dialect.reports.columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        # not the header's cells: a file without a header row has patient data there
        logger.warning(
            "%s: %s lacks column(s) %s (its first row has %d cells; map its column names "
            "with reports.columns in conf/base/institutions.yml)",
            institution_id, rel, missing, len(header),
        )  # fmt: skip
        return _table(institution_id, [], [(rel, f"missing_column: {c}") for c in missing], n_rows)
    rows: list[dict[str, Any]] = []
    kept: dict[str, dict[str, Any]] = {}
    rejected: dict[str, str] = {}
    for row_number, values in records:
        row = _canonical_row(values, columns)
        source = f"{rel}#{row_number}"
        if not row["exam_id"]:
            rejects.append((source, "missing_exam_id"))
        elif not row["report"]:
            rejects.append((source, "empty_report"))
            rejected.setdefault(exam_key(row["exam_id"]), "empty_report")
        elif (key := exam_key(row["exam_id"])) in kept:
            first = kept[key]
            same = all(first[c] == row[c] for c in CANONICAL_COLUMNS)
            reason = (
                f"duplicate_exam_row: kept {first['source']} ({'identical' if same else 'differs'})"
            )
            rejects.append((source, reason))
        else:
            row.update(institution_id=institution_id, source=source)
            kept[key] = row
            rows.append(row)
    undated = sum(1 for r in rows if r["exam_date"] is None)
    if "exam_date" in columns and undated:
        logger.info("%s: %d of %d kept rows have no parseable exam_date", rel, undated, len(rows))
    rejects.sort(key=lambda item: _row_of(item[0]))
    table = _table(institution_id, rows, rejects, n_rows)
    table.rejected_exams = {k: v for k, v in rejected.items() if k not in kept}
    return table


def _row_of(source: str) -> int:
    _, _, number = source.rpartition("#")
    return int(number) if number.isdigit() else 0


def reason_code(reason: str) -> str:
    """The reason without its detail: ``"missing_column: report"`` → ``"missing_column"``."""
    return reason.split(":", 1)[0].strip()
