"""Negation- and uncertainty-aware extraction of canonical finding codes.

Conventions (what a label means):

* A mention is **positive**, **negated** or **uncertain**. Negation cues (未见, 无, 没有,
  否认, 排除, 除外, 未发现, 不伴 …, or ``(-)``/阴性 after the term) and uncertainty cues
  (可疑, 疑似, 考虑, 待排, 不除外, 不排除, 可能, ``?`` …, before or after the term) act
  within their clause: the text between ``，。；：！？`` that is not cut by a contrast or a
  new observation (但, 然而, 可见, 伴, 合并, another eye). The cue nearest before the term
  wins; a cue right after the term (``青光眼待排``, ``青光眼？``) overrides it.
* Only positive mentions give a label. **Uncertain mentions count as absent**: a
  suspected finding is not a finding (the synthetic archive writes "可疑青光眼" only
  for eyes without glaucoma).
* Diabetic retinopathy is graded from the words around 糖尿病视网膜病变 (轻/中/重度
  非增殖期 → dr1/dr2/dr3, 增殖期 → dr4, stages 1–4 or I–IV; stages V–VI → dr4). Only the
  highest grade of a text is kept. An ungraded mention gives no DR code (the text is
  still abnormal, so it is not "normal" either).
* ``normal`` is returned when the text is non-empty and has no positive finding, no
  positive ungraded DR, no positive lesion sign (微血管瘤, 出血, …) and no positive
  diagnosis outside the label set (``other_findings``: 视网膜脱离, 黄斑裂孔, 视神经萎缩,
  …): silence and negated findings mean a healthy eye, as in the synthetic truth
  ("normal",). An explicit "未见明显异常" is not required. Empty text, and an abnormal
  eye with no labelled finding, give ``[]`` (nothing known).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from revision_pipeline.text.eyes import EYES, split_normalized
from revision_pipeline.text.normalize import Normalizer, get_normalizer, word_alternation

_DR_CORE = "糖尿病视网膜病变"
_SIGN = "_sign"
_OTHER = "_other"
_GRADES = {
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "5": 4,
    "6": 4,
    "I": 1,
    "II": 2,
    "III": 3,
    "IV": 4,
    "V": 4,
    "VI": 4,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 4,
    "六": 4,
}
_SEVERITY = {"轻": 1, "中": 2, "重": 3}
_NOT_A_FINDING = ("筛查", "筛检")

_NEG_CUES = (
    *("未见", "未发现", "未及", "未查见", "未见明确", "无", "没有", "否认"),
    *("排除", "除外", "不伴", "不伴有", "已排除"),
)
_UNC_CUES = (
    *("可疑", "疑似", "疑", "怀疑", "考虑", "待排", "待排除", "待查", "不除外", "不排除"),
    *("未排除", "不能排除", "可能", "倾向", "拟诊", "？"),
)
_POST_NEG_CUES = ("(-)", "阴性", "已排除", "排除", "除外")
_CUE_RE = re.compile(word_alternation(_NEG_CUES + _UNC_CUES))
_POST_RE = re.compile(
    r"[^，。；：！？]{0,6}?(?P<cue>\(-\)|阴性|已排除|排除|除外"
    r"|\(\?\)|？|待排除|待排|待查|不除外|不排除|可能|可疑)"
)
# Clause boundaries: sentence punctuation, or (zero-width) a contrast, a new observation
# or another eye, which end the scope of a negation or uncertainty cue.
_CUT_RE = re.compile(
    r"[，。；：！？]+|(?=[但然另可伴合并右左双])(?=但|然而|另见|可见|(?<!不)伴|合并|并见|右眼|左眼|双眼)"
)
_DR_BEFORE_RE = re.compile(
    r"(?:(?P<sev>轻|中|重)度?)?(?P<non>非)?(?P<pro>增殖前期|增殖期|增殖早期|高危增殖期)?$"
)
_DR_AFTER_RE = re.compile(
    r"^[(（]?(?:(?P<sev>轻|中|重)度|(?P<non>非)?(?P<pro>增殖期)"
    r"|(?P<roman>VI|V|IV|III|II|I)期?|(?P<num>[1-6一二三四五六])期)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """One dictionary term found in the text."""

    #: finding code; "_sign" a lesion word, "_other" an unlabelled diagnosis, "dr0" ungraded DR
    code: str
    term: str
    start: int
    status: str  # "positive" | "negated" | "uncertain"


def _status(clause: str, start: int, end: int) -> str:
    """Status of the term at clause[start:end] from the cues around it."""
    post = _POST_RE.match(clause, end)
    if post:
        return "negated" if post.group("cue") in _POST_NEG_CUES else "uncertain"
    cues = _CUE_RE.findall(clause, 0, start)
    if not cues:
        return "positive"
    return "uncertain" if cues[-1] in _UNC_CUES else "negated"


def _dr_grade(clause: str, start: int, end: int) -> int:
    """0 (ungraded) or 1..4 from the words around 糖尿病视网膜病变 at clause[start:end]."""
    before = _DR_BEFORE_RE.search(clause[max(0, start - 8) : start])
    after = _DR_AFTER_RE.match(clause[end : end + 10])
    sev = non = pro = None
    if before:
        sev, non, pro = before.group("sev"), before.group("non"), before.group("pro")
    if pro == "增殖前期":
        return 3
    if pro and not non:
        return 4
    if after:
        if after.group("roman"):
            return _GRADES[after.group("roman").upper()]
        if after.group("num"):
            return _GRADES[after.group("num")]
        if after.group("pro") and not after.group("non") and not non:
            return 4
        sev = sev or after.group("sev")
    return _SEVERITY.get(sev or "", 0)


class FindingExtractor:
    """Finds dictionary terms in canonical text and turns them into finding codes.

    Args:
        normalizer: The normaliser whose dictionary to use; the shared one when None.
    """

    def __init__(self, normalizer: Normalizer | None = None) -> None:
        self.normalizer = normalizer or get_normalizer()
        vocab = self.normalizer.vocab
        self.term_codes: dict[str, str] = dict(self.normalizer.term_to_code)
        for sign in vocab.signs:
            self.term_codes.setdefault(self.normalizer.normalize_term(sign), _SIGN)
        for other in vocab.other_findings:
            self.term_codes.setdefault(self.normalizer.normalize_term(other), _OTHER)
        # DR terms are graded from context, not from the term itself.
        dr_terms = [t for t, c in self.term_codes.items() if c.startswith("dr")]
        for term in dr_terms:
            del self.term_codes[term]
        self._term_re = re.compile(rf"{re.escape(_DR_CORE)}|{word_alternation(self.term_codes)}")

    def mentions(self, text: str) -> list[Mention]:
        """Every term mention of canonical `text` with its status, in text order."""
        matches = list(self._term_re.finditer(text))
        if not matches:
            return []
        cuts = [(m.start(), m.end()) for m in _CUT_RE.finditer(text)]
        cut_starts = [a for a, _ in cuts]
        cut_ends = [b for _, b in cuts]
        found: list[Mention] = []
        for m in matches:
            term, start, end = m.group(0), m.start(), m.end()
            if text.startswith(_NOT_A_FINDING, end):
                continue  # 糖尿病视网膜病变筛查: the exam, not a finding
            i = bisect_right(cut_ends, start) - 1
            begin = cut_ends[i] if i >= 0 else 0
            j = bisect_left(cut_starts, end)
            stop = cut_ends[j] if j < len(cuts) else len(text)
            clause = text[begin:stop]
            a, b = start - begin, end - begin
            code = f"dr{_dr_grade(clause, a, b)}" if term == _DR_CORE else self.term_codes[term]
            status = _status(clause, a, b)
            if code == "normal" and status == "negated":
                status = "positive"  # 未见明显异常 carries its own negation
            found.append(Mention(code, term, start, status))
        return found

    def extract_normalized(self, text: str) -> list[str]:
        """`extract_findings` for text already in canonical form."""
        if not text.strip():
            return []
        positive = {m.code for m in self.mentions(text) if m.status == "positive"}
        grades = [int(c[2:]) for c in positive if c.startswith("dr")]
        unlabelled = ("normal", _SIGN, _OTHER)
        codes = {c for c in positive if not c.startswith("dr") and c not in unlabelled}
        if grades and max(grades) > 0:
            codes.add(f"dr{max(grades)}")
        if codes:
            return sorted(codes)
        if _SIGN in positive or _OTHER in positive or grades:
            return []
        return ["normal"]

    def extract(self, text: str) -> list[str]:
        """Sorted finding codes of a report (raw or normalised); see the module docstring."""
        return self.extract_normalized(self.normalizer(text))

    def extract_eyes(self, text: str) -> dict[str, list[str]]:
        """Codes per eye: `extract` applied to each part of `split_by_eye`."""
        parts = split_normalized(self.normalizer(text))
        return {eye: self.extract_normalized(parts[eye]) for eye in EYES}


_EXTRACTOR: FindingExtractor | None = None


def get_extractor() -> FindingExtractor:
    """The shared extractor for the packaged dictionary."""
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = FindingExtractor()
    return _EXTRACTOR


def extract_findings(text: str) -> list[str]:
    """Canonical finding codes of a report, negation- and uncertainty-aware.

    Args:
        text: One eye's report text (raw or normalised).

    Returns:
        Sorted codes, e.g. ``["dr2", "hypertensive_retinopathy"]``; ``["normal"]`` for a
        text with no positive finding; ``[]`` for empty text or unlabelled lesions.
    """
    return get_extractor().extract(text)


def extract_eye_findings(text: str) -> dict[str, list[str]]:
    """Finding codes per eye, ``{"OD": [...], "OS": [...]}`` (via `split_by_eye`)."""
    return get_extractor().extract_eyes(text)
