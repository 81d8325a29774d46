"""The fault-injection helpers of ``benchmarks/fault_injection.py``, shared by these tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "fault_injection", Path(__file__).resolve().parents[2] / "benchmarks" / "fault_injection.py"
)
faults = importlib.util.module_from_spec(_SPEC)
sys.modules["fault_injection"] = faults
_SPEC.loader.exec_module(faults)
