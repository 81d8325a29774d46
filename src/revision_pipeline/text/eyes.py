"""Split a (normalised) report into the text that describes each eye.

Rules, applied to canonical text (see `normalize`):

* A report is cut into sections at headers such as ``眼底所见：`` and ``诊断：``; each
  section is cut into sentences at ``。；！？`` and list numbers (``1.``, ``2、``).
* Inside a sentence, an eye marker (右眼/左眼/双眼/双侧/两眼, 右：/左：) starts a segment
  that runs to the next marker: ``右眼出血，左眼正常`` gives one segment per eye. Text
  before the first marker, and sentences with no marker, are bilateral and go to both.
* A marker followed by a colon (``右眼：``, ``OD:``) is a heading: the sentences after
  it, up to the next marker or section, belong to that eye as well.
* A marker that is the object of a comparison (``较左眼``, ``同右眼``) is not a marker.
* A sentence that opens with a bare cue (``考虑右眼…，左眼…``) gives the cue to each eye.
* ``左眼同右眼`` / ``右眼同左眼`` / ``左眼同前`` copy the other eye's own segments of the
  same section (the whole report when the section has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from revision_pipeline.text.normalize import normalize

EYES: tuple[str, str] = ("OD", "OS")

_MARKER_RE = re.compile(
    r"(?<![同与较似比])"
    r"(?:(?P<both>双眼|双侧|两眼|左右眼|右左眼|右眼[及和、与]左眼|左眼[及和、与]右眼)"
    r"|(?P<od>右眼|右(?=：))|(?P<os>左眼|左(?=：)))"
    r"(?P<colon>：)?"
)
_SECTION_RE = re.compile(
    r"(?:眼底所见|检查所见|所见|眼底检查|检查结果|眼底表现|诊断意见|初步诊断|诊断|印象|结论|意见"
    r"|建议|描述)："
)
_SENTENCE_RE = re.compile(r"(?<=[。；！？])|(?<![\d.])(?=\d{1,2}[.、)](?!\d))")
_BACKREF_RE = re.compile(
    r"^(?:所见|情况|表现|眼底|病变|眼底所见)?(?:同|与)(?:右眼|左眼|前|上|对侧)(?:相同|一致|所见)?"
    r"[，。；！？]*$"
)
_ENUM_RE = re.compile(r"^\d{1,2}[.、)](?!\d)")
_TRIM = "，、；：。 "
#: A sentence opening made only of a negation/uncertainty cue, applied to each eye.
_LEAD_CUE_RE = re.compile(r"^(?:考虑|可疑|疑似|怀疑|拟诊|未见|未见明显|无|没有)$")


@dataclass
class _Piece:
    """One segment: which eye(s), its marker as written, the body, a back-reference flag."""

    eyes: tuple[str, ...]
    marker: str
    body: str
    backref: bool = False


@dataclass
class _Section:
    header: str
    sentences: list[tuple[list[_Piece], str]] = field(default_factory=list)


def _eyes_of(match: re.Match[str]) -> tuple[str, ...]:
    if match.group("both"):
        return EYES
    return ("OD",) if match.group("od") else ("OS",)


def _split_sentence(
    sentence: str, heading: tuple[str, ...] | None
) -> tuple[list[_Piece], tuple[str, ...] | None]:
    """Cut one sentence at eye markers; returns its pieces and the heading state after it."""
    pieces: list[_Piece] = []
    matches = list(_MARKER_RE.finditer(sentence))
    start = matches[0].start() if matches else len(sentence)
    prefix = sentence[:start].strip(_TRIM)
    lead = ""
    if prefix and matches and _LEAD_CUE_RE.match(prefix):
        lead, prefix = prefix, ""  # 考虑右眼…，左眼…: the cue belongs to every eye
    if prefix:
        pieces.append(_Piece(heading or EYES, "", prefix))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(sentence)
        body = sentence[match.end() : end].strip(_TRIM)
        eyes = _eyes_of(match)
        heading = eyes if match.group("colon") else None
        backref = len(eyes) == 1 and bool(_BACKREF_RE.match(body))
        marker = match.group(0)
        pieces.append(_Piece(eyes, marker, lead + body if body else body, backref))
    return pieces, heading


def _parse(text: str) -> list[_Section]:
    sections: list[_Section] = []
    bounds = [m.start() for m in _SECTION_RE.finditer(text)]
    starts = [0, *bounds] if not bounds or bounds[0] != 0 else bounds
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[begin:end]
        header_match = _SECTION_RE.match(chunk)
        header = header_match.group(0) if header_match else ""
        section = _Section(header)
        heading: tuple[str, ...] | None = None
        for sentence in _SENTENCE_RE.split(chunk[len(header) :]):
            stripped = _ENUM_RE.sub("", sentence.strip(" "))
            if not stripped.strip(_TRIM):
                continue
            terminator = stripped[-1] if stripped[-1] in "。；！？" else "。"
            pieces, heading = _split_sentence(stripped.rstrip("。；！？"), heading)
            if pieces:
                section.sentences.append((pieces, terminator))
        sections.append(section)
    return sections


def _resolve_backrefs(sections: list[_Section]) -> None:
    """Replace ``左眼同右眼``-style pieces by the other eye's own pieces."""
    own_everywhere = {
        eye: [
            p
            for s in sections
            for ps, _ in s.sentences
            for p in ps
            if p.eyes == (eye,) and not p.backref and p.body
        ]
        for eye in EYES
    }
    for section in sections:
        own = {
            eye: [
                p
                for ps, _ in section.sentences
                for p in ps
                if p.eyes == (eye,) and not p.backref and p.body
            ]
            for eye in EYES
        }
        for pieces, _ in section.sentences:
            for j, piece in enumerate(pieces):
                if not piece.backref:
                    continue
                other = "OS" if piece.eyes == ("OD",) else "OD"
                source = own[other] or own_everywhere[other]
                piece.body = "，".join(p.body for p in source) or piece.body
                piece.backref = False
                pieces[j] = piece


def _render(sections: list[_Section], eye: str) -> str:
    out: list[str] = []
    for section in sections:
        sentences = []
        for pieces, terminator in section.sentences:
            parts = [p.marker + p.body for p in pieces if eye in p.eyes and (p.marker or p.body)]
            if parts:
                sentences.append("，".join(parts) + terminator)
        if sentences:
            out.append(section.header + "".join(sentences))
    return "".join(out)


def split_normalized(text: str) -> dict[str, str]:
    """`split_by_eye` for text that is already in canonical form."""
    sections = _parse(text)
    _resolve_backrefs(sections)
    return {eye: _render(sections, eye) for eye in EYES}


def split_by_eye(text: str) -> dict[str, str]:
    """Split a report into the normalised text relevant to each eye's photograph.

    Args:
        text: A report, raw or normalised.

    Returns:
        ``{"OD": ..., "OS": ...}``: the right eye's sentences plus the bilateral ones,
        and the left eye's plus the bilateral ones (empty string when none).
    """
    return split_normalized(normalize(text))
