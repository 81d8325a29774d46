"""Synthetic Chinese fundus-photography reports, with planted PHI.

Each institution gets a ``ReportStyle`` (template family, punctuation, abbreviations,
traditional characters, typos, how much PHI it writes); ``write_report`` turns two
``EyeState`` objects into one report and returns every PHI string it planted, verbatim.

Conventions that finding extraction can rely on:

- Every eye's diagnosis is stated with a term of its codes from
  ``text/data/findings.yml`` (possibly abbreviated, full-width, traditional), never with
  uncertain wording. "双眼"/"OU" diagnoses apply to both eyes.
- Terms of findings an eye does NOT have are only ever written negated (未见…, 无…) or
  as *uncertain* mentions (可疑青光眼, 青光眼待排, 排除青光眼). **Uncertain mentions are
  not positive labels**: they are written only for findings absent from both eyes, rarely.
- Typos (homophones, doubled punctuation, stray spaces) never touch diagnoses, negation
  words or PHI.

PHI planted (when the style writes it): patient, relative and staff names, 王先生-style
mentions, record, bed and device numbers, exact dates, phone numbers, addresses, ID
numbers, e-mail and WeChat handles, and ages over 89 (written as e.g. ``92岁``).
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import opencc
import yaml

from revision_pipeline.synth import identity
from revision_pipeline.synth.identity import Person
from revision_pipeline.synth.spec import FINDINGS, EyeState

_PHRASES_PATH = Path(__file__).with_name("data") / "report_phrases.yml"
_FINDINGS_PATH = Path(__file__).parents[1] / "text" / "data" / "findings.yml"

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
_HALF_PUNCT = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "（": "(", "）": ")"})
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789"})
_UPPER_RUN = re.compile(r"[A-Z]{2,}")
_CN_DIGITS = "〇一二三四五六七八九"
_DATE_FORMATS = ("iso", "slash", "dot", "cn", "cn_upper", "compact")
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

Segment = tuple[str, str]  # (text, kind) with kind "t" (text), "dx" (diagnosis), "phi"


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


def _pick(r: random.Random, seq: Any) -> Any:
    return seq[int(r.random() * len(seq))]


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


def _tier(code: str, severity: float) -> str:
    if code.startswith("dr") or code == "normal":
        return "any"
    return "mild" if severity < 0.4 else ("moderate" if severity <= 0.7 else "severe")


def _validate(eyes: tuple[EyeState, EyeState]) -> None:
    if len(eyes) != 2 or eyes[0].eye != "OD" or eyes[1].eye != "OS":
        raise ValueError("eyes must be (OD, OS) EyeState objects, OD first")
    for st in eyes:
        unknown = [c for c in st.codes if c not in FINDINGS]
        if not st.codes or unknown:
            raise ValueError(f"{st.eye}: codes {st.codes!r} must be non-empty, from FINDINGS")
        if "normal" in st.codes and len(st.codes) > 1:
            raise ValueError(f"{st.eye}: 'normal' cannot be combined with {st.codes!r}")
        if sum(c.startswith("dr") for c in st.codes) > 1:
            raise ValueError(f"{st.eye}: more than one DR grade in {st.codes!r}")


class _Writer:
    """Builds one report as lines of segments; ``finish`` applies the style's noise."""

    def __init__(self, style: ReportStyle, r: random.Random, phi: bool) -> None:
        self.style, self.r, self.phi = style, r, phi
        self.lines: list[list[Segment]] = [[]]
        self.cd_word = "C/D" if r.random() < 0.5 + style.abbrev_prob / 2 else "杯盘比"

    def add(self, text: str, kind: str = "t") -> None:
        if text:
            self.lines[-1].append((text, kind))

    def newline(self) -> None:
        if self.lines[-1]:
            self.lines.append([])

    def field(self, label: str, value: str, kind: str, sep: str = "：") -> None:
        self.add(f"{label}{sep}")
        self.add(value, kind)

    # --- clinical text -------------------------------------------------------------
    def describe(self, st: EyeState) -> str:
        """Sign phrases for one eye (regions without findings get baseline phrases)."""
        bank, r = _phrases(), self.r
        items: list[tuple[int, str]] = []
        covered: set[str] = set()
        for code in st.codes:
            if code == "normal":
                continue
            text, _, cov = _pick(r, bank["signs"][code][_tier(code, st.severity)]).partition("|")
            regions = cov.split(",") if cov else bank["covers"][code]
            covered.update(regions)
            items.append((REGIONS.index(regions[0]), text))
            if code in bank["negations"] and r.random() < 0.4:
                items.append((REGIONS.index("retina") + 0.5, _pick(r, bank["negations"][code])))
        normal = st.codes == ("normal",)
        for i, region in enumerate(REGIONS):
            if region not in covered and (r.random() < self.style.detail or (normal and i == 2)):
                items.append((i, _pick(r, bank["baseline"][region])))
        items.sort(key=lambda it: it[0])
        cd_value = max(st.cup_disc, 0.6) if "glaucoma" in st.codes else st.cup_disc
        text = "，".join(t for _, t in items)
        text = text.replace("{CD}", self.cd_word).replace("{cd}", f"{cd_value:.1f}")
        return self._abbreviate(text)

    def _abbreviate(self, text: str) -> str:
        for full, short in _ABBREVIATIONS:
            if full in text and self.r.random() < self.style.abbrev_prob:
                text = text.replace(full, short)
        return text

    def diagnoses(self, st: EyeState, mode: str = "zh") -> list[str]:
        """One diagnosis per code, each containing a findings.yml term."""
        bank, r = _phrases(), self.r
        out = []
        for code in st.codes:
            variants = bank["diagnosis"][code]
            key = mode if mode == "screen" or r.random() >= self.style.abbrev_prob else "abbr"
            if _tier(code, st.severity) == "severe" and f"{key}_severe" in variants:
                key = f"{key}_severe"
            out.append(_pick(r, variants[key]))
        return out

    # --- finishing -----------------------------------------------------------------
    def finish(self) -> tuple[str, tuple[str, ...]]:
        style, r = self.style, self.r
        lines = [line for line in self.lines if line]
        if r.random() < style.typo_prob:
            for _ in range(1 + (r.random() < 0.3)):
                self._typo(lines)
        full_width = r.random() < style.fullwidth_prob
        out_lines = []
        for line in lines:
            half = style.punctuation == "half" or (
                style.punctuation == "mixed" and r.random() < 0.5
            )
            trad = style.traditional_prob > 0 and r.random() < style.traditional_prob
            if not (half or full_width or trad):
                out_lines.append(line)
                continue
            new = []
            for text, kind in line:
                if kind != "phi":
                    text = text.translate(_HALF_PUNCT) if half else text
                    text = _full_width(text) if full_width else text
                new.append((_traditional(text) if trad else text, kind))
            out_lines.append(new)
        return _assemble(out_lines)

    def _typo(self, lines: list[list[Segment]]) -> None:
        r = self.r
        spots = [
            (i, j) for i, line in enumerate(lines) for j, (_, k) in enumerate(line) if k == "t"
        ]
        if not spots:
            return
        i, j = _pick(r, spots)
        text = lines[i][j][0]
        kind = r.random()
        if kind < 0.5:
            pairs = [p for p in _TYPOS if p[0] in text]
            if pairs:
                a, b = _pick(r, pairs)
                text = text.replace(a, b, 1)
        else:
            marks = [m.end() for m in re.finditer(r"[，。；：]", text)]
            if marks:
                k = _pick(r, marks)
                text = text[:k] + (text[k - 1] if kind < 0.75 else " ") + text[k:]
        lines[i][j] = (text, "t")


