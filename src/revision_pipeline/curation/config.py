"""``params:curate``: the curate pipeline's parameters, validated at start-up."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from revision_pipeline.curation.images import ImageSettings
from revision_pipeline.curation.splits import SplitConfig
from revision_pipeline.deid.phi_audit import AuditConfig
from revision_pipeline.imaging import QualityThresholds


class CurateAuditConfig(AuditConfig):
    """The PHI audit, plus curate's second line of defence: reports whose scrubbed text
    still holds a name-shaped span."""

    fail_on_suspected_names: bool = True
    suspected_name_max_rate: float = Field(0.005, ge=0, le=1)  # of reports, before failing


class CurateConfig(BaseModel):
    """``params:curate``, validated at start-up."""

    model_config = ConfigDict(extra="forbid")
    image_side: int = Field(512, ge=32, le=4096)
    jpeg_quality: int = Field(90, ge=50, le=100)
    workers: int = Field(0, ge=0)
    cache_dir: str = "data/02_intermediate/image_cache"
    near_duplicate_max_distance: int = Field(8, ge=0, le=15)
    near_duplicate_min_correlation: float = Field(0.9, ge=0, le=1)
    rows_per_shard: int = Field(2000, ge=1)
    progress: bool = True
    quality: dict[str, float] = Field(default_factory=dict)
    splits: SplitConfig = SplitConfig()
    audit: CurateAuditConfig = CurateAuditConfig()

    @field_validator("quality")
    @classmethod
    def _known_thresholds(cls, value: dict[str, float]) -> dict[str, float]:
        QualityThresholds.from_dict(value)  # unknown names and out-of-range limits, at start-up
        return value

    def image_settings(self) -> ImageSettings:
        """Crop settings with validated quality thresholds."""
        return ImageSettings(
            self.image_side, self.jpeg_quality, QualityThresholds.from_dict(self.quality)
        )
