"""Export dialects the synthetic archive writes, and how each is declared.

Real institutions export their telemedicine data in many shapes. The demo archive
writes the canonical dialect of docs/contracts.md §3 for most institutions (with encodings,
column orders, eye tokens and file types varying freely, as the contract allows) and
one of the non-canonical dialects below for a few. Each non-canonical dialect carries
the entry that `conf/base/institutions.yml` must hold for it, so a test can check
that the configuration shipped with the project matches what the generator writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from revision_pipeline.archive.config import CANONICAL_COLUMNS

ImageNaming = Literal["canonical", "per_exam_folders", "dicom", "vendor"]


@dataclass(frozen=True)
class Dialect:
    """How one institution exports: report table shape and image file naming."""

    name: str
    reports_file: str = "reports.csv"
    reports_format: Literal["csv", "jsonl", "excel"] = "csv"
    encoding: str | None = None  # None: the generator picks one of the detectable ones
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header in the file
    images_dir: str = "images"
    image_naming: ImageNaming = "canonical"
    image_pattern: str | None = None
    eye_tokens: dict[str, str] = field(default_factory=dict)

    def header(self, canonical: str) -> str:
        """The column header this dialect uses for a canonical column."""
        return self.headers.get(canonical, canonical)

    def declaration(self) -> dict[str, Any]:
        """The `conf/base/institutions.yml` entry that describes this dialect."""
        entry: dict[str, Any] = {}
        if self.reports_format != "csv" or self.reports_file != "reports.csv" or self.headers:
            reports: dict[str, Any] = {"file": self.reports_file, "format": self.reports_format}
            if self.reports_format == "csv":
                reports["encoding"] = "auto"
            if self.reports_format == "excel":
                reports["sheet"] = 0
            if self.headers:
                reports["columns"] = {v: k for k, v in self.headers.items()}
            entry["reports"] = reports
        if self.image_pattern is not None:
            images: dict[str, Any] = {"dir": self.images_dir, "pattern": self.image_pattern}
            if self.eye_tokens:
                images["eye_tokens"] = dict(self.eye_tokens)
            entry["images"] = images
        return entry


def _headers(*names: str) -> dict[str, str]:
    return dict(zip(CANONICAL_COLUMNS, names, strict=True))


DIALECTS: dict[str, Dialect] = {
    "canonical": Dialect("canonical"),
    "gbk_csv_chinese_headers": Dialect(
        "gbk_csv_chinese_headers",
        reports_file="检查报告.csv",
        encoding="gb18030",
        headers=_headers(
            "检查号", "病历号", "姓名", "身份证号", "性别", "年龄", "检查日期", "诊断意见"
        ),
    ),
    "jsonl": Dialect(
        "jsonl",
        reports_file="export/reports.jsonl",
        reports_format="jsonl",
        encoding="utf-8",
        headers=_headers(
            "examNo", "mrn", "name", "idCard", "gender", "age", "studyDate", "conclusion"
        ),
    ),
    "excel": Dialect(
        "excel",
        reports_file="眼底筛查登记表.xlsx",
        reports_format="excel",
        headers=_headers(
            "检查编号", "患者ID", "患者姓名", "证件号码", "性别", "年龄(岁)", "拍摄日期", "报告内容"
        ),
    ),
    "per_exam_folders": Dialect(
        "per_exam_folders",
        image_naming="per_exam_folders",
        image_pattern=r"(?P<exam_id>[^/]+)/(?P<eye>[^/_.]+)(?:_(?P<seq>\d+))?\.(?P<ext>[A-Za-z]+)",
    ),
    "dicom": Dialect(
        "dicom",
        images_dir="dicom",
        image_naming="dicom",
        image_pattern=r"(?P<exam_id>[^/_]+)_(?P<seq>\d+)\.(?P<ext>dcm)",
    ),
    "vendor_file_names": Dialect(
        "vendor_file_names",
        image_naming="vendor",
        image_pattern=(
            r"(?P<patient_id>[^/_]+)_(?P<exam_id>[^/_]+)_(?P<eye>右眼|左眼)"
            r"(?:\((?P<seq>\d+)\))?\.(?P<ext>[A-Za-z]+)"
        ),
        eye_tokens={"右眼": "OD", "左眼": "OS"},
    ),
}
