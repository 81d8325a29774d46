"""Plain data describing a planned stand-in: its photos, label files and truth.

A planner (`sets.py`) turns a `StandInConfig` into a `StandInSet`; the exporter
(`export.py`) renders the photos and writes the tables. Nothing here renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from revision_pipeline.synth.spec import Eye, EyeState
from revision_pipeline.synth.standins.config import CameraProfile


@dataclass(frozen=True)
class Look:
    """What the renderer paints for a class: alternative code sets, severity, media haze.

    ``codes`` holds alternatives (one is drawn per photo), each a tuple of the renderer's
    finding codes (``revision_pipeline.findings_codes``).
    """

    codes: tuple[tuple[str, ...], ...]
    severity: tuple[float, float] = (0.4, 1.0)
    #: media opacity (cataract, vitreous haze) 0..1, a range; the renderer has no such sign,
    #: so it is painted after the camera stage as blur plus a warm veil
    haze: tuple[float, float] = (0.0, 0.0)

    @staticmethod
    def of(*codes: str, severity: tuple[float, float] = (0.4, 1.0)) -> Look:
        """A look with one code set."""
        return Look((tuple(codes),), severity)


@dataclass(frozen=True)
class Frame:
    """One photo's camera settings, drawn from the stand-in's `CameraProfile`."""

    height: int
    width: int
    field_crop: float
    cast: tuple[float, float, float]
    vignetting: float


@dataclass(frozen=True)
class StandInPhoto:
    """One photo of a stand-in and its truth.

    ``label`` is the dataset's own class (a string), a tuple of classes for multi-label
    sets, or None for a photo that is not a labelled row (unlabelled test set,
    ungradable). ``written`` False: listed in a label file, deliberately absent on disk.
    """

    image_id: str
    path: str  # relative to the stand-in's root, "/" separators
    split: str  # "" where the publisher defines no split
    label: str | tuple[str, ...] | None
    seed: int
    state: EyeState
    tone: float
    frame: Frame
    haze: float = 0.0
    defect: str | None = None
    written: bool = True
    note: str = ""

    @property
    def expected(self) -> bool:
        """Whether ``load_benchmark`` should return this photo as a row."""
        return self.label is not None and self.written

    @property
    def rendered_as(self) -> str:
        """What was painted, in the renderer's words (for the truth table)."""
        parts = list(self.state.codes)
        if self.haze > 0:
            parts.append(f"haze={self.haze:.2f}")
        if self.defect:
            parts.append(f"defect={self.defect}")
        return ";".join(parts)


@dataclass(frozen=True)
class Table:
    """A label file of the publisher's layout."""

    path: str  # relative to the stand-in's root
    frame: pd.DataFrame
    kind: Literal["csv", "xlsx"] = "csv"


@dataclass
class StandInSet:
    """A planned stand-in benchmark."""

    name: str
    camera: CameraProfile
    photos: list[StandInPhoto] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def truth(self) -> pd.DataFrame:
        """One row per photo planned (written or not): the generator's own truth."""
        rows = [
            {
                "image_id": p.image_id,
                "path": p.path,
                "split": p.split,
                "label": (";".join(p.label) if isinstance(p.label, tuple) else p.label) or "",
                "labelled": p.label is not None,
                "written": p.written,
                "expected": p.expected,
                "eye": p.state.eye,
                "rendered_as": p.rendered_as,
                "height": p.frame.height,
                "width": p.frame.width,
                "note": p.note,
            }
            for p in self.photos
        ]
        return pd.DataFrame(rows, columns=TRUTH_COLUMNS)


#: Columns of ``_truth.csv``.
TRUTH_COLUMNS = [
    "image_id", "path", "split", "label", "labelled", "written", "expected",
    "eye", "rendered_as", "height", "width", "note",
]  # fmt: skip


def draw_frame(camera: CameraProfile, rng: np.random.Generator) -> Frame:
    """Draw one photo's frame size, field crop, cast and vignetting from a profile."""
    height = int(rng.choice(camera.heights))
    aspect = float(rng.choice(camera.aspects))
    width = round(height * aspect / 2) * 2
    cast = np.clip(np.asarray(camera.cast) + rng.normal(0, camera.cast_jitter, 3), 0.5, 1.5)
    return Frame(
        height=height,
        width=width,
        field_crop=float(rng.uniform(*camera.field_crop)),
        cast=tuple(round(float(c), 3) for c in cast),  # type: ignore[arg-type]
        vignetting=float(rng.uniform(*camera.vignetting)),
    )


def make_state(look: Look, eye: Eye, rng: np.random.Generator) -> tuple[EyeState, float]:
    """The eye a look describes, and its haze."""
    codes = look.codes[int(rng.integers(len(look.codes)))]
    severity = float(rng.uniform(*look.severity))
    haze = float(rng.uniform(*look.haze)) if look.haze[1] > 0 else 0.0
    state = EyeState(eye, tuple(sorted(codes)), severity, float(rng.uniform(0.2, 0.45)))
    return state, haze


def merge_looks(looks: list[Look], rng: np.random.Generator, eye: Eye) -> tuple[EyeState, float]:
    """One eye with every look's signs (multi-label photos); severity of the first look."""
    state, haze = make_state(looks[0], eye, rng)
    codes = set(state.codes)
    for look in looks[1:]:
        other, other_haze = make_state(look, eye, rng)
        codes |= set(other.codes)
        haze = max(haze, other_haze)
    codes.discard("normal")
    dr = sorted(c for c in codes if c.startswith("dr"))
    codes = (codes - set(dr[:-1])) or {"normal"}  # one DR grade: the highest
    return EyeState(eye, tuple(sorted(codes)), state.severity, state.cup_disc), haze


def allocate(weights: dict[str, float], n: int, floor: int) -> dict[str, int]:
    """Counts per class summing to ``n``: proportional to ``weights``, each at least ``floor``.

    The floor shrinks when ``n`` cannot give every class that many; the remainder goes
    by the largest fractional parts (ties: the order of ``weights``).
    """
    names = list(weights)
    if n <= 0 or not names:
        return dict.fromkeys(names, 0)
    floor = min(floor, n // len(names))
    total = float(sum(weights.values()))
    share = {k: n * weights[k] / total for k in names}
    counts = {k: max(floor, int(share[k])) for k in names}
    while sum(counts.values()) > n:
        k = max((k for k in names if counts[k] > floor), key=lambda k: counts[k] - share[k])
        counts[k] -= 1
    order = sorted(names, key=lambda k: (-(share[k] - int(share[k])), names.index(k)))
    i = 0
    while sum(counts.values()) < n:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def stratify(counts: dict[str, int], sizes: dict[str, int]) -> dict[str, dict[str, int]]:
    """Share class ``counts`` among splits of the given ``sizes`` (which sum to the total).

    Each class is split in proportion to the split sizes; rounding is then evened out by
    moving photos of the largest classes between splits, so every split has its size.
    """
    if sum(counts.values()) != sum(sizes.values()):
        raise ValueError(f"class counts {counts} do not add up to split sizes {sizes}")
    out = {s: dict.fromkeys(counts, 0) for s in sizes}
    for name, count in counts.items():
        for split, n in allocate({s: float(v) for s, v in sizes.items()}, count, 0).items():
            out[split][name] = n
    splits = list(sizes)
    while True:
        over = [s for s in splits if sum(out[s].values()) > sizes[s]]
        under = [s for s in splits if sum(out[s].values()) < sizes[s]]
        if not over:
            return out
        src, dst = over[0], under[0]
        name = max(out[src], key=lambda k: out[src][k])
        out[src][name] -= 1
        out[dst][name] += 1
