"""``params:model_card``, validated at start-up (no torch, no kedro, no MLflow)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelCardConfig(BaseModel):
    """What the card says about the data, and where the model is registered."""

    model_config = ConfigDict(extra="forbid")
    registered_model_name: str = Field("retina_clip", min_length=1, pattern=r"^[\w.-]+$")
    register_model: bool = True  # false: the card only (no MLflow registry entry)
    data_description: str | None = None  # null: the synthetic demo archive
