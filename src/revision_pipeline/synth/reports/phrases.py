"""The phrase bank of the synthetic reports, and the fixed word lists the writer draws from.

``data/report_phrases.yml`` holds the clinical phrases; every diagnosis in it is checked
once per process to contain a ``text/data/findings.yml`` term of its code, and no other's.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any

import opencc
import yaml

_PHRASES_PATH = Path(__file__).parents[1] / "data" / "report_phrases.yml"
_FINDINGS_PATH = Path(__file__).parents[2] / "text" / "data" / "findings.yml"

#: Template families a style can use.
FAMILIES: tuple[str, ...] = (
    "structured",  # 右眼：…  左眼：…  诊断：…
    "abbrev",  # OD: … OS: … Impression: …
    "ou_narrative",  # one paragraph, 双眼… when both eyes agree
    "two_section",  # 眼底所见：… 诊断意见：…
    "screening",  # DR筛查：右眼DR2期，左眼未见异常
    "history",  # 患者糖尿病史10年，… 诊断：1. … 2. …
    "pacs",  # 【检查所见】… 【检查结论】…
)
REGIONS = ("disc", "vessels", "retina", "macula")
_ABBREVIATIONS = (("微血管瘤", "MA"), ("硬性渗出", "HE"), ("棉絮斑", "CWS"), ("新生血管", "NV"))
_TYPOS = (
    ("走行", "走形"),
    ("迂曲", "纡曲"),
    ("反光", "返光"),
    ("清晰", "清淅"),
    ("色泽", "色择"),
    ("建议", "建意"),
    ("复查", "复察"),
    ("随诊", "随珍"),
    ("散在", "散再"),
    ("淡红", "淡洪"),
)
_EXAM_TYPES = (
    "免散瞳眼底彩色照相",
    "眼底照相（双眼）",
    "彩色眼底照相",
    "眼底检查",
    "糖网筛查（眼底照相）",
)
_STAFF_ROLES = (
    ("报告医生",),
    ("检查医生", "审核医生"),
    ("报告医师", "审核医师"),
    ("检查者",),
    ("医师签名",),
    ("阅片医生", "复核医生"),
)
_COMPLAINTS = (
    "双眼视物模糊{n}月",
    "无明显不适，行眼底筛查",
    "右眼视力下降{n}周",
    "体检",
    "糖尿病眼底筛查",
)


@functools.cache
def _phrases() -> dict[str, Any]:
    """The phrase bank, checked against findings.yml once per process."""
    bank = yaml.safe_load(_PHRASES_PATH.read_text(encoding="utf-8"))
    findings = yaml.safe_load(_FINDINGS_PATH.read_text(encoding="utf-8"))["findings"]
    terms = {code: sorted(v["terms"], key=len, reverse=True) for code, v in findings.items()}
    for code, variants in bank["diagnosis"].items():
        for key, entries in variants.items():
            for entry in entries:
                _check_dx(entry, code, terms, f"{_PHRASES_PATH.name}: diagnosis.{code}.{key}")
    bank["_terms"] = terms
    return bank


def _check_dx(entry: str, code: str, terms: dict[str, list[str]], where: str) -> None:
    rest = entry.upper()
    if not any(t in rest for t in terms[code]):
        raise ValueError(f"{where}: {entry!r} contains no findings.yml term of {code!r}")
    for t in terms[code]:
        rest = rest.replace(t, "\x00")
    other = [c for c, ts in terms.items() if c != code and any(t in rest for t in ts)]
    if other:
        raise ValueError(f"{where}: {entry!r} also names {other}")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@functools.lru_cache(maxsize=1 << 16)
def _traditional(text: str) -> str:
    return _converter().convert(text)


def _pick(r: random.Random, seq: Any) -> Any:
    return seq[int(r.random() * len(seq))]
