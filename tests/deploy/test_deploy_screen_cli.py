"""``python -m revision_pipeline.screen`` in a subprocess: never torch, clean stdout, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import revision_pipeline

SRC = Path(revision_pipeline.__file__).resolve().parents[1]
# runs the module as `python -m` does, then reports which heavy libraries got imported
RUNNER = """
import json, os, runpy, sys
try:
    runpy.run_module("revision_pipeline.screen", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "timm", "transformers"))
with open(os.environ["SCREEN_TEST_MODULES"], "w") as fh:
    json.dump(heavy, fh)
sys.exit(code)
"""


def _screen(tmp_path: Path, *args: str, cwd: Path | None = None):
    modules = tmp_path / "modules.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "SCREEN_TEST_MODULES": str(modules),
        "COLUMNS": "200",
    }
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        cwd=cwd or tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    heavy = json.loads(modules.read_text()) if modules.exists() else None
    return proc, heavy


def test_screen_never_imports_torch_and_prints_contract_json(
    tiny_export: Path, retina_png: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "site" / "day1"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "retina.png").write_bytes(retina_png.read_bytes())
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "cut.png").write_bytes(retina_png.read_bytes()[:4000])
    (folder / "notes.txt").write_text("not a photo")  # not an image extension: not walked
    proc, heavy = _screen(tmp_path, str(folder), "--model", str(tiny_export), "--json")
    assert proc.returncode == 0, proc.stderr
    assert heavy == [], f"imported {heavy}"
    lines = [json.loads(line) for line in proc.stdout.splitlines()]  # stdout: JSON lines only
    by_name = {Path(d["path"]).name: d for d in lines}
    assert set(by_name) == {"retina.png", "empty.jpg", "cut.png"}
    good = by_name["retina.png"]
    assert list(good) == ["path", "passed", "reasons", "scores", "model"]
    assert good["passed"] and good["model"].endswith(":fp32")
    assert abs(sum(good["scores"].values()) - 1) < 1e-3
    for name, reason in (("empty.jpg", "unreadable: zero_byte"), ("cut.png", "unreadable")):
        assert not by_name[name]["passed"] and "scores" not in by_name[name]
        assert by_name[name]["reasons"][0].startswith(reason)
    assert "Traceback" not in proc.stderr
    assert "photo" in proc.stderr and "3/3" in proc.stderr  # the progress bar, on stderr


def test_table_finds_the_latest_export_from_the_project_folder(
    tiny_export: Path, retina_png: Path, tmp_path: Path
) -> None:
    target = tmp_path / "proj" / "data" / "06_models" / "screening" / "v1" / "screening"
    shutil.copytree(tiny_export, target)
    proc, heavy = _screen(tmp_path, str(retina_png), "--fail-on-reject", cwd=tmp_path / "proj")
    assert proc.returncode == 0, proc.stderr
    assert heavy == []
    assert "passed" in proc.stdout and "softmax" in proc.stdout and "retina.png" in proc.stdout


def test_exit_codes(tiny_export: Path, tmp_path: Path) -> None:
    proc, _ = _screen(tmp_path, str(tmp_path / "missing.jpg"), "--model", str(tiny_export))
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    assert proc.stdout == ""
    (tmp_path / "none").mkdir()
    proc, _ = _screen(tmp_path, str(tmp_path / "none"), "--model", str(tiny_export))
    assert proc.returncode == 2 and "no photos found" in proc.stderr
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8garbage")
    proc, _ = _screen(tmp_path, str(tmp_path / "bad.jpg"))  # no export under tmp_path
    assert proc.returncode == 3 and "no screening model found" in proc.stderr
    proc, heavy = _screen(
        tmp_path, str(tmp_path / "bad.jpg"), "--model", str(tiny_export), "--fail-on-reject"
    )
    assert proc.returncode == 1 and "REJECTED" in proc.stdout and heavy == []
