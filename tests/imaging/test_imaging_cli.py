"""The `python -m revision_pipeline.quality` contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from imaging_helpers import camera_frame, jpeg_bytes

from revision_pipeline.imaging import process_image
from revision_pipeline.quality import main


@pytest.fixture
def images(small_retina: np.ndarray, tmp_path: Path) -> list[Path]:
    good = tmp_path / "good.jpg"
    good.write_bytes(jpeg_bytes(camera_frame(small_retina, (1024, 768))))
    dark = tmp_path / "dark.png"
    from PIL import Image

    Image.fromarray((small_retina * 0.2).astype(np.uint8)).save(dark)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:3000])
    return [good, dark, cut]


def test_cli_json_lines(images: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(p) for p in images]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["path"] for x in lines] == [str(p) for p in images]
    for x in lines:
        assert set(x) == {"path", "score", "passed", "reasons"}
    assert lines[0]["passed"] is True and lines[0]["reasons"] == []
    assert lines[1]["passed"] is False and "underexposed" in lines[1]["reasons"]
    assert lines[2] == {
        "path": str(images[2]),
        "score": 0.0,
        "passed": False,
        "reasons": ["unreadable: truncated"],
    }
    assert main(["--fail-on-reject", str(images[1])]) == 1


def test_cli_thresholds_file(images: list[Path], tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "t.yml"
    cfg.write_text("min_brightness: 250\n")
    main(["--thresholds", str(cfg), str(images[0])])
    line = json.loads(capsys.readouterr().out)
    assert line["passed"] is False and line["reasons"] == ["underexposed"]
    bad = tmp_path / "bad.yml"
    bad.write_text("quality_thresholds:\n  min_brightnes: 3\n")
    with pytest.raises(SystemExit) as info:
        main(["--thresholds", str(bad), str(images[0])])
    assert info.value.code == 2
    assert "min_brightnes" in capsys.readouterr().err


def test_cli_module_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "revision_pipeline.quality", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "IMAGE" in proc.stdout and "--thresholds" in proc.stdout


def test_a_folder_stands_for_its_photographs(images: list[Path], tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    (folder / "day2").mkdir(parents=True)
    (folder / "b.jpg").write_bytes(images[0].read_bytes())
    (folder / "day2" / "a.png").write_bytes(images[1].read_bytes())
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".hidden.jpg").write_bytes(images[0].read_bytes())
    missing = tmp_path / "missing.jpg"
    # as a site runs it: a fresh process, whose stdout must hold JSON lines only
    proc = subprocess.run(
        [sys.executable, "-m", "revision_pipeline.quality", str(folder), str(missing)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert "missing.jpg" not in proc.stderr  # reported in its JSON line only
    assert [x["path"] for x in lines] == [
        str(folder / "b.jpg"), str(folder / "day2" / "a.png"), str(missing)
    ]  # fmt: skip
    assert lines[2]["reasons"] == ["unreadable: not_found"]


def test_the_verdict_is_the_curate_pipelines(images: list[Path], capsys) -> None:
    main([str(p) for p in images])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    for path, line in zip(images, lines, strict=True):
        result = process_image(path, 512)
        assert (line["score"], line["passed"], line["reasons"]) == (
            round(result.score, 4), result.passed, result.reasons
        )  # fmt: skip