def _full_width(text: str) -> str:
    text = _UPPER_RUN.sub(lambda m: m.group().translate(_LETTERS_FW), text)
    return text.translate(_FULL_WIDTH)


_LETTERS_FW = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})


def _assemble(lines: list[list[Segment]]) -> tuple[str, tuple[str, ...]]:
    """Join segments; mask PHI values that also occur in the clinical text by chance."""
    phi = list(dict.fromkeys(t for line in lines for t, k in line if k == "phi"))
    if not phi:
        return "\n".join("".join(t for t, _ in line) for line in lines), ()
    masked = "\n".join("".join("\x00" if k == "phi" else t for t, k in line) for line in lines)
    clash = {p for p in phi if p in masked}
    if clash:
        lines = [[("***", "t") if k == "phi" and t in clash else (t, k) for t, k in line]
                 for line in lines]  # fmt: skip
        phi = [p for p in phi if p not in clash]
    text = "\n".join("".join(t for t, _ in line) for line in lines)
    return text, tuple(phi)


@dataclass(frozen=True)
class _Ctx:
    patient: Person
    doctor: str
    exam_date: date
    record_no: str
    eyes: tuple[EyeState, EyeState]
    age: int


def _merge(w: _Writer, ctx: _Ctx, for_text: bool) -> bool:
    od, os_ = ctx.eyes
    same = od.codes == os_.codes and all(
        _tier(c, od.severity) == _tier(c, os_.severity) for c in od.codes
    )
    if for_text:
        same = same and f"{od.cup_disc:.1f}" == f"{os_.cup_disc:.1f}"
    return w.style.merge_same and same


