"""Per-institution export dialects, read from ``conf/base/institutions.yml``.

The schema is the one documented in the header of that file (docs/contracts.md §3). Every
model forbids unknown keys, so a typo fails at start-up with an error that names the
file, the institution and the key.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from revision_pipeline.archive.laterality import STANDARD_EYE_TOKENS

logger = logging.getLogger(__name__)

#: Canonical report columns, in output order (docs/contracts.md §3).
CANONICAL_COLUMNS: tuple[str, ...] = (
    "exam_id",
    "patient_id",
    "patient_name",
    "id_number",
    "sex",
    "age",
    "exam_date",
    "report",
)
#: Columns without which a report table is unusable.
REQUIRED_COLUMNS: tuple[str, ...] = ("exam_id", "report")
#: Image file extensions accepted (lower case, without the dot).
IMAGE_EXTENSIONS: frozenset[str] = frozenset({"jpg", "jpeg", "png", "tif", "tiff", "bmp", "dcm"})
#: Institution folder names.
INSTITUTION_ID_RE = re.compile(r"[A-Za-z0-9_-]+")

CanonicalColumn = Literal[
    "exam_id", "patient_id", "patient_name", "id_number", "sex", "age", "exam_date", "report"
]
Encoding = Literal["auto", "utf-8", "utf-8-sig", "gb18030"]
_ENCODING_ALIASES = {
    "utf8": "utf-8",
    "utf_8": "utf-8",
    "utf8-sig": "utf-8-sig",
    "utf_8_sig": "utf-8-sig",
    "gbk": "gb18030",  # GB18030 is a superset of GBK and GB2312
    "gb2312": "gb18030",
    "cp936": "gb18030",
}


class DialectConfigError(ValueError):
    """An ``institutions.yml`` entry is invalid (message names file, institution, key)."""


def _relative_path(value: str, key: str) -> str:
    path = PurePosixPath(value.replace("\\", "/"))
    if not value.strip() or path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{key} must be a path inside the institution folder, got {value!r}")
    return path.as_posix()


class ReportsDialect(BaseModel):
    """How one institution exports its report table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = "reports.csv"
    #: ``None`` means: from the file's extension (.jsonl/.ndjson, .xlsx/.xlsm, else csv).
    format: Literal["csv", "jsonl", "excel"] | None = None
    encoding: Encoding = "auto"
    sheet: str | int | None = None
    columns: dict[str, CanonicalColumn] = Field(default_factory=dict)

    @field_validator("file")
    @classmethod
    def _check_file(cls, value: str) -> str:
        return _relative_path(value, "reports.file")

    @field_validator("encoding", mode="before")
    @classmethod
    def _alias_encoding(cls, value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower()
            return _ENCODING_ALIASES.get(key, key)
        return value

    @field_validator("columns", mode="before")
    @classmethod
    def _strip_column_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k).strip(): v for k, v in value.items()}
        return value

    @property
    def resolved_format(self) -> Literal["csv", "jsonl", "excel"]:
        """The declared format, or the one implied by the file extension."""
        if self.format is not None:
            return self.format
        suffix = PurePosixPath(self.file).suffix.lower()
        if suffix in {".jsonl", ".ndjson"}:
            return "jsonl"
        if suffix in {".xlsx", ".xlsm"}:
            return "excel"
        return "csv"


def _eye_alternation(extra: dict[str, str]) -> str:
    tokens = set(STANDARD_EYE_TOKENS) | set(extra)
    return "|".join(re.escape(t) for t in sorted(tokens, key=lambda t: (-len(t), t)))


class ImagesDialect(BaseModel):
    """Where one institution puts its photos and how it names them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dir: str = "images"
    #: ``None`` means the canonical ``[<subdirs>/]<exam_id>_<eye>[_<seq>].<ext>``.
    pattern: str | None = None
    eye_tokens: dict[str, Literal["OD", "OS"]] = Field(default_factory=dict)

    @field_validator("dir")
    @classmethod
    def _check_dir(cls, value: str) -> str:
        return _relative_path(value, "images.dir")

    @field_validator("pattern")
    @classmethod
    def _check_pattern(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        if "exam_id" not in compiled.groupindex:
            raise ValueError(f"pattern {value!r} has no named group (?P<exam_id>...)")
        return value

    def compiled_pattern(self) -> re.Pattern[str]:
        """The regular expression to ``fullmatch`` against paths relative to ``dir``.

        The canonical pattern is case-insensitive; its exam id group is lazy so that exam
        ids may themselves contain ``_`` or ``-`` (``A_1_OD_2.jpg`` → exam ``A_1``).
        """
        if self.pattern is not None:
            return re.compile(self.pattern)
        eyes = _eye_alternation(self.eye_tokens)
        return re.compile(
            rf"(?:[^/]+/)*(?P<exam_id>[^/]+?)_(?P<eye>{eyes})(?:_(?P<seq>\d+))?"
            rf"\.(?P<ext>[A-Za-z0-9]+)",
            re.IGNORECASE,
        )


class Dialect(BaseModel):
    """The export dialect of one institution; every key optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reports: ReportsDialect = Field(default_factory=ReportsDialect)
    images: ImagesDialect = Field(default_factory=ImagesDialect)


#: The dialect of an institution absent from ``institutions.yml``.
CANONICAL_DIALECT = Dialect()


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"]) or "<entry>"
    if error["type"] == "extra_forbidden":
        return key, "unknown option"
    message = str(error["msg"]).removeprefix("Value error, ")
    return key, message


def load_dialects(path: Path) -> dict[str, Dialect]:
    """Read and validate every institution's dialect from a YAML file.

    Args:
        path: ``institutions.yml``; a missing or empty file means no declared dialects.

    Returns:
        Institution id → validated dialect.

    Raises:
        DialectConfigError: naming the file, the institution and the offending key.
    """
    path = Path(path)
    if not path.exists():
        logger.warning("%s not found: every institution uses the canonical dialect", path)
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DialectConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_dialects(raw, str(path))


def parse_dialects(raw: Any, where: str) -> dict[str, Dialect]:
    """Validate an already-read ``institutions.yml`` mapping (e.g. Kedro's merged config).

    Args:
        raw: institution id -> dialect entry (None or empty: no declared dialects).
        where: the file(s) it came from, for error messages.

    Raises:
        DialectConfigError: naming ``where``, the institution and the offending key.
    """
    path = where
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DialectConfigError(f"{path}: expected a mapping of institution ids to dialects")
    dialects: dict[str, Dialect] = {}
    for institution, entry in raw.items():
        name = str(institution)
        if not INSTITUTION_ID_RE.fullmatch(name):
            raise DialectConfigError(
                f"{path}: institution {name!r}: not a valid institution id ([A-Za-z0-9_-]+)"
            )
        try:
            dialects[name] = Dialect.model_validate(entry or {})
        except ValidationError as exc:
            problems = "; ".join(f"key {k!r}: {m}" for k, m in map(_describe, exc.errors()))
            raise DialectConfigError(f"{path}: institution {name!r}: {problems}") from exc
    return dialects


def dialect_for(institution_id: str, dialects: dict[str, Dialect]) -> Dialect:
    """The declared dialect of an institution, or the canonical one when absent."""
    return dialects.get(institution_id, CANONICAL_DIALECT)
