"""Validated parameters of the synthetic archive (``params:demo_archive``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revision_pipeline.synth.dialects import DIALECTS
from revision_pipeline.synth.standins.config import BenchmarksConfig

_DISEASES = ("dr", "glaucoma", "amd", "pathologic_myopia", "rvo", "hypertensive_retinopathy")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageRates(_Strict):
    """Per-photo probabilities of the defects real uploads have."""

    blur: float = Field(0.025, ge=0, le=1)
    underexposed: float = Field(0.015, ge=0, le=1)
    overexposed: float = Field(0.01, ge=0, le=1)
    small_pupil: float = Field(0.015, ge=0, le=1)
    lid_artefact: float = Field(0.01, ge=0, le=1)
    truncated: float = Field(0.008, ge=0, le=1)
    zero_byte: float = Field(0.004, ge=0, le=1)
    duplicate_exact: float = Field(0.01, ge=0, le=1)
    duplicate_reencoded: float = Field(0.01, ge=0, le=1)
    #: per exam: an extra non-fundus picture (external eye photo, scanned form)
    non_fundus: float = Field(0.012, ge=0, le=1)
    #: per eye: a second good photo of the same eye (seq 2)
    second_photo: float = Field(0.08, ge=0, le=1)
    #: per defective photo: the photographer retook it (a good seq-2 photo)
    retake: float = Field(0.5, ge=0, le=1)


class RecordRates(_Strict):
    """Per-exam probabilities of messy records."""

    report_without_images: float = Field(0.015, ge=0, le=1)
    images_without_report: float = Field(0.01, ge=0, le=1)
    duplicate_exam_row: float = Field(0.01, ge=0, le=1)
    empty_report: float = Field(0.01, ge=0, le=1)


class DemoArchiveConfig(_Strict):
    """Parameters of ``kedro run --pipeline=demo_archive``."""

    seed: int = 20251216
    n_institutions: int = Field(162, ge=1, le=9999)
    n_exams: int = Field(1100, ge=1)
    #: Zipf exponent of institution sizes: a few large centres, a long tail of clinics
    size_skew: float = Field(1.1, ge=0, le=3)
    #: range of camera frame heights in pixels (each institution has one camera)
    min_image_side: int = Field(1024, ge=64, le=4096)
    max_image_side: int = Field(2048, ge=64, le=4096)
    #: fraction of institutions whose camera burns patient details into the corners
    overlay_institutions: float = Field(0.25, ge=0, le=1)
    #: patients seen at two institutions (same national ID)
    cross_institution_patients: int = Field(6, ge=0)
    #: per-patient prevalence of each disease
    prevalence: dict[str, float] = Field(
        default_factory=lambda: {
            "dr": 0.28,
            "glaucoma": 0.08,
            "amd": 0.08,
            "pathologic_myopia": 0.08,
            "rvo": 0.04,
            "hypertensive_retinopathy": 0.06,
        }
    )
    image_rates: ImageRates = ImageRates()
    record_rates: RecordRates = RecordRates()
    #: institution id -> non-canonical export dialect (see synth/dialects.py)
    dialects: dict[str, str] = Field(default_factory=dict)
    #: processes used to render photos; 0 means one per CPU core
    workers: int = Field(0, ge=0)
    #: synthetic benchmark stand-ins in public layouts (``data/01_raw/benchmarks``)
    benchmarks: BenchmarksConfig = BenchmarksConfig()

    @field_validator("prevalence")
    @classmethod
    def _known_diseases(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(_DISEASES))
        if unknown:
            raise ValueError(f"unknown disease(s) {unknown}; expected some of {list(_DISEASES)}")
        if any(not 0 <= p <= 1 for p in value.values()):
            raise ValueError("prevalences must lie in [0, 1]")
        return value

    @field_validator("dialects")
    @classmethod
    def _known_dialects(cls, value: dict[str, str]) -> dict[str, str]:
        for inst, name in value.items():
            if name not in DIALECTS:
                raise ValueError(
                    f"{inst}: unknown dialect {name!r}; expected one of {sorted(DIALECTS)}"
                )
        return value

    @model_validator(mode="after")
    def _side_range(self) -> DemoArchiveConfig:
        if self.min_image_side > self.max_image_side:
            raise ValueError(
                f"min_image_side ({self.min_image_side}) exceeds "
                f"max_image_side ({self.max_image_side})"
            )
        return self

    @property
    def image_side(self) -> tuple[int, int]:
        """(min, max) camera frame height."""
        return self.min_image_side, self.max_image_side
