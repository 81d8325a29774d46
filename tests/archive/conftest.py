"""Fixtures of the archive reader tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from archive_helpers import CANONICAL_HEADER, write, write_images  # noqa: F401


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An empty archive root."""
    root = tmp_path / "archive"
    root.mkdir()
    return root


@pytest.fixture
def canonical_rows() -> pd.DataFrame:
    """Three report rows in canonical columns."""
    return pd.DataFrame(
        {
            "exam_id": ["E1", "E2", "E3"],
            "patient_id": ["P1", "P2", "P1"],
            "patient_name": ["张三", "李四", "张三"],
            "id_number": ["110101199003071234", "", "110101199003071234"],
            "sex": ["男", "女", "男"],
            "age": ["33", "", "34"],
            "exam_date": ["2023-03-05", "2023年3月6日", "20240101"],
            "report": ["双眼眼底未见明显异常", "右眼糖尿病视网膜病变", "左眼黄斑水肿"],
        }
    )
