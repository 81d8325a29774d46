"""``params:evaluate``, validated at start-up (no torch, no kedro)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class BenchmarkEntry(BaseModel):
    """One dataset to evaluate on: the registered adapter that reads it, and its folder."""

    model_config = ConfigDict(extra="forbid")
    adapter: str
    root: str
    enabled: bool = True

    @field_validator("adapter")
    @classmethod
    def _registered(cls, value: str) -> str:
        try:
            from revision_pipeline.benchmarks import list_benchmarks
        except ImportError:  # the adapters package is not installed: checked when loading
            return value
        known = list_benchmarks()
        if value not in known:
            raise ValueError(f"unknown benchmark adapter {value!r}; registered: {known}")
        return value


class ContaminationConfig(BaseModel):
    """Which benchmark photos count as pretraining photos."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    max_distance: int = Field(8, ge=0, le=15)  # perceptual-hash bits that make a candidate
    min_correlation: float = Field(0.9, ge=0, le=1)  # vessel signature that confirms it


class BaselineConfig(BaseModel):
    """Reference models run through the same linear probe."""

    model_config = ConfigDict(extra="forbid")
    random_init: bool = True
    imagenet_checkpoint: str | None = None  # a local timm checkpoint of the image tower


class AdaptationConfig(BaseModel):
    """Few-shot adaptation (``revision_pipeline.evaluation.adaptation``)."""

    model_config = ConfigDict(extra="forbid")
    shots: list[int] = Field(default_factory=lambda: [1, 2, 4, 8, 16])
    all_data: bool = True  # also the probe on all training data
    seeds: int = Field(5, ge=1)
    linear_probe: bool = True
    tip_adapter: bool = True
    tip_adapter_seeds: int = Field(2, ge=1)  # Tip-Adapter-F costs ~3x the probe per seed on CPU
    lora: bool = True
    full_finetune: bool = True
    finetune_benchmarks: list[str] | None = None  # LoRA/full fine-tuning only on these (None: all)
    budget: dict[str, Any] = Field(default_factory=dict)  # AdaptationBudget overrides

    @field_validator("shots")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError(f"shots must be >= 1, got {value}")
        return sorted(set(value))


class EvaluateConfig(BaseModel):
    """What ``kedro run --pipeline=evaluate`` reads (``conf/*/parameters_evaluate.yml``)."""

    model_config = ConfigDict(extra="forbid")
    model_dir: str | None = None  # null: the latest retina_clip version that pretrain wrote
    benchmarks: dict[str, BenchmarkEntry] = Field(default_factory=dict)
    prompts: str | None = None  # another class-prompt dictionary (YAML); null: the packaged one
    bootstrap: int = Field(1000, ge=0)
    seed: int = 0
    test_fraction: float = Field(0.4, gt=0, lt=1)  # held out when a set defines no test split
    batch_size: int = Field(64, ge=1)
    device: str = "cpu"
    workers: int = Field(0, ge=0)  # crop processes; 0 = one per core
    cache_dir: str = "data/07_model_output/evaluation"
    cohorts: bool = True
    contamination: ContaminationConfig = ContaminationConfig()
    baselines: BaselineConfig = BaselineConfig()
    adaptation: AdaptationConfig = AdaptationConfig()
    progress: bool = True
