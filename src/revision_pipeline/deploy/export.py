"""Export a trained RetinaCLIP for CPU screening: ONNX image tower, prototypes, manifest.

The image tower (backbone, projection, L2 normalisation: ``RetinaCLIP.encode_image``) is
exported with torch's ``torch.export``-based ONNX exporter (``dynamo=True``, the default
and recommended path of torch 2.9+; it needs ``onnx`` and ``onnxscript``) at the
exporter's default opset unless one is asked for, with a dynamic batch axis, weights
inside the one ``.onnx`` file. Every export checks itself: onnxruntime against torch on
random input, at most ``tolerance`` apart. The INT8 variant is onnxruntime's dynamic
quantisation (weights int8 per tensor, activations quantised at run time): no calibration
set is needed.

The class prototypes of the canonical findings are the evaluate pipeline's own
(:func:`revision_pipeline.evaluation.prompts.class_prototypes` over the prompt dictionary,
as its cohort scoring builds them), so screening and evaluation score a photo alike.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from revision_pipeline.deploy.bundle import (
    CLASSES,
    INPUT_NAME,
    OUTPUT_NAME,
    PREPROCESSING,
    PROTOTYPES,
    VARIANTS,
    ExportError,
    Preprocessing,
    model_version,
    sha256_file,
    write_manifest,
)
from revision_pipeline.imaging.quality import QualityThresholds

logger = logging.getLogger(__name__)


class ImageEncoder(nn.Module):
    """``RetinaCLIP.encode_image`` as a module of its own (what the ONNX file holds)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(pixel_values)


def export_onnx(model: nn.Module, path: Path, image_size: int, opset: int | None = None) -> int:
    """Write the image tower of ``model`` to ``path`` (fp32, dynamic batch).

    Returns:
        The ONNX opset the file declares.
    """
    import onnx

    encoder = ImageEncoder(model).eval()
    example = torch.zeros(2, 3, image_size, image_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            encoder,
            (example,),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            opset_version=opset,
            dynamo=True,
            external_data=False,  # one file to copy (ViT-B/16 is ~350 MB, far below 2 GB)
            dynamic_shapes={"pixel_values": {0: torch.export.Dim("batch", min=1, max=4096)}},
            verbose=False,
        )
    proto = onnx.load(str(path), load_external_data=False)
    return next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))


@contextlib.contextmanager
def _quiet_quantiser_advice() -> Iterator[None]:
    """onnxruntime's quantiser advises pre-processing on the root logger; its symbolic
    shape inference fails on torch.export graphs, so the advice is dropped here."""

    def _drop(record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(_drop)
    try:
        yield
    finally:
        root.removeFilter(_drop)


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic INT8 quantisation of an ONNX file (onnxruntime.quantization)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet_quantiser_advice():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)


def onnx_embeddings(path: Path, batch: np.ndarray) -> np.ndarray:
    """Run an exported image tower on a ``(N, 3, S, S)`` batch with onnxruntime (CPU)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run([OUTPUT_NAME], {INPUT_NAME: batch.astype(np.float32)})[0]


def parity(model: nn.Module, path: Path, image_size: int, n: int = 3, seed: int = 0) -> float:
    """Largest absolute difference between torch's and onnxruntime's embeddings of ``n``
    random (normalised-scale) images."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, image_size, image_size, generator=gen)
    model.eval()
    with torch.no_grad():
        ref = model.encode_image(x).float().numpy()
    return float(np.abs(onnx_embeddings(path, x.numpy()) - ref).max())


def finding_prototypes(loaded: Any, prompts: str | Path | None = None) -> tuple[list[str], Any]:
    """Labels and ``(C, D)`` prototypes of the canonical findings, as the evaluate pipeline
    scores its cohorts (the prompt dictionary ``prompts``, default: the packaged one)."""
    from revision_pipeline.evaluation.prompts import (
        class_prototypes,
        finding_prompts,
        load_prompt_dictionary,
    )
    from revision_pipeline.findings_codes import FINDING_CODES

    dictionary = load_prompt_dictionary(prompts)
    codes = list(FINDING_CODES)
    protos = class_prototypes(
        loaded.model, loaded.tokenizer, [finding_prompts(c, dictionary) for c in codes]
    )
    return codes, protos


