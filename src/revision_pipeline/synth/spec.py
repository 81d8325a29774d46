"""Plain data that describes what the synthetic archive contains.

These dataclasses are the interface between the planner (`plan.py`, which decides
who was examined where and what they have), the photo renderer (`fundus.py` and
friends) and the report writer (`reports.py`). They hold no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from revision_pipeline.findings_codes import FINDING_CODES

Eye = Literal["OD", "OS"]

#: Canonical finding codes (``revision_pipeline.findings_codes``, read by ``text`` too).
FINDINGS: tuple[str, ...] = FINDING_CODES

#: Visual defects the renderer can plant (None means a good photo).
IMAGE_DEFECTS: tuple[str, ...] = (
    "blur",
    "underexposed",
    "overexposed",
    "small_pupil",
    "lid_artefact",
    "external_eye",
    "scanned_paper",
)

#: Defects planted at the file level by the exporter, not by the renderer.
FILE_DEFECTS: tuple[str, ...] = ("truncated", "zero_byte", "duplicate_exact", "duplicate_reencoded")


@dataclass(frozen=True)
class Camera:
    """One institution's fundus camera and its export settings."""

    side: int  # frame height in pixels, 1024..2048
    aspect: Literal["4:3", "1:1"]
    cast: tuple[float, float, float]  # per-channel RGB gain, around 1.0
    vignetting: float  # 0 (none) .. 1 (strong darkening towards the rim)
    jpeg_quality: int  # 60..98
    field_fraction: float = 0.92  # diameter of the circular field / frame height

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frame in pixels."""
        width = self.side * 4 // 3 if self.aspect == "4:3" else self.side
        return width, self.side


@dataclass(frozen=True)
class EyeState:
    """What one eye has. ``codes`` is ``("normal",)`` for a healthy eye."""

    eye: Eye
    codes: tuple[str, ...]
    severity: float = 0.5  # 0..1 for the non-DR findings (DR severity is its grade)
    cup_disc: float = 0.3  # vertical cup-to-disc ratio (glaucoma: 0.6..0.9)

    @property
    def dr_grade(self) -> int:
        """Diabetic-retinopathy grade 0..4 read from the codes."""
        grades = [int(c[2:]) for c in self.codes if c.startswith("dr") and c[2:].isdigit()]
        return max(grades, default=0)


@dataclass(frozen=True)
class PhotoSpec:
    """Everything the renderer needs to draw one photograph, deterministically."""

    seed: int
    state: EyeState
    camera: Camera
    fundus_tone: float = 0.5  # 0 lightly pigmented (blond fundus) .. 1 darkly pigmented
    defect: str | None = None  # one of IMAGE_DEFECTS, or None
    overlay: tuple[str, ...] = field(default_factory=tuple)  # text burned into the corners
