"""The sections of a report (header, contacts, findings, diagnosis, advice, history,
footer) and, per template family, the order they are written in: a registry of family
writers (:data:`FAMILY_WRITERS`, :func:`register_family`), as timm registers models."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from revision_pipeline.synth import identity
from revision_pipeline.synth.identity import Person
from revision_pipeline.synth.reports.phrases import _COMPLAINTS, _phrases, _pick
from revision_pipeline.synth.reports.style import format_date
from revision_pipeline.synth.reports.writer import _tier, _Writer
from revision_pipeline.synth.spec import EyeState


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


#: Template family -> the function writing a report's body in that family (all but the
#: footer). A new family is one decorated function and a name in ``FAMILIES``.
FAMILY_WRITERS: dict[str, Callable[[_Writer, _Ctx], None]] = {}


def register_family(*families: str) -> Callable[[Callable], Callable]:
    """Register the decorated function as the body writer of ``families``."""

    def register(write: Callable[[_Writer, _Ctx], None]) -> Callable[[_Writer, _Ctx], None]:
        for family in families:
            if family in FAMILY_WRITERS:
                raise ValueError(f"report family {family!r} is registered twice")
            FAMILY_WRITERS[family] = write
        return write

    return register


@register_family("structured")
def _structured(w: _Writer, ctx: _Ctx) -> None:
    st, r = w.style, w.r
    _header(w, ctx)
    _contacts(w, ctx)
    if r.random() < 0.6:
        w.add(f"检查项目：{st.exam_type}")
        w.newline()
    _describe_eyes(w, ctx, "", lines=True)
    w.newline()
    w.add(f"{st.dx_label}：")
    _diagnosis(w, ctx, st.numbered)
    _advice(w, ctx)


@register_family("abbrev")
def _abbrev(w: _Writer, ctx: _Ctx) -> None:
    _header(w, ctx)
    _contacts(w, ctx)
    _describe_eyes(w, ctx, "", lines=True, end="")
    w.newline()
    w.add(_pick(w.r, ("Impression: ", "Dx: ", "印象：", "诊断：")))
    _diagnosis(w, ctx, False)


@register_family("two_section", "pacs")
def _sectioned(w: _Writer, ctx: _Ctx) -> None:
    st = w.style
    pacs = st.family == "pacs"
    _header(w, ctx)
    _contacts(w, ctx)
    w.add(f"【{st.findings_label}】" if pacs else f"{st.findings_label}：")
    w.newline()
    _describe_eyes(w, ctx, "", lines=True)
    w.newline()
    w.add(f"【{st.dx_label}】" if pacs else f"{st.dx_label}：")
    w.newline()
    _diagnosis(w, ctx, True)
    _advice(w, ctx, "【建议】" if pacs else "建议：")


@register_family("screening")
def _screening(w: _Writer, ctx: _Ctx) -> None:
    r = w.r
    _header(w, ctx)
    dr = any(c.startswith("dr") for s in ctx.eyes for c in s.codes) or r.random() < 0.3
    w.add(_pick(r, ("DR筛查：", "糖网筛查结果：")) if dr else "眼底筛查结果：")
    _diagnosis(w, ctx, False, mode="screen")
    if r.random() < 0.4:
        w.newline()
        w.add(_pick(r, ("图像质量：合格", "图像质量：可评估", "AI辅助阅片，医生复核")))
    _advice(w, ctx)
    _contacts(w, ctx)


@register_family("ou_narrative", "history")
def _narrative(w: _Writer, ctx: _Ctx) -> None:
    st, r = w.style, w.r
    history = st.family == "history"
    _header(w, ctx, skip=("sex", "age") if history else ())
    if history:
        _history(w, ctx)
    elif (name := _honorific(w, ctx)) is not None:
        w.add("患者")
        w.add(name, "phi")
    w.add(f"{_pick(r, ('眼底照相示', '双眼眼底彩照示', '免散瞳眼底照相'))}：")
    _describe_eyes(w, ctx, "；", lines=False)
    if history:
        w.newline()
    w.add(f"{st.dx_label}：")
    _diagnosis(w, ctx, history and st.numbered)
    _advice(w, ctx)
    _contacts(w, ctx)


def render(w: _Writer, ctx: _Ctx) -> None:
    """Write one report: its family's body, then the footer."""
    FAMILY_WRITERS[w.style.family](w, ctx)
    _footer(w, ctx)