def preprocessing_for(
    loaded: Any, crop_side: int, jpeg_quality: int, thresholds: QualityThresholds
) -> Preprocessing:
    """The preprocessing of a loaded model (size, mean/std) after curate's crop and checks."""
    return Preprocessing(
        crop_side=int(crop_side),
        jpeg_quality=int(jpeg_quality),
        quality_thresholds={f.name: getattr(thresholds, f.name) for f in fields(thresholds)},
        image_size=loaded.image_size,
        mean=loaded.mean,
        std=loaded.std,
    )


def export_screening(
    model_dir: Path,
    out_dir: Path,
    *,
    crop_side: int,
    jpeg_quality: int,
    quality_thresholds: dict[str, float] | None = None,
    prompts: str | Path | None = None,
    opset: int | None = None,
    int8: bool = True,
    tolerance: float = 1e-4,
) -> dict[str, Any]:
    """Write a complete screening export of the model in ``model_dir`` into ``out_dir``.

    Args:
        model_dir: a saved RetinaCLIP folder (``models.save_pretrained`` plus tokenizer).
        out_dir: the export folder (emptied of earlier export files first).
        crop_side: curate's ``image_side`` the model's pairs were cropped at.
        jpeg_quality: curate's ``jpeg_quality``.
        quality_thresholds: curate's ``quality`` overrides of ``QualityThresholds``.
        prompts: another prompt dictionary (YAML); ``None``: the packaged one.
        opset: ONNX opset; ``None``: the exporter's default.
        int8: also write the INT8 variant.
        tolerance: largest torch/onnxruntime embedding difference accepted (fp32).

    Returns:
        The manifest written.

    Raises:
        ExportError: the ONNX file does not reproduce torch's embeddings.
        ModelLoadError: ``model_dir`` is not a loadable model.
    """
    import onnx
    import onnxruntime

    from revision_pipeline.evaluation.features import load_model

    started = time.perf_counter()
    thresholds = QualityThresholds.from_dict(quality_thresholds)  # a typo fails before the work
    loaded = load_model(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (*VARIANTS.values(), PROTOTYPES, CLASSES, PREPROCESSING, "manifest.json"):
        (out_dir / name).unlink(missing_ok=True)
    size = loaded.image_size
    fp32 = out_dir / VARIANTS["fp32"]
    opset_used = export_onnx(loaded.model, fp32, size, opset)
    diff = parity(loaded.model, fp32, size)
    if not diff <= tolerance:
        raise ExportError(
            f"the ONNX image tower of {model_dir} differs from torch by {diff:.2e} "
            f"(> {tolerance:.0e}); try another opset (export.opset)"
        )
    logger.info("exported %s (opset %d), max |onnx - torch| = %.2e", fp32, opset_used, diff)
    if int8:
        quantize_int8(fp32, out_dir / VARIANTS["int8"])
    labels, protos = finding_prototypes(loaded, prompts)
    np.save(out_dir / PROTOTYPES, protos.astype(np.float32), allow_pickle=False)
    logit_scale = float(loaded.model.scale().item())
    classes = {
        "labels": labels,
        "logit_scale": logit_scale,
        "probabilities": "softmax over labels of logit_scale * cosine(image, prototype)",
        "prompts": str(prompts) if prompts else "packaged (evaluation/data/class_prompts.yml)",
    }
    (out_dir / CLASSES).write_text(json.dumps(classes, indent=2, ensure_ascii=False) + "\n")
    pre = preprocessing_for(loaded, crop_side, jpeg_quality, thresholds)
    (out_dir / PREPROCESSING).write_text(json.dumps(pre.to_dict(), indent=2) + "\n")
    version = model_version(Path(model_dir))
    weights = next(
        (
            Path(model_dir) / n
            for n in ("model.safetensors", "model.pt")
            if (Path(model_dir) / n).is_file()
        ),
        None,
    )
    info = {
        "model_id": f"{loaded.model.config.name}@{version}",
        "model_version": version,
        "model_config": loaded.model.config.name,
        "source_model_hash": loaded.model_hash,  # evaluation.features.folder_hash
        "source_weights_sha256": sha256_file(weights) if weights else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "exporter": {
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "dynamo": True,
            "opset": opset_used,
        },
        "parity_max_abs_diff": diff,
        "variants": [v for v in VARIANTS if (out_dir / VARIANTS[v]).is_file()],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return write_manifest(out_dir, info)
