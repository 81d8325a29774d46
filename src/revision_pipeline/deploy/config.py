"""``params:export``, validated at start-up (no torch, no kedro)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ExportConfig(BaseModel):
    """What ``kedro run --pipeline=export`` exports, and how (conf/base/parameters_export.yml)."""

    model_config = ConfigDict(extra="forbid")
    model_dir: str | None = None  # None: the latest retina_clip version pretrain wrote
    prompts: str | None = None  # another prompt dictionary (YAML); None: the packaged one
    opset: int | None = Field(None, ge=17)  # None: the exporter's default
    int8: bool = True  # also the dynamically quantised INT8 variant
    tolerance: float = Field(1e-4, gt=0)  # largest |onnx - torch| embedding difference (fp32)
    work_dir: str = "data/06_models/screening_work"  # staging; the catalog copies it into place
