"""decide_photos on a small table: which stage rejects each photo, and the reason given."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pandas as pd
from PIL import Image

from revision_pipeline.curation.decisions import decide_photos, disc_offset
from revision_pipeline.curation.images import crop_digest, phash_array

SIDE = 32


def _crop(path: Path, shade: int) -> tuple[str, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (SIDE, SIDE), (shade, 40, 20)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path), crop_digest(buffer.getvalue())


def _photos(tmp_path: Path) -> pd.DataFrame:
    rows = []
    specs = [  # source, sha256, phash, passed, reasons, width, crop
        ("H1/a.jpg", "s-a", 0x0F0F, True, [], 800, True),
        ("H1/a(1).jpg", "s-a", 0x0F0F, True, [], 400, True),  # an exact copy, smaller
        ("H1/blur.jpg", "s-b", 0xF0F0_0000, False, ["blurred", "low_contrast"], 800, True),
        ("H2/black.jpg", "", None, False, [], 800, False),  # no disc found: no crop
        ("H2/swapped.jpg", "s-d", 0xFFFF_0000_0000, True, [], 800, "changed"),
    ]
    for k, (source, sha, _phash, passed, reasons, width, crop) in enumerate(specs):
        path, digest = _crop(tmp_path / f"{k}.jpg", 60 * k) if crop else ("", "")
        rows.append(
            {
                "institution_id": source[:2], "source": source, "quality_score": 0.8 - k / 10,
                "crop_path": path, "crop_sha256": "0" * 64 if crop == "changed" else digest,
                "sha256": sha, "signature": None, "passed": passed,
                "reasons": reasons, "width": width, "height": width, "size_bytes": 1000,
                "metrics": json.dumps({"disc_offset": 0.1 * k}) if crop else "",
            }
        )  # fmt: skip
    return pd.DataFrame(rows).assign(phash=phash_array([spec[2] for spec in specs]))


def test_each_stage_rejects_with_its_reason(tmp_path: Path) -> None:
    decisions = decide_photos(_photos(tmp_path), SIDE).set_index("source")
    assert decisions["kept"].to_dict() == {
        "H1/a.jpg": True, "H1/a(1).jpg": False, "H1/blur.jpg": False,
        "H2/black.jpg": False, "H2/swapped.jpg": False,
    }  # fmt: skip
    assert decisions.loc["H1/a(1).jpg", ["stage", "reason"]].tolist() == [
        "dedup", "duplicate_of: H1/a.jpg",
    ]  # fmt: skip
    assert decisions.loc["H1/blur.jpg", ["stage", "reason"]].tolist() == [
        "quality", "quality: blurred; low_contrast",
    ]  # fmt: skip
    assert decisions.loc["H2/black.jpg", ["stage", "reason"]].tolist() == [
        "read", "unreadable: no field of view",
    ]  # fmt: skip
    # a cached crop whose bytes are not the ones recorded never goes into the pairs
    assert decisions.loc["H2/swapped.jpg", ["stage", "reason"]].tolist() == [
        "read", "unreadable: crop_changed",
    ]  # fmt: skip
    assert decisions.loc["H1/a.jpg", ["stage", "reason"]].tolist() == ["", ""]
    assert decisions.loc["H1/blur.jpg", "disc_offset"] == 0.2
    assert math.isnan(decisions.loc["H2/black.jpg", "disc_offset"])


def test_a_crop_of_another_side_is_unreadable(tmp_path: Path) -> None:
    decisions = decide_photos(_photos(tmp_path), SIDE * 2)
    assert set(decisions["stage"]) == {"read"}
    assert "unreadable: crop_not_square" in set(decisions["reason"])


def test_disc_offset_of_missing_metrics_is_nan() -> None:
    assert disc_offset('{"disc_offset": -0.25}') == -0.25
    assert math.isnan(disc_offset("")) and math.isnan(disc_offset("{}"))
