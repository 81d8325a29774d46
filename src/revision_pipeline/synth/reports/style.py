"""One institution's report-writing habits, sampled once per institution."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import numpy as np

from revision_pipeline.synth import identity
from revision_pipeline.synth.reports.phrases import _EXAM_TYPES, _STAFF_ROLES, FAMILIES, _pick

_CN_DIGITS = "〇一二三四五六七八九"
_DATE_FORMATS = ("iso", "slash", "dot", "cn", "cn_upper", "compact")


@dataclass(frozen=True)
class ReportStyle:
    """One institution's report-writing habits (see ``make_style``)."""

    family: str
    eye_labels: tuple[str, str, str]  # right, left, both
    punctuation: str  # "full", "half" or "mixed" (per line)
    fullwidth_prob: float  # per report: digits and Latin letters in full width
    abbrev_prob: float  # per occurrence: MA, HE, C/D, NPDR …
    traditional_prob: float  # per line: converted to traditional characters
    typo_prob: float  # per report: 1–2 harmless typos
    phi_prob: float  # per report: PHI header, contacts and signatures written
    header_fields: tuple[str, ...]
    contact_fields: tuple[str, ...]
    staff_roles: tuple[str, ...]
    header_inline: bool
    date_format: str
    name_label: str
    record_label: str
    exam_type: str
    findings_label: str
    dx_label: str
    merge_same: bool  # write 双眼 when both eyes agree
    numbered: bool  # 1. … 2. … diagnoses
    detail: float  # probability of describing a region without findings
    honorific_prob: float  # 患者王先生 …
    uncertain_prob: float
    staff: tuple[str, ...]
    device_serial: str
    landline: str


def make_style(rng: np.random.Generator) -> ReportStyle:
    """Sample one institution's writing habits."""
    r = random.Random(int(rng.integers(0, 2**63 - 1)))
    family = _pick(r, FAMILIES)
    if family == "abbrev":
        eye_labels = ("OD", "OS", "OU")
    else:
        eye_labels = _pick(
            r, (("右眼", "左眼", "双眼"),) * 5 + (("R", "L", "双眼"), ("OD", "OS", "OU"))
        )
    carries_phi = r.random() < 0.52
    header = ["sex", "age"] if r.random() < 0.6 else []
    if carries_phi:
        header = ["name", *header, "record", "date"]
        header += [f for f, p in (("birth", 0.1), ("bed", 0.12), ("device", 0.2)) if r.random() < p]
    contacts = (("phone", 0.35), ("relative", 0.2), ("address", 0.25), ("id", 0.25))
    contacts += (("email", 0.05), ("wechat", 0.05), ("landline", 0.1))
    staff_roles = _pick(r, _STAFF_ROLES)
    return ReportStyle(
        family=family,
        eye_labels=eye_labels,
        punctuation=_pick(r, ("full",) * 7 + ("half", "half", "mixed")),
        fullwidth_prob=_pick(r, (0.0,) * 8 + (0.3, 0.8)),
        abbrev_prob=0.85 if family == "abbrev" else _pick(r, (0.0, 0.1, 0.3, 0.6)),
        traditional_prob=_pick(r, (0.0,) * 16 + (0.1, 0.3, 0.95, 1.0)),
        typo_prob=_pick(r, (0.0, 0.05, 0.1, 0.2, 0.4)),
        phi_prob=r.uniform(0.75, 1.0) if carries_phi else 0.0,
        header_fields=tuple(header),
        contact_fields=tuple(f for f, p in contacts if carries_phi and r.random() < p),
        staff_roles=staff_roles if carries_phi and r.random() < 0.75 else (),
        header_inline=r.random() < 0.6,
        date_format=_pick(r, _DATE_FORMATS),
        name_label=_pick(r, ("姓名", "姓名", "患者姓名", "姓 名", "病人")),
        record_label=_pick(r, ("病历号", "门诊号", "住院号", "ID号", "登记号", "检查号")),
        exam_type=_pick(r, _EXAM_TYPES),
        findings_label=_pick(r, ("眼底所见", "检查所见", "影像所见", "眼底照相示")),
        dx_label=_pick(r, ("诊断", "诊断意见", "印象", "检查结论", "结论", "意见")),
        merge_same=r.random() < 0.7,
        numbered=r.random() < 0.5,
        detail=r.uniform(0.3, 1.0),
        honorific_prob=r.uniform(0.1, 0.5),
        uncertain_prob=_pick(r, (0.0, 0.0, 0.02, 0.05)),
        staff=tuple(identity.make_doctor_name(rng) for _ in range(3)),
        device_serial=f"{_pick(r, ('TRC-NW8', 'CR-2AF', 'VISUCAM', 'DRS'))}-"
        f"{r.randrange(10**6):06d}",
        landline=identity.make_landline(rng),
    )


def format_date(d: date, fmt: str) -> str:
    """A date as one institution writes it (iso, slash, dot, cn, compact, else 二〇二三年…)."""
    if fmt == "iso":
        return f"{d:%Y-%m-%d}"
    if fmt == "slash":
        return f"{d:%Y/%m/%d}"
    if fmt == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if fmt == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if fmt == "compact":
        return f"{d:%Y%m%d}"
    year = "".join(_CN_DIGITS[int(c)] for c in str(d.year))
    return f"{year}年{_cn_number(d.month)}月{_cn_number(d.day)}日"


def _cn_number(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + (_CN_DIGITS[ones] if ones else "")
