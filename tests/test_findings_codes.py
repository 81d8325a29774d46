"""The label set has one neutral home, and the generator imports nothing it is judged by."""

from __future__ import annotations

import subprocess
import sys

from revision_pipeline import findings_codes, text
from revision_pipeline.synth import spec
from revision_pipeline.text.vocab import load_vocabulary


def test_both_sides_read_the_same_label_set() -> None:
    assert spec.FINDINGS is findings_codes.FINDING_CODES
    assert text.FINDING_CODES is findings_codes.FINDING_CODES
    assert set(findings_codes.FINDING_CODES) <= set(load_vocabulary().findings)


def test_synth_imports_neither_deid_nor_text() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import revision_pipeline.synth as s\n"
        "for m in pkgutil.walk_packages(s.__path__, 'revision_pipeline.synth.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules\n"
        "             if n.startswith(('revision_pipeline.deid', 'revision_pipeline.text')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"synth imports code under test: {out}"
