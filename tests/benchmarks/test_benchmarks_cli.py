"""``python -m revision_pipeline.benchmarks``: a download summarised, errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmark_layouts import idrid, imagefolder

from revision_pipeline.benchmarks.__main__ import main


def test_json_summary_of_a_download(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = idrid(tmp_path)
    assert main(["idrid", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == sum(expected.labels.values())
    assert result["classes"] == {c: expected.labels.get(c, 0) for c in "01234"}
    assert result["splits"] == {"train": 6, "test": 2}


def test_text_summary_of_a_generic_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    imagefolder(tmp_path)
    assert main(["imagefolder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "30 labelled images" in out and "    rvo: 6" in out


def test_unreadable_root_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["aptos2019", str(tmp_path / "absent")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    assert "rfmid\tmulti" in capsys.readouterr().out
