"""Read a telemedicine archive in any declared export dialect (docs/contracts.md §3).

Kedro-free. Start with :func:`load_dialects` and :func:`iter_institutions`; the
pieces (:func:`read_reports`, :func:`list_images`, :func:`match_images`,
:func:`parse_date`, :func:`parse_eye`, :func:`detect_encoding`) are usable alone.
"""

from revision_pipeline.archive.config import (
    CANONICAL_COLUMNS,
    CANONICAL_DIALECT,
    Dialect,
    DialectConfigError,
    dialect_for,
    load_dialects,
)
from revision_pipeline.archive.dates import parse_date
from revision_pipeline.archive.encoding import EncodingDetectionError, detect_encoding
from revision_pipeline.archive.laterality import parse_eye
from revision_pipeline.archive.reader import (
    MATCHED_COLUMNS,
    ImageTable,
    InstitutionArchive,
    ReportTable,
    discover_institutions,
    iter_institutions,
    list_images,
    match_images,
    read_institution,
    read_reports,
)
from revision_pipeline.archive.reports import REJECT_COLUMNS, REPORT_COLUMNS, reason_code

__all__ = [
    "CANONICAL_COLUMNS",
    "CANONICAL_DIALECT",
    "MATCHED_COLUMNS",
    "REJECT_COLUMNS",
    "REPORT_COLUMNS",
    "Dialect",
    "DialectConfigError",
    "EncodingDetectionError",
    "ImageTable",
    "InstitutionArchive",
    "ReportTable",
    "detect_encoding",
    "dialect_for",
    "discover_institutions",
    "iter_institutions",
    "list_images",
    "load_dialects",
    "match_images",
    "parse_date",
    "parse_eye",
    "read_institution",
    "read_reports",
    "reason_code",
]
