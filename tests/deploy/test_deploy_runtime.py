"""Screening one photo: verdicts, probabilities, the contract's JSON line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from revision_pipeline.deploy.runtime import ScreeningModel, Verdict, probabilities


def test_probabilities_are_a_softmax_of_scaled_cosines() -> None:
    protos = np.eye(3, dtype=np.float32)
    emb = np.array([[2.0, 0.0, 0.0], [1.0, 1.0, 0.0]], np.float32)  # normalised inside
    p = probabilities(emb, protos, logit_scale=10.0)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert p[0].argmax() == 0 and p[0, 0] == pytest.approx(np.exp(10) / (np.exp(10) + 2))
    assert p[1, 0] == pytest.approx(p[1, 1])


def test_json_line_has_exactly_the_contract_keys() -> None:
    ok = Verdict("a.jpg", True, [], 0.8, {"normal": 0.9, "amd": 0.1})
    bad = Verdict("b.jpg", False, ["blurred"], 0.3)
    assert list(ok.to_json("m:fp32")) == ["path", "passed", "reasons", "scores", "model"]
    assert list(bad.to_json("m:fp32")) == ["path", "passed", "reasons", "model"]


def test_a_fundus_photo_gets_scores_and_a_bad_file_a_reason(
    tiny_export: Path, retina_png: Path, tmp_path: Path
) -> None:
    model = ScreeningModel(tiny_export, threads=1)
    good = model.screen(retina_png)
    assert good.passed and good.reasons == []
    assert list(good.scores) == model.labels
    assert sum(good.scores.values()) == pytest.approx(1.0, abs=1e-3)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(retina_png.read_bytes()[:5000])
    grey = tmp_path / "wall.png"
    from PIL import Image

    Image.new("RGB", (800, 600), (128, 128, 128)).save(grey)
    for path, reason in ((empty, "unreadable: zero_byte"), (truncated, "unreadable")):
        verdict = model.screen(path)
        assert not verdict.passed and verdict.scores is None
        assert verdict.reasons[0].startswith(reason), verdict.reasons
    wall = model.screen(grey)
    assert not wall.passed and wall.scores is None and "no_fov" in wall.reasons


def test_unknown_variant_is_refused(tiny_export: Path) -> None:
    from revision_pipeline.deploy.bundle import ExportError

    with pytest.raises(ExportError, match="unknown model variant 'fp16'"):
        ScreeningModel(tiny_export, "fp16")