def _header(w: _Writer, ctx: _Ctx, skip: tuple[str, ...] = ()) -> None:
    st, r, p = w.style, w.r, ctx.patient
    values = {
        "name": (st.name_label, p.name, "phi"),
        "sex": ("性别", p.sex, "t"),
        "age": ("年龄", f"{ctx.age}岁", "phi" if ctx.age > 89 else "t"),
        "birth": ("出生日期", format_date(p.birth_date, st.date_format), "phi"),
        "record": (st.record_label, ctx.record_no, "phi"),
        "date": ("检查日期", format_date(ctx.exam_date, st.date_format), "phi"),
        "bed": ("床号", f"{r.randint(1, 60)}床", "phi"),
        "device": ("设备号", st.device_serial, "phi"),
    }
    written = 0
    for name in st.header_fields:
        label, value, kind = values[name]
        if name in skip:
            continue
        if kind == "phi" and not w.phi and name != "age":
            continue
        if written:
            w.add("  ") if st.header_inline else w.newline()
        w.field(label, value, kind)
        written += 1
    w.newline()


def _phone(r: random.Random, number: str) -> str:
    u = r.random()
    if u < 0.15:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    return f"{number[:3]} {number[3:7]} {number[7:]}" if u < 0.25 else number


def _contacts(w: _Writer, ctx: _Ctx) -> None:
    if not w.phi:
        return
    r, p = w.r, ctx.patient
    w.newline()
    for name in w.style.contact_fields:
        if r.random() < 0.15:
            continue
        if name == "phone":
            w.field(_pick(r, ("联系电话", "电话", "手机")), _phone(r, p.phone), "phi")
        elif name == "relative":
            w.add(f"家属（{p.relative_relation}")
            w.add(p.relative_name, "phi")
            w.add("）电话：")
            w.add(_phone(r, identity.make_mobile(np.random.default_rng(r.getrandbits(64)))), "phi")
        elif name == "address":
            w.field(_pick(r, ("住址", "家庭住址", "地址")), p.address, "phi")
        elif name == "id":
            pid = p.id_number
            pid = f"{pid[:6]} {pid[6:14]} {pid[14:]}" if r.random() < 0.25 else pid
            w.field(_pick(r, ("身份证号", "身份证", "证件号")), pid, "phi")
        elif name == "email":
            w.field("邮箱", identity.make_email(np.random.default_rng(r.getrandbits(64))), "phi")
        elif name == "wechat":
            w.field("微信", identity.make_wechat(np.random.default_rng(r.getrandbits(64))), "phi")
        else:
            continue
        w.newline()


def _footer(w: _Writer, ctx: _Ctx) -> None:
    st, r = w.style, w.r
    w.newline()
    if not w.phi:
        return
    names = (ctx.doctor, *st.staff)
    for i, role in enumerate(st.staff_roles):
        if i:
            w.add("  ")
        w.field(role, names[i] if i == 0 else _pick(r, st.staff), "phi")
    if r.random() < 0.6:
        w.newline()
        stamp = format_date(ctx.exam_date, st.date_format)
        if r.random() < 0.3:
            stamp += f" {r.randint(8, 17):02d}:{r.randint(0, 59):02d}"
        w.field(_pick(r, ("报告日期", "报告时间", "日期")), stamp, "phi")
    if "landline" in st.contact_fields:
        w.newline()
        w.field(_pick(r, ("咨询电话", "科室电话")), st.landline, "phi")
    w.newline()


