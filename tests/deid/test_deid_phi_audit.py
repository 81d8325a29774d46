"""The PHI audit as a library call: what it looks for, what it reports, when it fails."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from revision_pipeline.deid.phi_audit import (
    AuditConfig,
    PhiAuditError,
    audit_values,
    audit_written,
    check_suspected_rate,
    suspected_name_rows,
    suspected_name_table,
)

IDENTIFIERS = pd.DataFrame(
    {
        "kind": ["patient_name", "patient_id", "exam_date"],
        "value": ["欧阳娜娜", "MRN-77120", "2023-02-14"],
    }
)


def test_values_hold_identifiers_every_date_spelling_and_the_planted_list() -> None:
    values = audit_values(IDENTIFIERS, pd.DataFrame({"value": ["13912345678"]}))
    assert {"欧阳娜娜", "MRN-77120", "13912345678"} <= values
    assert {"2023年2月14日", "20230214"} <= values
    assert audit_values(pd.DataFrame(), pd.DataFrame()) == set()


def test_a_hit_names_the_file_and_kind_never_the_value(tmp_path: Path) -> None:
    out = tmp_path / "reporting"
    out.mkdir()
    (out / "clean.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (out / "leak.csv").write_text("name\n欧阳娜娜\n", encoding="utf-8")
    config = AuditConfig(paths=[str(out), str(tmp_path / "absent")], fail_on_hit=False)
    table = audit_written(IDENTIFIERS, pd.DataFrame(), config)
    assert table["file"].tolist() == [str(out / "leak.csv")]
    assert "欧阳娜娜" not in table.to_csv()
    with pytest.raises(PhiAuditError, match=r"PHI audit failed: .*leak\.csv") as error:
        audit_written(IDENTIFIERS, pd.DataFrame(), config.model_copy(update={"fail_on_hit": True}))
    assert "欧阳娜娜" not in str(error.value)


def test_the_default_paths_are_the_boundary() -> None:
    assert "data/05_model_input" in AuditConfig().paths and "mlflow.db" in AuditConfig().paths


def test_suspected_names_are_counted_per_institution_and_gated_by_rate() -> None:
    leaky, clean = "患者刘子涵诉右眼视力下降。", "双眼视盘界清，黄斑区未见异常。"
    table = suspected_name_table(
        pd.Series(["H1", "H1", "H2", "H2"]), pd.Series([leaky, clean, clean, None]), set()
    )
    assert table.set_index("institution_id")["reports_flagged"].to_dict() == {"H1": 1, "H2": 0}
    rows = suspected_name_rows(table)
    assert rows.to_dict("records") == [
        {"file": "05_model_input/pairs: reports of H1", "kind": "suspected_name", "count": 1,
         "read_as": "report text"}
    ]  # fmt: skip
    check_suspected_rate(table, 0.25, "x.max_rate")  # 1 of 4 reports: at the limit
    with pytest.raises(PhiAuditError, match=r"25\.00% .*\(limit 10\.00%.* H1 \(1\).*x\.max_rate"):
        check_suspected_rate(table, 0.10, "x.max_rate")
