"""The registered model as an MLflow pyfunc: a saved model folder, scored on photos.

The registry stores the model folder itself (safetensors weights, ``config.json``, the
tokenizer) as an artifact, and this class as code (MLflow's models-from-code, through
``pyfunc_entry.py``), with this package's source beside it (``code_paths``): nothing is
pickled, and loading needs the distributions of the model's ``requirements.txt``, not an
install of this package. ``predict`` takes a DataFrame with ``image_path``
(photo files, cropped as curate crops them) or ``image`` (JPEG bytes of crops already
made, as in the curated pairs) and returns, per photo, ``crop_status`` and the zero-shot
probability of each canonical finding (softmax over the findings' prompt prototypes at
the model's temperature).
"""

from __future__ import annotations

import logging
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Artifact key of the model folder in the logged pyfunc.
MODEL_DIR_ARTIFACT = "model_dir"


def finding_codes() -> list[str]:
    """The canonical finding codes the pyfunc scores (its output columns, in order)."""
    from revision_pipeline.findings_codes import FINDING_CODES

    return list(FINDING_CODES)


class RetinaClipPyfunc(mlflow.pyfunc.PythonModel):
    """Zero-shot finding scores of a saved RetinaCLIP folder (see the module docstring).

    Args:
        crop_side: side of curate's square crop (``curate.image_side``).
        jpeg_quality: JPEG quality of that crop (``curate.jpeg_quality``).
    """

    def __init__(self, crop_side: int = 512, jpeg_quality: int = 90) -> None:
        self.crop_side = crop_side
        self.jpeg_quality = jpeg_quality
        self._loaded: Any = None
        self._prototypes: np.ndarray | None = None

    def load_context(self, context: Any) -> None:
        """Load the model folder and embed the findings' prompts once."""
        config = getattr(context, "model_config", None) or {}
        self.crop_side = int(config.get("crop_side", self.crop_side))
        self.jpeg_quality = int(config.get("jpeg_quality", self.jpeg_quality))
        self.load(context.artifacts[MODEL_DIR_ARTIFACT])

    def load(self, model_dir: str) -> RetinaClipPyfunc:
        """Load ``model_dir`` (also usable without MLflow, e.g. in tests)."""
        from revision_pipeline.evaluation.features import load_model
        from revision_pipeline.evaluation.prompts import class_prototypes, finding_prompts

        self._loaded = load_model(model_dir)
        self._prototypes = class_prototypes(
            self._loaded.model,
            self._loaded.tokenizer,
            [finding_prompts(code) for code in finding_codes()],
        )
        return self

    def _crops(self, model_input: pd.DataFrame) -> tuple[list[bytes | None], list[str]]:
        from revision_pipeline.evaluation.images import CropSettings, prepare_one

        if "image" in model_input:
            images = [bytes(b) if b is not None else None for b in model_input["image"]]
            return images, ["given" if b else "unreadable: empty" for b in images]
        if "image_path" not in model_input:
            raise ValueError(
                "the model takes a DataFrame with an 'image_path' column (photo files) or an "
                f"'image' column (JPEG bytes of crops); got columns {list(model_input.columns)}"
            )
        settings = CropSettings(self.crop_side, self.jpeg_quality)
        prepared = [prepare_one(str(p), settings) for p in model_input["image_path"]]
        return [p["crop"] for p in prepared], [str(p["crop_status"]) for p in prepared]

    def predict(self, context, model_input, params=None):
        """``crop_status`` and one probability column per canonical finding, per row."""
        import torch

        from revision_pipeline.evaluation.images import crops_to_tensor, image_transform

        if self._loaded is None:
            raise RuntimeError("call load_context (MLflow does) or load(model_dir) first")
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        crops, status = self._crops(frame)
        codes = finding_codes()
        out = pd.DataFrame({"crop_status": status})
        for code in codes:
            out[code] = np.nan
        ok = [i for i, c in enumerate(crops) if c is not None]
        if ok:
            loaded = self._loaded
            transform = image_transform(loaded.image_size, loaded.mean, loaded.std)
            batch = crops_to_tensor([crops[i] for i in ok], transform, loaded.image_size)
            with torch.no_grad():
                feats = loaded.model.encode_image(batch).float().numpy()
                scale = float(loaded.model.scale())
            logits = scale * feats @ self._prototypes.T
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            out.loc[ok, codes] = probs
        return out