def _honorific(w: _Writer, ctx: _Ctx) -> str | None:
    if not w.phi or w.r.random() >= w.style.honorific_prob:
        return None
    p = ctx.patient
    if " " in p.name:
        return p.name
    return p.surname + ("先生" if p.sex == "男" else "女士")


def _describe_eyes(w: _Writer, ctx: _Ctx, sep: str, lines: bool, end: str = "。") -> None:
    right, left, both = w.style.eye_labels
    colon = "：" if lines or w.r.random() < 0.5 else ("" if right[0] > "~" else " ")
    if _merge(w, ctx, for_text=True):
        w.add(f"{both}{colon}{w.describe(ctx.eyes[0])}{end}")
        return
    for i, (label, st) in enumerate(zip((right, left), ctx.eyes, strict=True)):
        text = w.describe(st) or "".join(w.diagnoses(st))
        if i:
            w.newline() if lines else w.add(sep)
        w.add(f"{label}{colon}{text}")
        if lines or i:
            w.add(end)


def _diagnosis(w: _Writer, ctx: _Ctx, numbered: bool, mode: str = "zh") -> None:
    right, left, both = w.style.eye_labels
    if _merge(w, ctx, for_text=False):
        items = [(both, t) for t in w.diagnoses(ctx.eyes[0], mode)]
    else:
        items = [(lab, t) for lab, st in zip((right, left), ctx.eyes, strict=True)
                 for t in w.diagnoses(st, mode)]  # fmt: skip
    colon = "：" if w.r.random() < 0.4 else ("" if right[0] > "~" else " ")
    dot, own_lines = _pick(w.r, (".", "、", ". ")), w.r.random() < 0.6
    for i, (label, term) in enumerate(items):
        if numbered:
            if i:
                w.newline() if own_lines else w.add(" ")
            w.add(f"{i + 1}{dot}{label}{colon}")
        else:
            same_eye = i and items[i - 1][0] == label
            w.add(("，" if same_eye else "；") if i else "")
            w.add("" if same_eye else f"{label}{colon}")
        w.add(term, "dx")
    w.add("" if numbered else "。")
    _uncertain(w, ctx)


def _uncertain(w: _Writer, ctx: _Ctx) -> None:
    codes = {c for st in ctx.eyes for c in st.codes}
    if w.r.random() >= w.style.uncertain_prob:
        return
    absent = [c for c in _phrases()["uncertain"] if c not in codes]
    if absent:
        phrase = _pick(w.r, _phrases()["uncertain"][_pick(w.r, absent)])
        w.newline()
        w.add(phrase.replace("{CD}", w.cd_word) + "。")


def _advice(w: _Writer, ctx: _Ctx, label: str = "建议：") -> None:
    bank, r = _phrases()["advice"], w.r
    codes = {c for st in ctx.eyes for c in st.codes}
    keys = [c for c in bank if c in codes and c != "normal"]
    if any(c in codes for c in ("dr3", "dr4")):
        keys.append("dr_severe")
    elif any(c.startswith("dr") for c in codes):
        keys.append("dr")
    if r.random() < 0.2:
        return
    chosen = [_pick(r, bank[k]) for k in keys[-2:]] or [_pick(r, bank["normal"])]
    w.newline()
    w.add(label + "；".join(chosen).replace("{n}", str(_pick(r, (3, 6, 12)))) + "。")


def _history(w: _Writer, ctx: _Ctx) -> None:
    r = w.r
    codes = {c for st in ctx.eyes for c in st.codes}
    w.add("患者")
    name = _honorific(w, ctx)
    w.add(name, "phi") if name else w.add(ctx.patient.sex)
    w.add("，")
    w.add(f"{ctx.age}岁", "phi" if ctx.age > 89 else "t")
    facts = []
    if any(c.startswith("dr") for c in codes) or r.random() < 0.35:
        kind, control = _pick(r, ("糖尿病史", "2型糖尿病")), _pick(r, ("欠佳", "尚可", "不详"))
        facts.append(f"{kind}{r.randint(1, max(1, min(25, ctx.age - 12)))}年，血糖控制{control}")
    if "hypertensive_retinopathy" in codes or r.random() < 0.25:
        facts.append(f"高血压病史{r.randint(1, max(1, min(30, ctx.age - 20)))}年")
    if "pathologic_myopia" in codes:
        facts.append(_pick(r, ("自幼高度近视", "高度近视二十余年", "近视-8.00D")))
    complaint = _pick(r, _COMPLAINTS).replace("{n}", str(r.randint(1, 8)))
    w.add("，" + "，".join([*facts, complaint]) + "。")
    w.newline()


