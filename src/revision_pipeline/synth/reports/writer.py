"""The report writer: lines of segments (text, diagnosis, PHI), then the style's noise
(typos, half-width punctuation, full-width letters, traditional characters)."""

from __future__ import annotations

import random
import re

from revision_pipeline.synth.reports.phrases import (
    _ABBREVIATIONS,
    _TYPOS,
    REGIONS,
    _phrases,
    _pick,
    _traditional,
)
from revision_pipeline.synth.reports.style import ReportStyle
from revision_pipeline.synth.spec import EyeState

_HALF_PUNCT = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "（": "(", "）": ")"})
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789"})
_UPPER_RUN = re.compile(r"[A-Z]{2,}")

Segment = tuple[str, str]  # (text, kind) with kind "t" (text), "dx" (diagnosis), "phi"


def _tier(code: str, severity: float) -> str:
    if code.startswith("dr") or code == "normal":
        return "any"
    return "mild" if severity < 0.4 else ("moderate" if severity <= 0.7 else "severe")


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
