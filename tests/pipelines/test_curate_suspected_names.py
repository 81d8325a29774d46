"""The curate audit's second line of defence: suspected names, counted and gated by rate."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revision_pipeline.pipelines.curate.nodes import audit_curated, find_suspected_names

CLEAN = "双眼视盘界清，黄斑区可见硬性渗出，高血压病史10年。"
LEAKY = "患者刘子涵诉右眼视力下降。"


def _exams(leaky: int, clean: int) -> pd.DataFrame:
    reports = [LEAKY] * leaky + [CLEAN] * clean
    return pd.DataFrame({"institution_id": ["H1"] * len(reports), "report": reports})


def _params(**audit) -> dict:
    return {"audit": {"paths": [], **audit}}


@pytest.fixture(autouse=True)
def _empty_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the audit's default paths do not exist here


def test_counts_go_to_the_audit_and_mlflow_without_text():
    identifiers = pd.DataFrame({"kind": ["patient_name"], "value": ["王芳"]})
    table, metrics = find_suspected_names(_exams(1, 399), identifiers)
    assert table.to_dict("records") == [
        {"institution_id": "H1", "reports": 400, "reports_flagged": 1, "suspected_names": 1}
    ]
    assert metrics["suspected_names"]["value"] == 1.0
    assert metrics["suspected_name_report_rate"]["value"] == 1 / 400
    audit = audit_curated(identifiers, pd.DataFrame(), table, _params())
    assert audit.to_dict("records") == [
        {"file": "05_model_input/pairs: reports of H1", "kind": "suspected_name", "count": 1,
         "read_as": "report text"}
    ]  # fmt: skip
    assert "刘子涵" not in audit.to_csv()


def test_a_rate_above_the_limit_fails_the_run_unless_told_otherwise():
    identifiers = pd.DataFrame({"kind": [], "value": []})
    table, _ = find_suspected_names(_exams(3, 97), identifiers)
    with pytest.raises(RuntimeError, match=r"3\.00% of reports .* H1 \(3\)"):
        audit_curated(identifiers, pd.DataFrame(), table, _params())
    audit = audit_curated(
        identifiers, pd.DataFrame(), table, _params(fail_on_suspected_names=False)
    )
    assert audit["count"].sum() == 3


def test_a_clean_archive_adds_no_row():
    identifiers = pd.DataFrame({"kind": [], "value": []})
    table, metrics = find_suspected_names(_exams(0, 50), identifiers)
    assert audit_curated(identifiers, pd.DataFrame(), table, _params()).empty
    assert metrics["suspected_names"]["value"] == 0.0