def _render(w: _Writer, ctx: _Ctx) -> None:
    st, r = w.style, w.r
    fam = st.family
    if fam in ("structured", "two_section", "pacs", "abbrev"):
        _header(w, ctx)
        _contacts(w, ctx)
    if fam == "structured":
        if r.random() < 0.6:
            w.add(f"检查项目：{st.exam_type}")
            w.newline()
        _describe_eyes(w, ctx, "", lines=True)
        w.newline()
        w.add(f"{st.dx_label}：")
        _diagnosis(w, ctx, st.numbered)
        _advice(w, ctx)
    elif fam == "abbrev":
        _describe_eyes(w, ctx, "", lines=True, end="")
        w.newline()
        w.add(_pick(r, ("Impression: ", "Dx: ", "印象：", "诊断：")))
        _diagnosis(w, ctx, False)
    elif fam == "two_section" or fam == "pacs":
        w.add(f"【{st.findings_label}】" if fam == "pacs" else f"{st.findings_label}：")
        w.newline()
        _describe_eyes(w, ctx, "", lines=True)
        w.newline()
        w.add(f"【{st.dx_label}】" if fam == "pacs" else f"{st.dx_label}：")
        w.newline()
        _diagnosis(w, ctx, True)
        _advice(w, ctx, "【建议】" if fam == "pacs" else "建议：")
    elif fam == "screening":
        _header(w, ctx)
        dr = any(c.startswith("dr") for s in ctx.eyes for c in s.codes) or r.random() < 0.3
        w.add(_pick(r, ("DR筛查：", "糖网筛查结果：")) if dr else "眼底筛查结果：")
        _diagnosis(w, ctx, False, mode="screen")
        if r.random() < 0.4:
            w.newline()
            w.add(_pick(r, ("图像质量：合格", "图像质量：可评估", "AI辅助阅片，医生复核")))
        _advice(w, ctx)
        _contacts(w, ctx)
    else:  # ou_narrative, history
        _header(w, ctx, skip=("sex", "age") if fam == "history" else ())
        if fam == "history":
            _history(w, ctx)
        elif (name := _honorific(w, ctx)) is not None:
            w.add("患者")
            w.add(name, "phi")
        w.add(f"{_pick(r, ('眼底照相示', '双眼眼底彩照示', '免散瞳眼底照相'))}：")
        _describe_eyes(w, ctx, "；", lines=False)
        if fam == "history":
            w.newline()
        w.add(f"{st.dx_label}：")
        _diagnosis(w, ctx, fam == "history" and st.numbered)
        _advice(w, ctx)
        _contacts(w, ctx)
    _footer(w, ctx)


def write_report(
    style: ReportStyle,
    eyes: tuple[EyeState, EyeState],
    patient: Person,
    doctor: str,
    exam_date: date,
    record_no: str,
    rng: np.random.Generator,
) -> tuple[str, tuple[str, ...]]:
    """Write one exam's report in ``style``.

    Args:
        style: the institution's habits (``make_style``).
        eyes: what the right and the left eye have, OD first.
        patient: the examined person.
        doctor: the reporting doctor's name.
        exam_date: day of the exam.
        record_no: the institution's record number for the patient.
        rng: source of randomness (one draw is consumed).

    Returns:
        The report text, and every PHI string planted in it (each a substring of it).

    Raises:
        ValueError: if ``eyes`` is not (OD, OS) or holds unknown or contradictory codes.
    """
    _validate(eyes)
    r = random.Random(int(rng.integers(0, 2**63 - 1)))
    w = _Writer(style, r, phi=r.random() < style.phi_prob)
    _render(w, _Ctx(patient, doctor, exam_date, record_no, eyes, patient.age_on(exam_date)))
    return w.finish()
