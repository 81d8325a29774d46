"""``python -m revision_pipeline.deid``."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from revision_pipeline.deid.__main__ import run


def test_plain_and_json_lines():
    src = io.StringIO(
        "患者张三，电话13800138000\n"
        '{"id": 7, "text": "王五双眼，2023-03-05", "patient_name": "王五"}\n'
        "{not json\n"
    )
    dst = io.StringIO()
    assert run(src, dst, ["patient_name"]) == 3
    lines = dst.getvalue().split("\n")
    assert lines[0] == "患者[姓名]，电话[电话]"
    obj = json.loads(lines[1])
    assert obj == {"id": 7, "text": "[姓名]双眼，[日期]", "patient_name": "王五"}
    assert lines[2] == "{not json"


def test_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "revision_pipeline.deid"],
        input='{"text": "姓名：李四", "k": 1}\n'.encode(),
        capture_output=True,
        check=True,
    )
    assert json.loads(proc.stdout.decode()) == {"text": "姓名：[姓名]", "k": 1}
    helped = subprocess.run(
        [sys.executable, "-m", "revision_pipeline.deid", "--help"], capture_output=True, check=True
    )
    assert b"stdin" in helped.stdout
